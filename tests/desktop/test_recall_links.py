"""Where a recalled text's link leads, on a real database: the earlier message or the document's
passage while they are stored; once they are not (deleted since, or the answer imported from
another database), the words kept with the answer, as a quote."""

from __future__ import annotations

from pathlib import Path

from desktop.window.document_viewer import CitedPassage
from desktop.window.recall_links import RecalledMessage, find_recalled
from media.ingest import ingest_file
from media.reread import reread_document
from storage import ConversationStore, DocumentStore, open_database
from storage.conversation_archive import read_archive
from storage.conversation_export import export_text
from storage.conversation_import import import_archive
from storage.recalled_sources import PASSAGE, RecalledSource, RecalledSources
from tests.storage.conversation_samples import PASSAGES, TOLD_BEFORE, stored_sample


def test_links_follow_stored_sources_and_fall_back_to_the_kept_words(tmp_path: Path) -> None:
    db = open_database(tmp_path / "here" / "longwit.db")
    sample = stored_sample(db)
    message = find_recalled(db, sample.answer_id, 1)
    assert isinstance(message, RecalledMessage)
    assert ConversationStore(db).messages(message.conversation_id)[0].content == TOLD_BEFORE
    passage = find_recalled(db, sample.answer_id, 2)
    assert isinstance(passage, CitedPassage) and passage.whole_document
    assert passage.passages[passage.cited_index] == PASSAGES[0]
    assert find_recalled(db, sample.answer_id, 3) is None

    elsewhere = open_database(tmp_path / "elsewhere" / "longwit.db")
    imported = import_archive(elsewhere, read_archive(export_text(db, sample.conversation_id, "json")))
    answer = ConversationStore(elsewhere).messages(imported.conversation_id)[1].id
    quoted = [find_recalled(elsewhere, answer, number) for number in (1, 2)]
    assert [(q.passages, q.whole_document) for q in quoted] == [([TOLD_BEFORE], False),
                                                                ([PASSAGES[0]], False)]
    assert quoted[0].title == "Family (no longer stored here)" and quoted[1].location == "p. 2"

    ConversationStore(db).delete(message.conversation_id)  # deleted since: the words remain
    DocumentStore(db).remove(sample.document_id)
    assert find_recalled(db, sample.answer_id, 1).passages == [TOLD_BEFORE]
    assert find_recalled(db, sample.answer_id, 2).passages == [PASSAGES[0]]


def test_a_recalled_passage_of_a_document_read_again_opens_as_its_words(tmp_path: Path) -> None:
    """Reading a changed file again replaces its passages under the same document id (the new ones
    may even get the old ids back): the recalled passage's link is cut, and its words remain."""
    db = open_database(tmp_path / "longwit.db")
    store, documents = ConversationStore(db), DocumentStore(db)
    notes = tmp_path / "notes.txt"
    notes.write_text("The lamp was lit at dusk.\n\nThe keeper slept at noon.\n", encoding="utf-8")
    document = ingest_file(notes, documents).document
    chunk = documents.chunks(document.id)[0]
    answer = store.add_message(store.create(), "assistant", "At dusk.")
    RecalledSources(db).add(answer, [RecalledSource(1, PASSAGE, "document 'notes', line 1", chunk.text,
                                                    "notes", "line 1", chunk_id=chunk.id)])
    assert find_recalled(db, answer, 1).whole_document  # opens in the document while it is there
    notes.write_text("The lamp is now electric.\n\nNobody keeps it.\n", encoding="utf-8")
    reread_document(document.id, documents, tmp_path / "states")
    found = find_recalled(db, answer, 1)
    assert (found.passages, found.whole_document) == ([chunk.text], False)
