"""A stored conversation exports to Markdown a person can read (roles, times, sources with their
passages) and to versioned JSON that carries everything an import needs; the file is written whole
or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storage import ConversationNotFound, ConversationStore
from storage.conversation_export import export_conversation, export_text, format_for
from storage.errors import ExportNotWritten
from tests.storage.conversation_samples import (
    PASSAGES,
    RECALLED,
    SPOKEN,
    STATS,
    TOLD_BEFORE,
    stored_sample,
)


def test_markdown_has_every_message_with_role_time_and_the_cited_passages(
        store: ConversationStore) -> None:
    sample = stored_sample(store.db)
    text = export_text(store.db, sample.conversation_id, "markdown")
    created = store.messages(sample.conversation_id)[0].created
    assert text.startswith("# Who kept the light?\n")
    assert "Documents: *Velmora harbour records*." in text
    assert f"## You · {created[:10]} {created[11:16]} UTC · spoken\n\nWho kept the light?" in text
    assert "## Longwit · " in text and " · smollm2-135m-instruct\n\nAnsel Marrow kept it [1]" in text
    assert "- [1] **Velmora harbour records**, p. 3\n" in text
    assert "- [2] **Velmora harbour records**, p. 2 (matched by wording)" in text
    assert "  > Its lighthouse keeper, Ansel Marrow,\n  > kept a diary of every ship that passed." in text
    assert PASSAGES[0] in text
    assert "stopped before the end\n\nYes, every ship" in text
    assert ("**Recalled from earlier**\n\n- (recalled 1) conversation 1 'Family' (3 Nov 2026), "
            f"message 1\n\n  > {TOLD_BEFORE}") in text


def test_json_carries_messages_citations_with_passages_and_word_timings(
        store: ConversationStore) -> None:
    sample = stored_sample(store.db)
    found = json.loads(export_text(store.db, sample.conversation_id, "json"))
    assert (found["format"], found["version"], found["title"]) == (
        "longwit-conversation", 1, "Who kept the light?")
    assert found["pinned_documents"] == [
        {"title": "Velmora harbour records", "sha256": "5eed" * 16, "kind": "pdf"}]
    question, answer, _, cut = found["messages"]
    assert [m["role"] for m in found["messages"]] == ["user", "assistant", "user", "assistant"]
    assert question["words"] == [{"word": w.word, "start_s": w.start_s, "end_s": w.end_s,
                                  "probability": w.probability} for w in SPOKEN]
    assert answer["model"] == "smollm2-135m-instruct" and answer["stats"]["cached_tokens"] == 280
    assert answer["stats"]["tokens_per_s"] == STATS.tokens_per_s and answer["words"] == []
    first = answer["citations"][0]
    assert first == {
        "number": 1, "how": "cited", "passage": PASSAGES[1],
        "document": {"title": "Velmora harbour records", "sha256": "5eed" * 16},
        "location": {"page": 3, "section": None, "line": None, "start_s": None, "end_s": None,
                     "label": "p. 3"},
    }
    assert answer["citations"][1]["how"] == "matched" and cut["cut"] is True
    assert all(m["created"] for m in found["messages"])
    assert answer["recalled"] == [  # by their words: the links mean nothing in another database
        {"number": r.ordinal, "kind": r.kind, "label": r.label, "text": r.text, "title": r.title,
         "place": r.place} for r in RECALLED]
    assert question["recalled"] == []


def test_export_writes_the_format_its_suffix_names(store: ConversationStore, tmp_path: Path) -> None:
    sample = stored_sample(store.db)
    out = tmp_path / "out"
    out.mkdir()
    written = export_conversation(store.db, sample.conversation_id, out / "talk.json")
    assert (written.format, written.message_count, written.title) == ("json", 4, "Who kept the light?")
    assert json.loads((out / "talk.json").read_text(encoding="utf-8"))["version"] == 1
    export_conversation(store.db, sample.conversation_id, out / "talk.md")
    assert (out / "talk.md").read_text(encoding="utf-8").startswith("# Who kept")
    assert sorted(p.name for p in out.iterdir()) == ["talk.json", "talk.md"]  # no leftovers
    assert (format_for(Path("a.MARKDOWN")), format_for(Path("a.txt"), "json")) == ("markdown", "json")


def test_export_to_a_folder_that_is_not_there_says_so(store: ConversationStore, tmp_path: Path) -> None:
    sample = stored_sample(store.db)
    with pytest.raises(ExportNotWritten, match="choose a folder you can write to"):
        export_conversation(store.db, sample.conversation_id, tmp_path / "missing" / "talk.md")


def test_exporting_an_unknown_conversation_names_the_command_that_lists_them(
        store: ConversationStore) -> None:
    with pytest.raises(ConversationNotFound, match="longwit history"):
        export_text(store.db, 404, "json")
