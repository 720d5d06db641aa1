"""The remote engine against a real OpenAI-compatible server: llama.cpp's, as llama-cpp-python's
`llama_cpp.server` runs it, serving the bundled SmolLM2 on 127.0.0.1. A chat, a streamed answer
cancelled by closing its stream, questions about a document (passages, and the server's prompt
cache reused for a second question), deliberate mode and a spoken turn all go through it, with the
same session, packer and database as the local model."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import httpx2
import pytest

from desktop.benchmarks.openai_servers import ALIAS, SERVER_CTX, RunningServer
from engine.chat_session import ChatSession
from engine.deliberation import Deliberation
from engine.document_context import document_context
from engine.generation import GenerationOptions
from engine.model_host import ModelHost
from engine.remote.remote_model import CHAT, DEFAULT_CTX, RemoteEngine
from engine.remote.remote_tokens import ServerTokenizer
from storage import ConversationStore, DocumentStore
from tests.engine.documents_fixtures import NEEDLE_ANSWER, NEEDLE_QUESTION, document_with_needle
from tests.engine.remote.remote_turns import assert_spoken_turn_is_answered, cancel_a_long_story
from tests.engine.stored_documents import store_pinned

GREEDY = GenerationOptions(max_tokens=24, temperature=0)


def test_connecting_learns_the_model_its_tokenizer_and_where_its_window_came_from(
        engine_server: RunningServer, remote_host: ModelHost, host: ModelHost, tmp_path: Path) -> None:
    card = remote_host.card
    assert (card.name, card.engine, card.n_ctx, card.ctx_source) == (ALIAS, engine_server.url,
                                                                      SERVER_CTX, "--ctx")
    text = "The lighthouse keeper's cat slept on the stairs."
    remote = remote_host.call(lambda model: (model.sends, model.tokenizer, model.count_tokens(text)))
    sends, tokenizer, count = remote
    assert sends == CHAT  # llama-cpp-python shows no chat template: the server applies its own
    assert isinstance(tokenizer, ServerTokenizer) and tokenizer.kind == "/extras/tokenize"
    assert count == host.call(lambda model: model.count_tokens(text))  # the model's own tokens
    unsaid = ModelHost(tmp_path / "models")
    try:
        told = unsaid.connect(RemoteEngine(engine_server.url))  # llama-cpp-python does not say
        assert told.n_ctx == DEFAULT_CTX and "give --ctx" in told.ctx_source
    finally:
        unsaid.close()


def test_a_chat_is_streamed_through_the_server_and_saved(remote_host: ModelHost, host: ModelHost,
                                                          store: ConversationStore) -> None:
    conversation = store.create("remote")
    session = ChatSession(remote_host, store, conversation, options=GREEDY)
    reply = session.ask("What is the capital of France?")
    pieces = list(reply)
    assert len(pieces) > 3 and "Paris" in "".join(pieces)
    result = reply.result
    assert result.finish_reason in ("stop", "length") and result.ttft_s is not None
    assert result.prompt_tokens > 20 and result.completion_tokens >= len(pieces) - 1
    question, answer = store.messages(conversation)
    assert question.content == "What is the capital of France?"
    assert (answer.role, answer.content, answer.model) == ("assistant", "".join(pieces), ALIAS)
    assert answer.stats.prompt_tokens == result.prompt_tokens
    follow = session.ask("And of Italy?")
    assert "".join(follow).strip() and len(store.messages(conversation)) == 4


def test_a_cancelled_answer_closes_its_stream_and_the_server_stops(
        engine_server: RunningServer, remote_host: ModelHost, store: ConversationStore) -> None:
    reply, stopping_s = cancel_a_long_story(remote_host, store, "remote")
    assert stopping_s < 1.0
    saved = store.messages(reply.session.conversation_id)[-1]
    assert saved.cut and saved.content == reply.text and reply.result.completion_tokens < 20
    # The server saw the client go and freed its model: the next answer starts at once, where
    # 600 tokens still being written would have held it for many seconds.
    deadline = time.monotonic() + 5
    while "Disconnected from client" not in engine_server.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Disconnected from client" in engine_server.output()
    quick = ChatSession(remote_host, store, store.create("next"),
                        options=GenerationOptions(max_tokens=4, temperature=0)).ask("Hi")
    "".join(quick)
    assert quick.result.ttft_s < 4.0


@pytest.mark.slow  # a few seconds of pre-fill on a quiet machine; a minute on a busy one
def test_a_question_about_a_long_document_goes_in_passage_mode(
        remote_host: ModelHost, store: ConversationStore, longwit_home: Path) -> None:
    document = document_with_needle(chunk_count=24, depth=0.6)  # ~4K tokens: over the 2K window
    document_id = store_pinned(longwit_home, document)
    conversation = store.create("remote")
    documents = DocumentStore(store.db)
    documents.pin(conversation, document_id)
    context = document_context(documents, [document_id], longwit_home, store.path,
                               str(remote_host.card.path))
    session = ChatSession(remote_host, store, conversation,
                          options=GenerationOptions(max_tokens=40, temperature=0), documents=context)
    assert session.state_cache is None  # no local KV cache to save for a remote engine
    reply = session.ask(NEEDLE_QUESTION)
    "".join(reply)
    assert reply.context is not None and reply.context.mode == "passages"
    assert any(NEEDLE_ANSWER in passage.chunk.text for passage in reply.context.sources)
    assert reply.result.prompt_tokens <= SERVER_CTX and reply.message_id is not None
    # Its size in the server's tokens is recorded for this model, as for a local one.
    assert documents.token_count(document_id, str(remote_host.card.path)) > 2048


@pytest.mark.slow
def test_a_second_question_on_a_document_reuses_the_servers_prompt_cache(
        engine_server: RunningServer, remote_host: ModelHost, store: ConversationStore,
        longwit_home: Path) -> None:
    document_id = store_pinned(longwit_home, document_with_needle(chunk_count=5, depth=0.5))
    conversation = store.create("remote")
    documents = DocumentStore(store.db)
    documents.pin(conversation, document_id)
    context = document_context(documents, [document_id], longwit_home, store.path,
                               str(remote_host.card.path))
    # As if the model read 2K reliably (`longwit probe` measures a local file only): the ~900-token
    # document goes in whole, as the stable prefix the server keeps from one question to the next.
    context = replace(context, usable_tokens=2048)
    session = ChatSession(remote_host, store, conversation, options=GenerationOptions(
        max_tokens=8, temperature=0), documents=context)
    first = session.ask("Which vault is mentioned?")
    "".join(first)
    before = len(engine_server.prefix_hits())
    second = session.ask(NEEDLE_QUESTION)
    "".join(second)
    assert first.context.mode == second.context.mode == "full"
    # The server read the document once: for the second question it reused at least the
    # system prompt and document (the prefix, as counted here with its tokenizer), most of the prompt.
    hits = engine_server.prefix_hits()[before:]
    assert hits and hits[-1] >= 0.9 * second.context.prefix_tokens > 500, hits
    assert hits[-1] > second.result.prompt_tokens / 2


def test_deliberate_mode_samples_through_the_server(remote_host: ModelHost,
                                                    store: ConversationStore) -> None:
    conversation = store.create("remote")
    deliberation = Deliberation(2)
    reply = ChatSession(remote_host, store, conversation, options=replace(GREEDY, max_tokens=12)).ask(
        "Name a primary colour.", deliberation=deliberation)
    text = "".join(reply)
    assert len(deliberation.answers) == 2 and text.strip()
    assert deliberation.groups is not None and reply.message_id is not None


def test_a_spoken_turn_is_answered_through_the_server(remote_host: ModelHost,
                                                       store: ConversationStore) -> None:
    assert_spoken_turn_is_answered(remote_host, store, ALIAS, GREEDY)


def test_the_server_lists_its_model(engine_server: RunningServer) -> None:
    listed = httpx2.get(engine_server.url + "/v1/models", timeout=5).json()
    assert [m["id"] for m in listed["data"]] == [ALIAS]
