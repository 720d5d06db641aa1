"""Facts the person stated about themselves, found when a conversation ends: which clauses count
(first-person facts with a subject, lasting preferences) and which do not (questions, hypotheticals,
stories, the model's words, "I like it"), and that a fact once rejected is not proposed again."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.memory_extraction import conversation_facts, propose_stated_facts, stated_facts
from storage import open_database
from storage.memory_store import ACCEPTED, PROPOSED, MemoryStore


@pytest.mark.parametrize(("message", "facts"), [
    ("My name is Ada, and I live in Leeds.", [("My name is Ada", "name"), ("I live in Leeds", "home")]),
    ("I am vegetarian and I work as a nurse.", [("I am vegetarian", None), ("I work as a nurse", "job")]),
    ("My wife's name is Jo; my dog is called Rex", [("My wife's name is Jo", "my wife's name"),
                                                    ("My dog is called Rex", "my dog's name")]),
    ("I prefer short answers. What is the capital of France?", [("I prefer short answers", None)]),
    ("I live in Leeds but I work at the BBC.", [("I live in Leeds", "home"),
                                                ("I work at the BBC", "employer")]),
    ("i’m allergic to peanuts", [("I'm allergic to peanuts", None)]),
    ("What is my name?", []),
    ("If my name were Bob, what would you call me?", []),
    ("Write a story where my name is Bob.", []),
    ("I'm a bit confused about this.", []),
    ("I like it.", []),
    ("I really like how you explain things.", []),
    ("Summarize the document in three sentences.", []),
    ("The report says my name is on page 3.", []),
])
def test_which_clauses_are_facts(message: str, facts: list[tuple[str, str | None]]) -> None:
    assert stated_facts(message) == facts


def test_only_the_persons_messages_count_and_each_fact_once() -> None:
    messages = [
        (1, "user", "Hello. My name is Ada."),
        (2, "assistant", "Nice to meet you! My name is Longwit and I live in your computer."),
        (3, "user", "Remember that I live in Leeds. I prefer short answers."),
        (4, "user", "my name is Ada"),
    ]
    found = conversation_facts(messages)
    assert [(f.text, f.message_id) for f in found] == [("I prefer short answers", 3),
                                                        ("My name is Ada", 4)]
    # "I live in Leeds" was asked to be remembered: that proposal stands; it is not proposed twice.


def test_proposed_once_rejected_never_again_and_saved_with_auto_save(tmp_path: Path) -> None:
    store = MemoryStore(open_database(tmp_path / "longwit.db"))
    said = [(None, "user", "My name is Ada and I prefer tea.")]
    first = propose_stated_facts(store, said, auto_save=False)
    assert [(s.memory.text, s.memory.status) for s in first] == [("My name is Ada", PROPOSED),
                                                                ("I prefer tea", PROPOSED)]
    assert propose_stated_facts(store, said, auto_save=False) == []  # already proposed
    store.reject(first[1].memory.id)
    assert propose_stated_facts(store, said, auto_save=False) == []  # rejected: not asked again
    later = propose_stated_facts(store, [(None, "user", "My name is Eve.")], auto_save=True)
    assert [(s.memory.text, s.memory.status) for s in later] == [("My name is Eve", ACCEPTED)]
