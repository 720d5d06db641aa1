"""Where a citation leads: the cited document's text, opened at the passage (its page, section or
time) with the passage highlighted. A window of its own, so the conversation stays in view."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QDialog, QLabel, QTextBrowser, QVBoxLayout, QWidget

from storage import Chunk, Document, DocumentStore
from storage.citations import CitationStore
from storage.locations import Location

HIGHLIGHT = QColor(255, 214, 0, 140)


@dataclass(frozen=True)
class CitedPassage:
    document: Document
    chunks: list[Chunk]  # the whole document, in order
    cited: Chunk

    @property
    def location(self) -> str:
        chunk = self.cited
        return Location(chunk.page, chunk.section, chunk.line, chunk.start_s, chunk.end_s).label()


def find_cited_passage(documents: DocumentStore, message_id: int, number: int) -> CitedPassage | None:
    """The passage that citation `number` of a saved answer points at, or None if it is gone (the
    document was deleted since)."""
    stored = next((c for c in CitationStore(documents.db).for_message(message_id) if c.number == number),
                  None)
    if stored is None:
        return None
    row = documents.db.execute("SELECT document_id FROM chunks WHERE id = ?", [stored.chunk_id]).fetchone()
    if row is None:
        return None
    chunks = documents.chunks(row[0])
    cited = next((c for c in chunks if c.id == stored.chunk_id), None)
    return None if cited is None else CitedPassage(documents.get(row[0]), chunks, cited)


def citation_sources(documents: DocumentStore, message_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """For each saved answer, its citations as (number, "Title, p. 3"), for the view's sources line."""
    if not message_ids:
        return {}
    marks = ", ".join("?" for _ in message_ids)
    rows = documents.db.execute(
        "SELECT mc.message_id, mc.number, d.title, c.page, c.section, c.line, c.start_s, c.end_s "
        "FROM message_citations mc JOIN chunks c ON c.id = mc.chunk_id "
        f"JOIN documents d ON d.id = c.document_id WHERE mc.message_id IN ({marks}) "
        "ORDER BY mc.message_id, mc.number",
        message_ids,
    ).fetchall()
    found: dict[int, list[tuple[int, str]]] = {}
    for message_id, number, title, *where in rows:
        found.setdefault(message_id, []).append((number, f"{title}, {Location(*where).label()}"))
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
        self.setWindowTitle(passage.document.title)
        self.where.setText(f"{passage.document.title} — {passage.location}")
        self.text.setPlainText("\n\n".join(chunk.text for chunk in passage.chunks))
        start = sum(len(c.text) + 2 for c in passage.chunks if c.ordinal < passage.cited.ordinal)
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(start)
        cursor.setPosition(start + len(passage.cited.text), QTextCursor.MoveMode.KeepAnchor)
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
