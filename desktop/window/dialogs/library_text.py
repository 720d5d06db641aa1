"""What the document library shows of a document, as text: its table cells (shown, and the key
each sorts by), the detail line under the table, the date as this computer writes it, and what a
removal will take with it, said before it happens."""

from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidgetItem

from media.errors import size_text
from storage.library import LibraryEntry, RemovalCost

COLUMNS = ("Title", "Type", "Size", "Pages", "Added", "Used in")
NUMBERS = (2, 3)  # right-aligned columns
KEY_ROLE = Qt.ItemDataRole.UserRole + 1  # what a column sorts by
KINDS = {"pdf": "PDF", "docx": "Word", "epub": "EPUB", "html": "HTML", "markdown": "Markdown",
         "text": "Text", "audio": "Audio", "image": "Image"}
EMPTY = ("<h3>No documents yet</h3><p>Drop a document (PDF, Word, EPUB, Markdown, text, audio or a "
         "scan) onto a conversation to read it, or add a folder below: Longwit reads what it holds "
         "and watches it for new files.</p>")


def added_text(created: str) -> str:
    """The stored UTC time as this computer's local date and time."""
    try:
        return datetime.fromisoformat(created).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return created[:16].replace("T", " ")


def used_text(entry: LibraryEntry) -> str:
    count = len(entry.conversations)
    return "–" if not count else f"{count} conversation{'s' * (count != 1)}"


def removal_question(cost: RemovalCost) -> str:
    """What goes with a document, said before it goes."""
    names = ", ".join(f"“{used.title}”" for used in cost.conversations[:5])
    more = f" and {len(cost.conversations) - 5} more" if len(cost.conversations) > 5 else ""
    parts = [f"It is pinned to {len(cost.conversations)} conversation(s) ({names}{more}), which "
             "will no longer read it." if cost.conversations else "No conversation uses it.",
             f"{cost.citations} citation(s) of its passages keep the passage's words; the answers "
             "stay as they are." if cost.citations else "",
             f"{cost.states} saved model state(s) holding it are deleted." if cost.states else "",
             f"The file itself ({cost.document.path}) is left where it is." if cost.document.path
             else ""]
    return " ".join(part for part in parts if part)


class SortItem(QTableWidgetItem):
    """A cell shown as text and sorted by its key (sizes and dates by value, not by their words)."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(KEY_ROLE), other.data(KEY_ROLE)
        if mine is None or theirs is None:
            return super().__lt__(other)
        return mine < theirs


def cells(entry: LibraryEntry) -> list[tuple[str, object]]:
    document = entry.document
    return [(document.title, document.title.casefold()),
            (KINDS.get(document.kind, document.kind), document.kind),
            (size_text(document.size_bytes) if document.size_bytes is not None else "–",
             document.size_bytes or 0),
            (f"{document.page_count:,}" if document.page_count else "–", document.page_count or 0),
            (added_text(document.created), document.created),
            (used_text(entry), len(entry.conversations))]


def detail_html(entry: LibraryEntry) -> str:
    """The chosen document's line: its file, size, the conversations it is in as links, and the
    passage a search found in it."""
    document = entry.document
    parts = [html.escape(document.path or "not read from a file here"),
             f"{document.char_count:,} characters in {document.chunk_count:,} passages"]
    if entry.conversations:
        links = ", ".join(f"<a href='conv:{used.conversation_id}'>{html.escape(used.title)}</a>"
                          for used in entry.conversations)
        parts.append(f"used in {links}")
    else:
        parts.append("not used in any conversation")
    line = " · ".join(parts)
    if entry.snippet:
        found = html.escape(entry.snippet).replace("[", "<b>").replace("]", "</b>")
        line += f"<br>Found in its text: “{found}”"
    return line
