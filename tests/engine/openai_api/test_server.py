"""The OpenAI API end to end: a real uvicorn server on 127.0.0.1 answering with the bundled SmolLM2
on the session's model thread, driven by the official `openai` client (and, where a client would
hide what is on the wire, by plain HTTP)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import openai
import pytest

from engine.model_host import ModelHost
from engine.openai_api.app import MAX_BODY_BYTES
from tests.engine.openai_api.conftest import API_KEY

MODEL = "smollm2-135m-instruct"
QUESTION = [{"role": "user", "content": "What is the capital of France?"}]
COUNTING = "1, 2, 3, 4, 5, 6, 7,"  # SmolLM2 goes on counting: an answer that does not end by itself
COUNTING_TOKENS = 20
LONG = 1900  # tokens: half a minute or more of counting on a CPU, if nothing stopped it


def client_for(url: str, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=120)


@pytest.fixture(scope="module")
def client(api_url: str) -> Iterator[openai.OpenAI]:
    with client_for(api_url) as api:
        yield api


def short_answer(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=MODEL, messages=QUESTION, max_tokens=4, temperature=0)
    assert reply.usage is not None and 0 < reply.usage.completion_tokens <= 4


def test_the_served_model_is_listed(client: openai.OpenAI) -> None:
    models = client.models.list()
    assert [model.id for model in models.data] == [MODEL]
    entry = client.models.retrieve(MODEL)
    assert entry.id == MODEL and entry.owned_by == "longwit"
    extra = entry.model_extra or {}
    assert extra["context_length"] == 2048 and extra["max_concurrent_requests"] == 1


def test_a_chat_answer_with_its_token_counts(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=MODEL, messages=QUESTION, max_tokens=12, temperature=0)
    choice = reply.choices[0]
    assert choice.message.role == "assistant" and choice.message.content
    assert choice.finish_reason in ("stop", "length")
    usage = reply.usage
    assert usage is not None and usage.prompt_tokens > 5 and 0 < usage.completion_tokens <= 12
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert reply.id.startswith("chatcmpl-") and reply.model == MODEL


def test_a_streamed_chat_ends_with_its_reason_and_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model=MODEL, messages=QUESTION, max_tokens=12,
                                            temperature=0, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    reasons = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert reasons in (["stop"], ["length"])
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None and 0 < last.usage.completion_tokens <= 12
    assert len({c.id for c in chunks}) == 1


def test_the_stream_on_the_wire_is_server_sent_events_ending_with_done(api_url: str) -> None:
    body = {"model": MODEL, "messages": QUESTION, "max_tokens": 5, "temperature": 0, "stream": True}
    with httpx2.stream("POST", f"{api_url}/v1/chat/completions", json=body, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = response.read().decode()
    events = raw.split("\n\n")
    assert events[-1] == "" and events[-2] == "data: [DONE]"
    for event in events[:-2]:
        assert event.startswith("data: ")
        assert json.loads(event.removeprefix("data: "))["object"] == "chat.completion.chunk"


def test_requests_that_arrive_together_are_answered_in_turn(client: openai.OpenAI) -> None:
    questions = [f"Name a colour, please ({n})." for n in range(3)]

    def ask(question: str) -> str | None:
        reply = client.chat.completions.create(model=MODEL, max_tokens=6, temperature=0,
                                               messages=[{"role": "user", "content": question}])
        return reply.choices[0].message.content

    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(ask, questions))
    assert all(answers)


def tokens_in_cache_once_free(host: ModelHost) -> int:
    """Waits for the model thread to finish what it is doing, then says how many tokens its cache
    holds: the prompt and what was written before generation stopped."""
    return host.call(lambda model: model.llama.n_tokens)


def test_a_stream_closed_early_frees_the_model_for_the_next_request(client: openai.OpenAI,
                                                                   host: ModelHost) -> None:
    stream = client.completions.create(model=MODEL, prompt=COUNTING, max_tokens=LONG, temperature=0,
                                       stream=True)
    received = 0
    for chunk in stream:
        received += bool(chunk.choices and chunk.choices[0].text)
        if received == 3:
            break
    stream.close()  # the client hangs up after three pieces
    assert tokens_in_cache_once_free(host) < COUNTING_TOKENS + 200  # not LONG: it was cancelled
    short_answer(client)


def test_a_client_that_gives_up_on_a_whole_answer_frees_the_model(api_url: str, client: openai.OpenAI,
                                                                  host: ModelHost) -> None:
    body = {"model": MODEL, "prompt": COUNTING, "max_tokens": LONG, "temperature": 0}
    with pytest.raises(httpx2.ReadTimeout):
        httpx2.post(f"{api_url}/v1/completions", json=body, timeout=1)
    assert tokens_in_cache_once_free(host) < COUNTING_TOKENS + LONG // 2
    short_answer(client)


def test_a_text_completion_whole_and_streamed(client: openai.OpenAI) -> None:
    whole = client.completions.create(model=MODEL, prompt="The capital of France is", max_tokens=6,
                                      temperature=0, echo=True)
    assert whole.object == "text_completion"
    text = whole.choices[0].text
    assert text.startswith("The capital of France is") and len(text) > len("The capital of France is")
    assert whole.usage is not None and whole.usage.completion_tokens <= 6
    streamed = client.completions.create(model=MODEL, prompt="The capital of France is", max_tokens=6,
                                         temperature=0, stream=True)
    assert "".join(chunk.choices[0].text for chunk in streamed if chunk.choices).strip()


def test_stop_sequences_end_the_answer_before_them(client: openai.OpenAI) -> None:
    reply = client.completions.create(model=MODEL, prompt="1, 2, 3, 4, 5,", max_tokens=30,
                                      temperature=0, stop=[" 8"])
    text = reply.choices[0].text
    assert "7" in text and "8" not in text and reply.choices[0].finish_reason == "stop"


def test_the_same_seed_gives_the_same_sampled_answer_and_leaves_the_model_s_own(
        client: openai.OpenAI, host: ModelHost) -> None:
    own_seed = host.call(lambda model: model.llama._seed)

    def sampled(seed: int) -> str:
        reply = client.completions.create(model=MODEL, prompt="Once upon a time", max_tokens=16,
                                          temperature=1.0, top_p=1.0, seed=seed)
        return reply.choices[0].text

    assert sampled(11) == sampled(11)
    assert host.call(lambda model: model.llama._seed) == own_seed


def test_refusals_reach_the_client_as_typed_errors(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as too_long:
        client.chat.completions.create(model=MODEL, max_tokens=5,
                                       messages=[{"role": "user", "content": "lighthouse " * 3000}])
    assert too_long.value.code == "context_length_exceeded"
    assert "2,048" in too_long.value.message
    with pytest.raises(openai.BadRequestError) as several:
        client.chat.completions.create(model=MODEL, messages=QUESTION, n=2)
    assert several.value.code == "unsupported_value"
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="gpt-4o", messages=QUESTION)
    assert unknown.value.code == "model_not_found"


def test_an_api_key_is_required_when_set(keyed_api_url: str) -> None:
    with client_for(keyed_api_url, API_KEY) as right:
        assert [model.id for model in right.models.list().data] == [MODEL]
    with client_for(keyed_api_url, "wrong") as wrong, pytest.raises(openai.AuthenticationError):
        wrong.models.list()
    bare = httpx2.post(f"{keyed_api_url}/v1/chat/completions",
                       json={"model": MODEL, "messages": QUESTION}, timeout=30)
    assert bare.status_code == 401 and bare.headers["www-authenticate"] == "Bearer"
    assert bare.json()["error"]["code"] == "invalid_api_key" and API_KEY not in bare.text


CHAT = "/v1/chat/completions"
GOOD = {"model": MODEL, "messages": QUESTION, "max_tokens": 3}


def with_(**changes: object) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


HOSTILE = [
    (CHAT, b"", 400, "invalid_json"),
    (CHAT, b"{\"model\": ", 400, "invalid_json"),
    (CHAT, b"\xc3\x28", 400, "invalid_json"),
    (CHAT, b"[" * 50_000, 400, "invalid_json"),
    (CHAT, with_(messages=[]), 400, "invalid_value"),
    (CHAT, with_(messages=[{"role": "user", "content": {"text": "hi"}}]), 400, "invalid_type"),
    (CHAT, with_(max_tokens="many"), 400, "invalid_type"),
    (CHAT, with_(max_tokens=10**40), 400, "invalid_value"),
    (CHAT, with_(temperature=-1), 400, "invalid_value"),
    (CHAT, with_(stop=[1]), 400, "invalid_type"),
    (CHAT, with_(model="no-such-model"), 404, "model_not_found"),
    (CHAT, with_(messages=[{"role": "user", "content": "\ud83d"}]), 400, "invalid_value"),
    ("/v1/completions", json.dumps({"model": MODEL, "prompt": [50256, 1]}).encode(), 400, "invalid_type"),
    ("/v1/completions", json.dumps({"model": MODEL, "prompt": ""}).encode(), 400, "invalid_value"),
    ("/v1/embeddings", b"{}", 404, "not_found"),
]


@pytest.mark.parametrize(("path", "raw", "status", "code"), HOSTILE)
def test_hostile_requests_get_an_openai_error_never_a_500(api_url: str, path: str, raw: bytes,
                                                          status: int, code: str) -> None:
    response = httpx2.post(f"{api_url}{path}", content=raw, timeout=60)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["type"] == "invalid_request_error" and error["message"]


def test_a_web_page_in_the_person_s_browser_cannot_use_the_model(api_url: str) -> None:
    """A form post (sent cross-site without a preflight) and a request for a rebound host name."""
    posted = httpx2.post(f"{api_url}{CHAT}", content=with_(), timeout=30,
                         headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert posted.status_code == 415 and posted.json()["error"]["code"] == "unsupported_media_type"
    rebound = httpx2.get(f"{api_url}/v1/models", headers={"Host": "attacker.example:8080"}, timeout=30)
    assert rebound.status_code == 403 and rebound.json()["error"]["code"] == "host_not_allowed"
    for host in ("localhost:8080", "127.0.0.1", "[::1]:8080"):
        assert httpx2.get(f"{api_url}/v1/models", headers={"Host": host}, timeout=30).status_code == 200


def test_a_body_over_the_limit_is_refused_by_its_declared_size(api_url: str) -> None:
    host, port = api_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(f"POST {CHAT} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n{{".encode())
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            data = connection.recv(65536)
            if not data:
                break
            answer += data
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["error"]["code"] == "request_too_large"


def test_a_body_over_the_limit_is_refused_as_it_arrives(api_url: str) -> None:
    def pieces() -> Iterator[bytes]:  # sent chunked: no declared size to refuse
        for _ in range(MAX_BODY_BYTES // 65536 + 1):
            yield b" " * 65536

    response = httpx2.post(f"{api_url}{CHAT}", content=pieces(), timeout=60)
    assert response.status_code == 413 and response.json()["error"]["code"] == "request_too_large"


def test_the_readme_s_python_example_runs(api_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    section = readme[readme.index("### Serving other tools"):]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    exec(example.replace("http://127.0.0.1:8080", api_url), {})
    assert "completion_tokens" in capsys.readouterr().out
