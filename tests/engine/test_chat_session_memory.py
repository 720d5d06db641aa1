"""Memories in real chat turns with the bundled model: an accepted memory is in the prompt the model
reads (a proposal, another conversation's memory or a session without memory puts nothing there), a
"remember that …" question comes back as a proposal, auto-save puts the fact in the same turn, the
prefix stays cached while memories do not change, memories left out are told, and a document session
carries the memories in its saved prefix. Assertions are on the prompt, not on what a 135M model says."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.chat_session import ChatSession
from engine.document_context import document_context
from engine.generation import GenerationOptions
from engine.memory_context import CLOSE, OPEN
from engine.model_host import ModelHost
from engine.reply import Reply
from storage import ConversationStore, DocumentStore
from storage.memory_store import ACCEPTED, PROPOSED, MemoryStore
from tests.engine.documents_fixtures import document_with_needle
from tests.engine.stored_documents import store_pinned

SHORT = GenerationOptions(max_tokens=8, temperature=0)


@pytest.fixture
def memories(store: ConversationStore) -> MemoryStore:
    return MemoryStore(store.db)


def prompt_text(host: ModelHost, tokens: list[int]) -> str:
    return host.call(lambda model: model.llama.detokenize(tokens, special=True).decode("utf-8"))


def fence(prompt: str) -> str:
    """What the prompt holds between the memory delimiters ("" without them)."""
    if OPEN not in prompt:
        return ""
    return prompt.split(OPEN, 1)[1].split(CLOSE, 1)[0]


def asked(session: ChatSession, question: str) -> Reply:
    reply = session.ask(question)
    reply.finish()
    return reply


def test_an_accepted_memory_is_in_the_prompt_and_nothing_else_is(
    host: ModelHost, store: ConversationStore, memories: MemoryStore,
) -> None:
    conversation, other = store.create(), store.create()
    memories.add("My name is Ada")
    memories.add("This chat is about sailing", conversation_id=conversation)
    memories.add("The other chat is about chess", conversation_id=other)
    memories.propose("I live in Lisbon")
    session = ChatSession(host, store, conversation, options=SHORT, memory=True)
    reply = asked(session, "Remember that my favourite colour is green. What is my name?")
    assert session.last_packing is not None and reply.result is not None
    tokens = session.last_packing.tokens
    assert reply.result.prompt_tokens == len(tokens)
    inside = fence(prompt_text(host, tokens))
    assert inside.splitlines()[1:] == ["- This chat is about sailing", "- My name is Ada"]
    [proposal] = reply.proposals
    assert proposal.memory.status == PROPOSED and proposal.memory.text == "My favourite colour is green"
    assert "Lisbon" not in inside and "chess" not in inside and "green" not in inside
    assert reply.memory is not None and reply.memory.left_out == []
    assert reply.memory.used == sum(reply.memory.costs.values())


def test_a_session_without_memory_leaves_the_prompt_and_the_memories_alone(
    host: ModelHost, store: ConversationStore, memories: MemoryStore,
) -> None:
    memories.add("My name is Ada")
    session = ChatSession(host, store, store.create(), options=SHORT)
    reply = asked(session, "Remember that I live in Lisbon.")
    assert session.last_packing is not None
    assert OPEN not in prompt_text(host, session.last_packing.tokens)
    assert reply.proposals == [] and memories.proposals() == []


def test_with_auto_save_the_fact_is_in_the_same_turn_and_replaces_the_older(
    host: ModelHost, store: ConversationStore, memories: MemoryStore,
) -> None:
    memories.change_settings(auto_save=True)
    memories.add("My name is Ada", subject="name")
    session = ChatSession(host, store, store.create(), options=SHORT, memory=True)
    reply = asked(session, "Please remember: my name is Eve.")
    [saved] = reply.proposals
    assert saved.memory.status == ACCEPTED and [m.text for m in saved.replaced] == ["My name is Ada"]
    assert session.last_packing is not None
    inside = fence(prompt_text(host, session.last_packing.tokens))
    assert "- My name is Eve" in inside and "Ada" not in inside


def test_the_prefix_stays_cached_until_a_memory_changes(
    host: ModelHost, store: ConversationStore, memories: MemoryStore,
) -> None:
    memories.add("My name is Ada")
    session = ChatSession(host, store, store.create(), options=SHORT, memory=True)
    first = asked(session, "Hello there.")
    second = asked(session, "How are you?")
    assert first.result is not None and second.result is not None
    assert second.result.cached_tokens >= first.result.prompt_tokens - 1
    memories.add("I live in Lisbon")
    third = asked(session, "Where do I live?")
    assert third.result is not None and session.last_packing is not None
    assert "- I live in Lisbon" in fence(prompt_text(host, session.last_packing.tokens))
    assert third.result.cached_tokens < second.result.prompt_tokens  # the system prompt changed


def test_memories_over_the_budget_are_told_not_dropped_silently(
    host: ModelHost, store: ConversationStore, memories: MemoryStore,
) -> None:
    memories.change_settings(budget_tokens=8)
    kept = memories.add("My name is Ada", pinned=True).memory
    left = memories.add("I live in Lisbon, in a yellow house by the river").memory
    session = ChatSession(host, store, store.create(), options=SHORT, memory=True)
    reply = asked(session, "Hello.")
    assert reply.memory is not None
    assert reply.memory.included == [kept] and reply.memory.left_out == [left]
    assert any(f"#{left.id}" in notice and "8-token" in notice for notice in reply.notices)


def test_a_document_session_carries_the_memories_in_its_saved_prefix(
    host: ModelHost, store: ConversationStore, memories: MemoryStore,
) -> None:
    memories.add("My name is Ada")
    home = Path(store.path).parent
    document_id = store_pinned(home, document_with_needle(chunk_count=3, depth=0.5))
    context = document_context(DocumentStore(store.db), [document_id], home, store.path)
    session = ChatSession(host, store, store.create(), options=SHORT, documents=context,
                          memory=True)
    prefilled = session.prefill()
    reply = asked(session, "What is the access code?")
    assert prefilled is not None and reply.context is not None
    assert "- My name is Ada" in fence(reply.context.prefix_text)
    assert reply.context.prefix_text == prefilled.prefix_text
    prefix = reply.context.prefix_tokens
    assert reply.context.tokens[:prefix] == prefilled.tokens[:prefix]
    assert reply.result is not None and reply.result.cached_tokens >= prefix
