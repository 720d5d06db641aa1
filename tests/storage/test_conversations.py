"""Conversations and messages are committed as they complete and found by full-text search."""

from __future__ import annotations

import pytest

from storage import ConversationNotFound, ConversationStore, MessageStats


def test_messages_keep_order_role_stats_and_cut_flag(store: ConversationStore) -> None:
    conversation = store.create(model="m")
    store.add_message(conversation, "user", "What is a lighthouse?")
    stats = MessageStats(prompt_tokens=40, completion_tokens=12, ttft_s=0.1, tokens_per_s=90.0,
                         duration_s=0.3)
    store.add_message(conversation, "assistant", "A tower with a lamp", model="m", stats=stats,
                      cut=True)
    first, second = store.messages(conversation)
    assert (first.role, first.cut, first.stats) == ("user", False, MessageStats())
    assert (second.role, second.cut, second.stats, second.model) == ("assistant", True, stats, "m")
    assert store.get(conversation).title == "What is a lighthouse?"
    assert store.get(conversation).message_count == 2


def test_search_finds_words_across_conversations_and_ignores_fts_syntax(
    store: ConversationStore,
) -> None:
    one, two = store.create(), store.create()
    store.add_message(one, "user", "Tell me about the lighthouses of Brittany")
    store.add_message(two, "assistant", "Brittany has many ports")
    store.add_message(two, "user", "unrelated words")
    hits = store.search("brittany")
    assert {hit.conversation_id for hit in hits} == {one, two}
    assert any("[lighthouses]" in hit.snippet for hit in store.search("lighthouse"))
    assert store.search('AND ( " * NEAR') == []
    assert store.search("   ") == []


def test_latest_and_list_follow_activity(store: ConversationStore) -> None:
    older, newer = store.create(), store.create()
    store.add_message(older, "user", "brought back to the top")
    assert store.latest_id() == older
    assert [c.id for c in store.list()] == [older, newer]


def test_delete_removes_messages_and_their_index_rows(store: ConversationStore) -> None:
    conversation = store.create()
    store.add_message(conversation, "user", "zanzibar")
    store.delete(conversation)
    assert store.search("zanzibar") == []
    assert store.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0
    with pytest.raises(ConversationNotFound, match="longwit history"):
        store.messages(conversation)


def test_message_for_missing_conversation_is_refused(store: ConversationStore) -> None:
    with pytest.raises(ConversationNotFound):
        store.add_message(999, "user", "orphan")


def test_list_carries_the_last_question_or_answer_as_a_preview(store: ConversationStore) -> None:
    talked, empty = store.create(), store.create()
    store.add_message(talked, "user", "Where is the lighthouse?")
    store.add_message(talked, "assistant", "On the northern reef. " + "More. " * 100)
    store.add_message(talked, "system", "not a turn")
    previews = {c.id: c.preview for c in store.list()}
    assert previews[talked].startswith("On the northern reef.") and len(previews[talked]) == 200
    assert previews[empty] == ""
    assert store.get(talked).preview == previews[talked]
