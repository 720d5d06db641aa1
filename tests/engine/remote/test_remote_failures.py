"""A remote engine that is down, silent, slow, refuses the key, or answers garbage: each is one line
that names the server and what to check, the question stays saved, and nothing of the answer is
saved beyond what a cut answer saves. Real sockets throughout: a port with no server, and a tiny
real HTTP server that misbehaves on purpose (tests/engine/remote/misbehaving_server.py)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from desktop.benchmarks.openai_servers import free_port
from engine.chat_session import ChatSession
from engine.generation import GenerationOptions
from engine.model_host import ModelHost
from engine.remote.api_key import ApiKey
from engine.remote.client import EngineClient, engine_root
from engine.remote.errors import (
    EngineAddressInvalid,
    EngineAnswerInvalid,
    EngineConnectionLost,
    EngineKeyRefused,
    EngineModelUnknown,
    EngineRequestFailed,
    EngineTimedOut,
    EngineUnreachable,
    RemoteEngineError,
)
from engine.remote.remote_model import RemoteEngine, connect
from storage import ConversationStore
from tests.engine.remote.conftest import quick
from tests.engine.remote.misbehaving_server import MODEL, MisbehavingServer

OPTIONS = GenerationOptions(max_tokens=40, temperature=0)


def one_line(error: BaseException, url: str) -> str:
    text = str(error)
    assert "\n" not in text and url in text, text
    return text


def host_on(server: MisbehavingServer, tmp_path: Path, read_s: float = 1.0) -> ModelHost:
    host = ModelHost(tmp_path / "models")
    host.connect(quick(server.url, read_s))
    return host


def ask_and_fail(host: ModelHost, store: ConversationStore, question: str) -> RemoteEngineError:
    """Ask through a session; the error the reader meets, after checking what was saved."""
    conversation = store.create("remote")
    session = ChatSession(host, store, conversation, options=OPTIONS)
    reply = session.ask(question)
    with pytest.raises(RemoteEngineError) as raised:
        for _piece in reply:
            pass
    messages = store.messages(conversation)
    assert [(m.role, m.content) for m in messages] == [("user", question)]  # the question stays
    return raised.value


def test_a_server_that_is_down_is_one_line_naming_it(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.perf_counter()
    with pytest.raises(EngineUnreachable) as raised:
        connect(quick(url))
    assert time.perf_counter() - started < 3
    assert "check that the server is running" in one_line(raised.value, url)


def test_a_server_that_accepts_and_never_answers_times_out(misbehaving: list, tmp_path: Path) -> None:
    server = MisbehavingServer("silent-everywhere")
    misbehaving.append(server)
    started = time.perf_counter()
    with pytest.raises(EngineTimedOut) as raised:
        connect(quick(server.url, read_s=0.5))
    assert 0.4 < time.perf_counter() - started < 5
    assert "sent nothing for 0.5 s" in one_line(raised.value, server.url)


def test_an_html_page_is_not_taken_for_an_engine(misbehaving: list) -> None:
    server = MisbehavingServer("html")
    misbehaving.append(server)
    with pytest.raises(EngineAnswerInvalid) as raised:
        connect(quick(server.url))
    assert "was not JSON but '<!DOCTYPE html>" in one_line(raised.value, server.url)


def test_401_says_the_key_is_missing_or_wrong_and_never_prints_it(misbehaving: list) -> None:
    server = MisbehavingServer("401")
    misbehaving.append(server)
    with pytest.raises(EngineKeyRefused) as missing:
        connect(quick(server.url))
    assert "API key is missing" in one_line(missing.value, server.url)
    secret = "sk-never-show-me-0451"
    with pytest.raises(EngineKeyRefused) as wrong:
        connect(quick(server.url), ApiKey(secret, "a test"))
    assert "API key is wrong" in one_line(wrong.value, server.url)
    assert secret not in str(wrong.value) and secret not in repr(ApiKey(secret, "a test"))
    assert server.headers[-1]["Authorization"] == f"Bearer {secret}"  # it was sent, as a bearer


def test_a_model_the_server_does_not_list_is_named_with_those_it_does(misbehaving: list) -> None:
    server = MisbehavingServer("fine")
    misbehaving.append(server)
    with pytest.raises(EngineModelUnknown) as raised:
        connect(RemoteEngine(server.url, model="qwen3-8b"))
    assert f"does not serve a model called 'qwen3-8b'; it serves {MODEL}" in one_line(raised.value,
                                                                                       server.url)


def test_a_server_error_is_said_with_what_the_server_said(
        misbehaving: list, tmp_path: Path, store: ConversationStore) -> None:
    server = MisbehavingServer("500")
    misbehaving.append(server)
    error = ask_and_fail(host_on(server, tmp_path), store, "Are you there?")
    assert isinstance(error, EngineRequestFailed)
    assert "HTTP 500: CUDA out of memory" in one_line(error, server.url)


def test_a_slow_server_times_out_and_the_question_stays_saved(
        misbehaving: list, tmp_path: Path, store: ConversationStore) -> None:
    server = MisbehavingServer("silent")
    misbehaving.append(server)
    host = host_on(server, tmp_path, read_s=0.5)
    started = time.perf_counter()
    error = ask_and_fail(host, store, "Is anybody there?")
    assert isinstance(error, EngineTimedOut) and time.perf_counter() - started < 5
    assert "--engine-timeout" in one_line(error, server.url)


@pytest.mark.parametrize(("behaviour", "kind", "words"), [
    ("cut", EngineConnectionLost, "closed the connection in the middle of the answer"),
    ("not-json", EngineAnswerInvalid, "an event that is not JSON"),
    ("wrong-shape", EngineAnswerInvalid, "a streamed chunk had no list of choices"),
])
def test_a_stream_that_breaks_saves_no_half_answer(
        behaviour: str, kind: type, words: str, misbehaving: list, tmp_path: Path,
        store: ConversationStore) -> None:
    server = MisbehavingServer(behaviour)
    misbehaving.append(server)
    error = ask_and_fail(host_on(server, tmp_path), store, "Tell me something.")
    assert isinstance(error, kind)
    assert words in one_line(error, server.url)


def test_a_well_behaved_stream_is_answered_and_saved(
        misbehaving: list, tmp_path: Path, store: ConversationStore) -> None:
    server = MisbehavingServer("fine")
    misbehaving.append(server)
    host = host_on(server, tmp_path)
    assert host.card.name == MODEL and host.card.engine == server.url
    conversation = store.create("remote")
    reply = ChatSession(host, store, conversation, options=OPTIONS).ask("Hello?")
    assert "".join(reply) == "Hello there."
    assert reply.result.finish_reason == "stop" and reply.result.completion_tokens == 2  # two pieces of text
    saved = store.messages(conversation)[-1]
    assert (saved.role, saved.content, saved.model, saved.cut) == ("assistant", "Hello there.", MODEL, False)


def test_a_server_that_refuses_llama_cpp_s_own_fields_is_asked_without_them(
        misbehaving: list, tmp_path: Path, store: ConversationStore) -> None:
    server = MisbehavingServer("strict")
    misbehaving.append(server)
    host = host_on(server, tmp_path)
    session = ChatSession(host, store, store.create("remote"), options=OPTIONS)
    assert "".join(session.ask("Hello?")) == "Hello there."
    assert "".join(session.ask("Again?")) == "Hello there."
    sent = [json.loads(body) for body in server.bodies if b"messages" in body]
    assert ["top_k" in body for body in sent] == [True, False, False]  # refused once, then never sent
    assert all(body["temperature"] == 0 and body["max_tokens"] == 40 for body in sent)


def test_a_400_for_another_reason_is_said(misbehaving: list, tmp_path: Path,
                                          store: ConversationStore) -> None:
    server = MisbehavingServer("strict-and-too-long")
    misbehaving.append(server)
    error = ask_and_fail(host_on(server, tmp_path), store, "Hello?")
    assert "HTTP 400: This model's maximum context length is 2048 tokens" in one_line(error, server.url)


def test_cancel_closes_a_silent_stream_at_once_and_keeps_the_cut_answer(
        misbehaving: list, tmp_path: Path, store: ConversationStore) -> None:
    server = MisbehavingServer("stalls")  # one piece, then nothing, the connection open
    misbehaving.append(server)
    host = host_on(server, tmp_path, read_s=30.0)
    conversation = store.create("remote")
    reply = ChatSession(host, store, conversation, options=OPTIONS).ask("Hello?")
    pieces = iter(reply)
    assert next(pieces) == "Hello"
    threading.Timer(0.3, reply.cancel).start()  # while the read waits for a byte that never comes
    started = time.perf_counter()
    assert list(pieces) == []
    assert time.perf_counter() - started < 2  # not the 30 s read timeout
    saved = store.messages(conversation)[-1]
    assert (saved.content, saved.cut) == ("Hello", True)


def test_cancel_while_the_server_has_sent_nothing_yet_is_at_once(
        misbehaving: list, tmp_path: Path, store: ConversationStore) -> None:
    server = MisbehavingServer("silent")  # as llama.cpp reading a long prompt: not even headers
    misbehaving.append(server)
    host = host_on(server, tmp_path, read_s=30.0)
    conversation = store.create("remote")
    reply = ChatSession(host, store, conversation, options=OPTIONS).ask("Hello?")
    threading.Timer(0.5, reply.cancel).start()
    started = time.perf_counter()
    assert list(reply) == []
    assert time.perf_counter() - started < 3  # not the 30 s read timeout
    assert reply.result.finish_reason == "cancelled"
    assert [(m.role, m.cut) for m in store.messages(conversation)] == [("user", False), ("assistant", True)]


def test_cancel_hangs_up_on_a_server_still_writing(misbehaving: list, tmp_path: Path,
                                                   store: ConversationStore) -> None:
    server = MisbehavingServer("endless")
    misbehaving.append(server)
    host = host_on(server, tmp_path)
    reply = ChatSession(host, store, store.create("remote"),
                        options=GenerationOptions(max_tokens=4000, repetition_tokens=None)).ask("Go on.")
    for count, _piece in enumerate(reply, start=1):
        if count == 3:
            reply.cancel()
    assert reply.result.finish_reason == "cancelled"
    assert server.hung_up.wait(5)  # its next write met a closed connection: it stops there


@pytest.mark.parametrize(("typed", "root"), [
    ("127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("http://gpu-box:8000/v1/", "http://gpu-box:8000"),
    ("https://example.org/llm/v1", "https://example.org/llm"),
])
def test_an_address_is_taken_as_typed_or_as_the_api_base(typed: str, root: str) -> None:
    assert engine_root(typed) == root


@pytest.mark.parametrize(("typed", "words"), [
    ("http://ada:hunter2@127.0.0.1:8080", "holds a user name or password"),
    ("ftp://127.0.0.1/", "only http:// and https://"),
    ("http://127.0.0.1:port/", "not a valid address"),
])
def test_an_address_that_cannot_be_used_is_refused(typed: str, words: str) -> None:
    with pytest.raises(EngineAddressInvalid) as raised:
        EngineClient(typed)
    assert words in str(raised.value) and "hunter2" not in str(raised.value)
