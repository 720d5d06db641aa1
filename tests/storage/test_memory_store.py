"""Memories in a real SQLite file: they round-trip, keep their earlier texts when edited or replaced
by a newer fact about the same subject, belong to everywhere or one conversation (and go with it),
wait as proposals until accepted, and their settings persist."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import ConversationStore, open_database
from storage.errors import ConversationNotFound, MemoryEmpty, MemoryNotFound, MemoryNotProposed
from storage.memory_store import (
    ACCEPTED,
    DEFAULT_BUDGET_TOKENS,
    EDITED,
    PROPOSED,
    REJECTED,
    REPLACED,
    MemoryStore,
)


@pytest.fixture
def memories(store: ConversationStore) -> MemoryStore:
    return MemoryStore(store.db)


def test_a_memory_round_trips_through_a_reopened_database(longwit_home: Path) -> None:
    path = longwit_home / "longwit.db"
    saved = MemoryStore(open_database(path)).add("My name is Ada", pinned=True, subject="name")
    reopened = MemoryStore(open_database(path)).get(saved.memory.id)
    assert reopened == saved.memory
    assert (reopened.text, reopened.pinned, reopened.status, reopened.subject) == (
        "My name is Ada", True, ACCEPTED, "name")
    assert reopened.conversation_id is None and reopened.scope == "everywhere"


def test_edit_keeps_the_earlier_text_in_the_history(memories: MemoryStore) -> None:
    first = memories.add("I like tea").memory
    edited = memories.edit(first.id, "I like green tea")
    assert edited.id == first.id and edited.text == "I like green tea"
    [version] = memories.history(first.id)
    assert (version.text, version.how, version.written) == ("I like tea", EDITED, first.updated)
    assert version.replaced == edited.updated


def test_a_newer_fact_about_the_same_subject_replaces_the_older_and_keeps_it(
    memories: MemoryStore,
) -> None:
    ada = memories.add("My name is Ada", subject="name", pinned=True).memory
    memories.edit(ada.id, "My name is Ada L.", subject="name")
    other = memories.add("I live in Lisbon", subject="home").memory
    eve = memories.add("My name is Eve", subject="name")
    assert [old.id for old in eve.replaced] == [ada.id]
    assert eve.memory.pinned  # the pin carries over to the fact that replaced it
    assert [m.text for m in memories.in_effect(None)] == ["My name is Eve", "I live in Lisbon"]
    history = memories.history(eve.memory.id)
    assert [(v.text, v.how) for v in history] == [("My name is Ada", EDITED),
                                                  ("My name is Ada L.", REPLACED)]
    with pytest.raises(MemoryNotFound):
        memories.get(ada.id)
    assert memories.get(other.id).text == "I live in Lisbon"


def test_facts_without_a_subject_never_replace_each_other(memories: MemoryStore) -> None:
    memories.add("I like tea")
    memories.add("I like coffee")
    assert len(memories.in_effect(None)) == 2


def test_an_explicit_replacement_works_whatever_the_subject(memories: MemoryStore) -> None:
    old = memories.add("I like tea").memory
    new = memories.add("I like coffee now", replaces=[old.id])
    assert [m.id for m in new.replaced] == [old.id]
    assert [v.text for v in memories.history(new.memory.id)] == ["I like tea"]
    with pytest.raises(MemoryNotFound):
        memories.add("Something", replaces=[999])
    assert [m.text for m in memories.in_effect(None)] == ["I like coffee now"]  # nothing half-done


def test_a_conversation_memory_is_not_seen_elsewhere_and_goes_with_its_conversation(
    store: ConversationStore, memories: MemoryStore,
) -> None:
    one, two = store.create(), store.create()
    everywhere = memories.add("I live in Lisbon").memory
    here = memories.add("This chat is about my thesis", conversation_id=one).memory
    memories.edit(here.id, "This chat is about my thesis on whales")
    assert [m.id for m in memories.in_effect(one)] == [here.id, everywhere.id]
    assert [m.id for m in memories.in_effect(two)] == [everywhere.id]
    assert [m.id for m in memories.in_effect(None)] == [everywhere.id]
    store.delete(one)
    assert [m.id for m in memories.everything()] == [everywhere.id]
    remaining = memories.db.execute("SELECT COUNT(*) FROM memory_history").fetchone()[0]
    assert remaining == 0
    with pytest.raises(ConversationNotFound):
        memories.add("Anything", conversation_id=one)


def test_the_same_subject_in_another_scope_is_not_replaced(
    store: ConversationStore, memories: MemoryStore,
) -> None:
    conversation = store.create()
    memories.add("My name is Ada", subject="name")
    memories.add("My name is Captain Ada", subject="name", conversation_id=conversation)
    assert len(memories.in_effect(conversation)) == 2


def test_pinned_first_then_the_most_recently_written(memories: MemoryStore) -> None:
    oldest = memories.add("I like tea").memory
    pinned = memories.add("My name is Ada").memory
    newest = memories.add("I live in Lisbon").memory
    memories.pin(pinned.id)
    assert [m.id for m in memories.in_effect(None)] == [pinned.id, newest.id, oldest.id]
    memories.edit(oldest.id, "I like green tea")  # an edit makes it the newest
    assert [m.id for m in memories.in_effect(None)] == [pinned.id, oldest.id, newest.id]
    memories.pin(pinned.id, False)
    assert memories.in_effect(None)[0].id == oldest.id


def test_proposals_wait_for_a_yes_and_are_not_in_effect(
    store: ConversationStore, memories: MemoryStore,
) -> None:
    conversation = store.create()
    message = store.add_message(conversation, "user", "Remember that my name is Eve.")
    memories.add("My name is Ada", subject="name")
    proposed = memories.propose("My name is Eve", subject="name", source_message_id=message).memory
    assert proposed.status == PROPOSED and proposed.source_message_id == message
    assert [m.text for m in memories.in_effect(None)] == ["My name is Ada"]
    assert memories.proposals() == [proposed]
    accepted = memories.accept(proposed.id)
    assert accepted.memory.status == ACCEPTED and [m.text for m in accepted.replaced] == [
        "My name is Ada"]
    assert [m.text for m in memories.in_effect(None)] == ["My name is Eve"]
    assert memories.proposals() == []
    store.delete_from(message)  # the source message goes; the memory stays
    assert memories.get(proposed.id).source_message_id is None


def test_saying_the_same_fact_twice_proposes_it_once(memories: MemoryStore) -> None:
    first = memories.propose("My name is Eve")
    again = memories.propose("my name is  eve")
    assert first.new and not again.new and again.memory.id == first.memory.id
    memories.accept(first.memory.id)
    known = memories.propose("My name is Eve", accept=True)
    assert not known.new and known.memory.status == ACCEPTED
    assert len(memories.everything()) == 1


def test_auto_save_accepts_a_pending_proposal_of_the_same_fact(memories: MemoryStore) -> None:
    pending = memories.propose("I live in Lisbon").memory
    saved = memories.propose("I live in Lisbon", accept=True)
    assert saved.memory.id == pending.id and saved.memory.status == ACCEPTED


def test_reject_is_for_proposals_and_a_rejected_one_may_be_accepted_later(
    memories: MemoryStore,
) -> None:
    proposed = memories.propose("I have a cat").memory
    assert memories.reject(proposed.id).status == REJECTED
    assert memories.proposals() == [] and memories.in_effect(None) == []
    with pytest.raises(MemoryNotProposed, match="longwit memory forget"):
        memories.reject(proposed.id)
    assert memories.accept(proposed.id).memory.status == ACCEPTED


def test_forget_deletes_the_memory_and_its_history(memories: MemoryStore) -> None:
    memory = memories.add("I like tea").memory
    memories.edit(memory.id, "I like coffee")
    assert memories.forget(memory.id).text == "I like coffee"
    assert memories.everything() == []
    assert memories.db.execute("SELECT COUNT(*) FROM memory_history").fetchone()[0] == 0
    with pytest.raises(MemoryNotFound, match="longwit memory list"):
        memories.forget(memory.id)


def test_empty_text_is_refused(memories: MemoryStore) -> None:
    with pytest.raises(MemoryEmpty):
        memories.add("   ")
    with pytest.raises(MemoryEmpty):
        memories.edit(memories.add("I like tea").memory.id, "")


def test_settings_default_to_asking_and_persist(longwit_home: Path, memories: MemoryStore) -> None:
    assert memories.settings().auto_save is False
    assert memories.settings().budget_tokens == DEFAULT_BUDGET_TOKENS
    memories.change_settings(auto_save=True, budget_tokens=100)
    reopened = MemoryStore(open_database(longwit_home / "longwit.db")).settings()
    assert (reopened.auto_save, reopened.budget_tokens) == (True, 100)


def test_a_proposal_goes_with_the_words_it_was_heard_in(
        store: ConversationStore, memories: MemoryStore) -> None:
    """A voice turn taken back (the person talked through the pause it was answered at), or a last
    question edited: the messages go, and so does what was proposed from them; an accepted memory
    from them stays, no longer linked."""
    conversation = store.create()
    kept = store.add_message(conversation, "user", "Remember that I like tea.")
    taken_back = store.add_message(conversation, "user", "Remember that I live in Leeds")
    store.add_message(conversation, "assistant", "I will remember that.")
    before = memories.propose("I like tea", source_message_id=kept).memory
    proposed = memories.propose("I live in Leeds", source_message_id=taken_back).memory
    accepted = memories.propose("My cat is called Tom", source_message_id=taken_back, accept=True).memory
    store.delete_from(taken_back)
    assert [m.id for m in memories.proposals()] == [before.id]
    assert proposed.id not in [m.id for m in memories.everything()]
    assert memories.get(accepted.id).source_message_id is None
