"""A document's extent for its chip: the last page of a paged document, the end of a timed one, and
neither for plain text; read for several documents in one statement."""

from __future__ import annotations

from storage import ConversationStore, DocumentStore, NewChunk
from storage.document_extents import DocumentExtent, document_extents


def test_pages_and_length_come_from_the_chunks(store: ConversationStore) -> None:
    docs = DocumentStore(store.db)
    paged = docs.add("Report", None, "p", "pdf", 10, [NewChunk("one", 0, page=1), NewChunk("two", 4, page=7)])
    timed = docs.add("Talk", None, "t", "audio", 10, [NewChunk("hi", 0, start_s=0.0, end_s=12.5),
                                                        NewChunk("bye", 3, start_s=12.5, end_s=191.0)])
    plain = docs.add("Notes", None, "n", "text", 10, [NewChunk("words", 0, line=1)])
    extents = document_extents(store.db, [paged, timed, plain, 999])
    assert extents == {paged: DocumentExtent(7, None), timed: DocumentExtent(None, 191.0),
                       plain: DocumentExtent(None, None)}
    assert document_extents(store.db, []) == {}
