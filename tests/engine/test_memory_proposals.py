"""Proposals from what the person says: "remember that …" and its kin propose a memory, ordinary
messages and questions about remembering do not; nothing is accepted unless auto-save is on; and a
newer fact about the same subject replaces the older one (the subject rule, engine/memory_subjects)."""

from __future__ import annotations

import pytest

from engine.memory_proposals import heard_facts, propose_memories
from engine.memory_subjects import subject_of
from storage import ConversationStore
from storage.memory_store import ACCEPTED, PROPOSED, MemoryStore


@pytest.mark.parametrize(("message", "facts"), [
    ("Remember that my name is Ada.", ["My name is Ada"]),
    ("remember: I live in Lisbon", ["I live in Lisbon"]),
    ("Please remember my birthday is May 3. What is 2+2?", ["My birthday is May 3"]),
    ("Could you remember that I take my tea without sugar?", ["I take my tea without sugar"]),
    ("Oh, and Longwit, please remember that I am vegetarian!", ["I am vegetarian"]),
    ("Don\u2019t forget that my wife's name is Ann", ["My wife's name is Ann"]),
    ("Hi. Remember that I prefer short answers. Thanks!", ["I prefer short answers"]),
    ("Remember that I like tea. And remember that I hate spiders.", ["I like tea", "I hate spiders"]),
])
def test_remember_phrases_give_the_fact(message: str, facts: list[str]) -> None:
    assert heard_facts(message) == facts


@pytest.mark.parametrize("message", [
    "What is the capital of France?",
    "Do you remember that film we talked about?",
    "Remember that time we went to Rome?",
    "I remember that my grandmother baked bread.",
    "Summarise the remembered facts in this document.",
    "remember that.",
])
def test_ordinary_messages_propose_nothing(message: str) -> None:
    assert heard_facts(message) == []


@pytest.mark.parametrize(("fact", "subject"), [
    ("My name is Ada", "name"),
    ("Call me Bob", "name"),
    ("I live in Lisbon", "home"),
    ("I moved to Porto", "home"),
    ("I work at Acme", "employer"),
    ("I work as a nurse", "job"),
    ("I am 42", "age"),
    ("My favorite color is blue", "my favourite colour"),
    ("My favourite colour is red.", "my favourite colour"),
    ("My dog is called Rex", "my dog's name"),
    ("My dog's name is Max", "my dog's name"),
    ("My email address is ada@example.org", "my email address"),
    ("I prefer tea", None),  # "I prefer …" is about too many things to key
    ("My daughter is 5", None),
    ("I am tired", None),
])
def test_the_subject_rule(fact: str, subject: str | None) -> None:
    assert subject_of(fact) == subject


def test_a_remember_message_is_proposed_not_saved(store: ConversationStore) -> None:
    memories = MemoryStore(store.db)
    conversation = store.create()
    text = "Remember that my name is Ada."
    message = store.add_message(conversation, "user", text)
    [saved] = propose_memories(memories, text, message, auto_save=False)
    assert saved.memory.status == PROPOSED and saved.memory.text == "My name is Ada"
    assert saved.memory.source_message_id == message and saved.memory.subject == "name"
    assert memories.in_effect(conversation) == []
    assert propose_memories(memories, "What is my name?", None, auto_save=False) == []
    assert memories.proposals() == [saved.memory]


def test_with_auto_save_a_newer_fact_replaces_the_older_and_keeps_it(
    store: ConversationStore,
) -> None:
    memories = MemoryStore(store.db)
    [ada] = propose_memories(memories, "Remember that my name is Ada.", None, auto_save=True)
    [eve] = propose_memories(memories, "Please remember: my name is Eve", None, auto_save=True)
    assert ada.memory.status == eve.memory.status == ACCEPTED
    assert [old.id for old in eve.replaced] == [ada.memory.id]
    assert [m.text for m in memories.in_effect(None)] == ["My name is Eve"]
    assert [v.text for v in memories.history(eve.memory.id)] == ["My name is Ada"]
