"""The remote engine against llama.cpp's own `llama-server` binary, where one is built or installed
(`make llama-server` puts it in .venv; else its path in LONGWIT_LLAMA_SERVER, or `llama-server` on
PATH; not a Python package, so a fresh machine and CI skip this module): the server shows its chat
template and tokenizer, so the prompt is rendered here and sent as tokens to /v1/completions. The
answer is the local model's own, the server reports how much of a document's prompt it reused, and a
cancel frees the server's slot."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx2
import pytest

from desktop.benchmarks.openai_servers import SERVER_CTX, command_server
from engine.chat_session import ChatSession
from engine.document_context import document_context
from engine.generation import GenerationOptions
from engine.model_host import ModelHost
from engine.remote.remote_model import COMPLETIONS, RemoteEngine
from storage import ConversationStore, DocumentStore
from tests.engine.documents_fixtures import NEEDLE_QUESTION, document_with_needle
from tests.engine.remote.conftest import connected_host
from tests.engine.stored_documents import store_pinned

BUILT = Path(__file__).parents[3] / ".venv" / "llama.cpp" / "bin" / "llama-server"
BINARY = os.environ.get("LONGWIT_LLAMA_SERVER") or (str(BUILT) if BUILT.is_file() else None) \
    or shutil.which("llama-server")
pytestmark = pytest.mark.skipif(BINARY is None, reason="no llama-server binary (`make llama-server`)")
GREEDY = GenerationOptions(max_tokens=24, temperature=0)


@pytest.fixture(scope="module")
def server_url(chat_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    assert BINARY is not None
    command = [BINARY, "-m", str(chat_model_path), "--host", "127.0.0.1", "-c", str(SERVER_CTX),
               "-np", "1", "-t", "2", "--no-webui"]
    with command_server(command, tmp_path_factory.mktemp("llama-server"), "llama-server") as server:
        yield server.url


@pytest.fixture
def remote(server_url: str, tmp_path: Path) -> Iterator[ModelHost]:
    with connected_host(RemoteEngine(server_url), tmp_path) as host:
        yield host


def test_the_prompt_is_rendered_here_and_the_answer_is_the_local_models(
        remote: ModelHost, host: ModelHost, store: ConversationStore) -> None:
    card = remote.card
    assert (card.n_ctx, card.ctx_source) == (SERVER_CTX, "the server's /props")
    assert card.chat_format == "the model's chat template"
    assert remote.call(lambda model: (model.sends, model.tokenizer.kind)) == (COMPLETIONS, "/tokenize")
    replies = []
    for model_host in (remote, host):
        reply = ChatSession(model_host, store, store.create("France"), options=GREEDY).ask(
            "What is the capital of France?")
        "".join(reply)
        replies.append(reply)
    # The server read exactly the prompt the local model reads (its own count, from its usage),
    # and, greedy, answered as the local model does (here, the same words; another llama.cpp
    # build may round differently).
    assert replies[0].result.prompt_tokens == replies[1].result.prompt_tokens > 20
    assert all("Paris" in reply.text for reply in replies)


def test_the_server_reuses_a_documents_prompt_for_the_next_question(
        remote: ModelHost, store: ConversationStore, longwit_home: Path) -> None:
    document_id = store_pinned(longwit_home, document_with_needle(chunk_count=5, depth=0.5))
    conversation = store.create("document")
    documents = DocumentStore(store.db)
    documents.pin(conversation, document_id)
    context = replace(document_context(documents, [document_id], longwit_home, store.path,
                                       str(remote.card.path)), usable_tokens=SERVER_CTX)
    session = ChatSession(remote, store, conversation,
                          options=GenerationOptions(max_tokens=8, temperature=0), documents=context)
    first = session.ask("Which vault is mentioned?")
    "".join(first)
    second = session.ask(NEEDLE_QUESTION)
    "".join(second)
    assert second.context.mode == "full"
    # The server's own count (llama.cpp's timings): the whole document prefix came from its cache.
    assert second.result.cached_tokens >= second.context.prefix_tokens > 500


def test_a_cancel_frees_the_servers_slot(remote: ModelHost, store: ConversationStore,
                                         server_url: str) -> None:
    reply = ChatSession(remote, store, store.create("dragon"), options=GenerationOptions(
        max_tokens=800, temperature=0.8, repetition_tokens=None)).ask("Write a long story about a dragon.")
    for count, _piece in enumerate(reply, start=1):
        if count == 3:
            reply.cancel()
    assert reply.result.finish_reason == "cancelled"
    deadline = time.monotonic() + 5
    while httpx2.get(server_url + "/slots", timeout=5).json()[0]["is_processing"]:
        assert time.monotonic() < deadline, "the server went on writing the cancelled answer"
        time.sleep(0.05)
