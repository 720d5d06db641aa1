"""Saved prefix states: the documents are read once, saved, and restored instead of read again, in
a fresh model and in a new process; a damaged file or one from another model is never loaded."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

from engine.chat_session import ChatSession
from engine.document_context import document_context
from engine.generation import GenerationOptions
from engine.loader import LoadOptions
from engine.model_host import ModelHost
from engine.state_cache import StateCache
from storage import ConversationStore, DocumentStore, open_database
from storage.model_states import StateIndex
from tests.engine.documents_fixtures import NEEDLE_ANSWER, NEEDLE_QUESTION, document_with_needle
from tests.engine.stored_documents import store_pinned


def ask(host: ModelHost, home: Path, document_id: int, question: str = NEEDLE_QUESTION):
    db = open_database(home / "longwit.db")
    conversations, documents = ConversationStore(db), DocumentStore(db)
    context = document_context(documents, [document_id], home, home / "longwit.db")
    session = ChatSession(host, conversations, conversations.create(),
                          options=GenerationOptions(max_tokens=24, temperature=0), documents=context)
    read_once(session)
    reply = session.ask(question)
    reply.finish()
    return reply


def read_once(session: ChatSession) -> None:
    """The state cache is what these tests are about: each question is read once (the later
    readings, and the state put back after them, are tests/engine/test_rereading.py's)."""
    assert session.packer is not None
    session.packer.options = replace(session.packer.options, rereading=False)


def fresh_host(models_dir: Path, model: str | None = None, n_ctx: int = 4096) -> ModelHost:
    host = ModelHost(models_dir)
    host.load(model, LoadOptions(n_ctx=n_ctx))
    return host


def test_prefix_is_saved_then_restored_by_a_fresh_model(longwit_home: Path, models_dir: Path):
    document_id = store_pinned(longwit_home, document_with_needle(chunk_count=12, depth=0.4))
    first_host = fresh_host(models_dir)
    try:
        first = ask(first_host, longwit_home, document_id)
        warm = ask(first_host, longwit_home, document_id, "Who repaired the broken clock?")
    finally:
        first_host.close()
    assert first.prefix is not None and first.prefix.how == "prefilled"
    assert warm.prefix is not None and warm.prefix.how == "warm"
    (state,) = (longwit_home / "states").glob("*.state")
    assert stat.S_IMODE(state.stat().st_mode) == 0o600  # a document's state holds its text
    second_host = fresh_host(models_dir)
    try:
        restored = ask(second_host, longwit_home, document_id)
    finally:
        second_host.close()
    assert restored.prefix is not None and restored.prefix.how == "restored"
    assert restored.result is not None and restored.context is not None
    assert restored.result.cached_tokens >= restored.context.prefix_tokens
    assert restored.result.prefilled_tokens < restored.context.prefix_tokens / 4
    assert NEEDLE_ANSWER in restored.text  # the restored cache holds the real document


def test_damaged_state_file_is_rebuilt_not_loaded(longwit_home: Path, models_dir: Path) -> None:
    document_id = store_pinned(longwit_home, document_with_needle(chunk_count=8, depth=0.5))
    host = fresh_host(models_dir)
    try:
        ask(host, longwit_home, document_id)
        (state,) = (longwit_home / "states").glob("*.state")
        data = bytearray(state.read_bytes())
        data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)  # zero a stretch of the KV cache
        state.write_bytes(bytes(data))
        host.forget_cache()
        again = ask(host, longwit_home, document_id)
    finally:
        host.close()
    assert again.prefix is not None and again.prefix.how == "prefilled"
    assert NEEDLE_ANSWER in again.text
    index = StateIndex(open_database(longwit_home / "longwit.db"))
    (saved,) = index.oldest_first()
    assert saved.size_bytes == state.stat().st_size  # the rebuilt file replaced the damaged one
    assert index.documents_of(saved.key) == [document_id]  # removing the document drops it


def test_state_of_another_model_is_never_used(longwit_home: Path, models_dir: Path) -> None:
    document_id = store_pinned(longwit_home, document_with_needle(chunk_count=8, depth=0.5))
    smol = fresh_host(models_dir)
    try:
        ask(smol, longwit_home, document_id)
    finally:
        smol.close()
    gemma = fresh_host(models_dir, "gemma-3-270m")
    try:
        other = ask(gemma, longwit_home, document_id)
    finally:
        gemma.close()
    assert other.prefix is not None and other.prefix.how == "prefilled"
    assert len(list((longwit_home / "states").glob("*.state"))) == 2


def test_least_recently_used_states_leave_first(longwit_home: Path, models_dir: Path) -> None:
    host = fresh_host(models_dir)
    try:
        first = store_pinned(longwit_home, document_with_needle(chunk_count=6, depth=0.1, seed=1))
        second = store_pinned(longwit_home, document_with_needle(chunk_count=6, depth=0.9, seed=2))
        ask(host, longwit_home, first)
        (only,) = (longwit_home / "states").glob("*.state")
        cache = StateCache(longwit_home / "states", longwit_home / "longwit.db",
                           max_bytes=int(only.stat().st_size * 1.5))
        host.call(lambda model: cache.index.touch(cache.index.oldest_first()[0].key))
        db = open_database(longwit_home / "longwit.db")
        context = document_context(DocumentStore(db), [second], longwit_home,
                                   longwit_home / "longwit.db")
        assert context is not None
        context.state_cache = cache
        conversations = ConversationStore(db)
        session = ChatSession(host, conversations, conversations.create(),
                              options=GenerationOptions(max_tokens=8), documents=context)
        read_once(session)
        session.ask("Anything about bridges?").finish()
    finally:
        host.close()
    remaining = list((longwit_home / "states").glob("*.state"))
    assert len(remaining) == 1 and remaining[0] != only
