"""Where a citation leads: the cited document's text, opened at the passage (its page, section or
time) with the passage highlighted. A window of its own, so the conversation stays in view."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QDialog, QLabel, QTextBrowser, QVBoxLayout, QWidget

from storage import DocumentStore
from storage.citations import CitationStore

HIGHLIGHT = QColor(255, 214, 0, 140)


@dataclass(frozen=True)
class CitedPassage:
    """What the viewer shows: the document's passages in order with the cited one marked, or only
    the cited passage when its document is not stored here (a conversation imported from elsewhere)."""

    title: str
    passages: list[str]
    cited_index: int
    location: str
    whole_document: bool = True


def find_cited_passage(documents: DocumentStore, message_id: int, number: int) -> CitedPassage | None:
    """The passage that citation `number` of a saved answer points at, or None if it is gone (the
    document was deleted since)."""
    source = next((s for s in CitationStore(documents.db).sources([message_id]) if s.number == number),
                  None)
    if source is None:
        return None
    where = source.location.label()
    if source.document_id is None or source.chunk_id is None:
        return CitedPassage(source.document_title, [source.text], 0, where, whole_document=False)
    return passage_in_document(documents, source.document_id, source.chunk_id,
                               source.document_title, where)


def passage_in_document(documents: DocumentStore, document_id: int, chunk_id: int, title: str,
                        where: str) -> CitedPassage | None:
    """The document's passages in order with chunk `chunk_id` marked, or None if it is gone."""
    chunks = documents.chunks(document_id)
    index = next((i for i, c in enumerate(chunks) if c.id == chunk_id), None)
    if index is None:
        return None
    return CitedPassage(title, [c.text for c in chunks], index, where)


def citation_sources(documents: DocumentStore, message_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """For each saved answer, its citations as (number, "Title, p. 3"), for the view's sources line."""
    found: dict[int, list[tuple[int, str]]] = {}
    for source in CitationStore(documents.db).sources(message_ids):
        found.setdefault(source.message_id, []).append((source.number, source.label))
    return found


class DocumentViewer(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("document-viewer")
        self.setModal(False)
        self.resize(720, 640)
        self.where = QLabel(self)
        self.where.setObjectName("passage-location")
        self.text = QTextBrowser(self)
        self.text.setObjectName("document-text")
        layout = QVBoxLayout(self)
        layout.addWidget(self.where)
        layout.addWidget(self.text, 1)
        self.highlighted = ""

    def show_passage(self, passage: CitedPassage) -> None:
        self.setWindowTitle(passage.title)
        alone = "" if passage.whole_document else (
            " (only this passage is kept with the answer; its document is not stored here: it was "
            "imported, or removed from the library)")
        self.where.setText(f"{passage.title} — {passage.location}{alone}")
        self.text.setPlainText("\n\n".join(passage.passages))
        start = sum(len(text) + 2 for text in passage.passages[: passage.cited_index])
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(start)
        cursor.setPosition(start + len(passage.passages[passage.cited_index]),
                           QTextCursor.MoveMode.KeepAnchor)
        marked = QTextCharFormat()
        marked.setBackground(HIGHLIGHT)
        cursor.mergeCharFormat(marked)
        self.highlighted = cursor.selectedText()
        # Scroll so the passage sits near the top, not just barely in view.
        cursor.clearSelection()
        self.text.moveCursor(QTextCursor.MoveOperation.End)
        self.text.setTextCursor(cursor)
        self.text.ensureCursorVisible()
        self.show()
        self.raise_()
