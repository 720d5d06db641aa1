"""One attached document as a compact chip: its type (icon and label), title, size (pages or length,
and tokens once the model has counted them), and an × that removes it from the conversation. The
chip takes the keyboard focus (Delete removes it, the menu key opens its menu) and says all of that
to screen readers."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QFocusEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from desktop.window.icons import document_icon, themed
from desktop.window.stored_conversations import AttachedDocument

TYPE_LABELS = {"pdf": "PDF", "epub": "EPUB", "docx": "DOCX", "text": "TXT", "markdown": "MD",
               "html": "HTML", "audio": "Audio", "image": "Image"}
TITLE_CHARS = 32  # a long title is cut in the chip and whole in its tooltip


def type_label(kind: str) -> str:
    return TYPE_LABELS.get(kind, kind.upper() or "File")


def duration_text(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def size_text(attached: AttachedDocument, tokens: int | None) -> str:
    """'12 pages · 4,052 tokens', '3:12 · 610 tokens', or characters before the model counted tokens."""
    document, extent = attached.document, attached.extent
    parts = []
    if extent is not None and extent.pages:
        parts.append(f"{extent.pages:,} page{'s' if extent.pages != 1 else ''}")
    elif extent is not None and extent.seconds:
        parts.append(duration_text(extent.seconds))
    parts.append(f"{tokens:,} tokens" if tokens else f"{document.char_count:,} characters")
    return " · ".join(parts)


class DocumentChip(QFrame):
    remove_requested = Signal(int)  # document id
    chosen = Signal(int)
    menu_requested = Signal(int, object)  # document id, global QPoint

    def __init__(self, attached: AttachedDocument, tokens: int | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        document = attached.document
        self.document_id, self.title, self.kind = document.id, document.title, document.kind
        self.setObjectName("document-chip")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.icon = QLabel(self)
        self.type = QLabel(type_label(document.kind), self)
        self.type.setObjectName("chip-type")
        shown = document.title if len(document.title) <= TITLE_CHARS else \
            document.title[: TITLE_CHARS - 1].rstrip() + "…"
        self.name = QLabel(shown, self)
        self.name.setObjectName("chip-title")
        self.size = QLabel(size_text(attached, tokens), self)
        self.size.setObjectName("chip-meta")
        self.remove = QToolButton(self)
        self.remove.setObjectName("chip-remove")
        themed(self.remove, "remove")
        self.remove.setAutoRaise(True)
        self.remove.setAccessibleName(f"Remove {document.title}")
        self.remove.setToolTip("Remove from this conversation (Delete)")
        self.remove.clicked.connect(lambda: self.remove_requested.emit(self.document_id))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 3, 3)
        layout.setSpacing(6)
        for widget in (self.icon, self.type, self.name, self.size, self.remove):
            layout.addWidget(widget)
        self.setToolTip(document.path or document.title)
        self.setAccessibleName(f"{document.title}, {self.type.text()}, {self.size.text()}")
        self.setAccessibleDescription("Attached document. Delete removes it; the menu key offers more.")
        self._draw_icon()

    def _draw_icon(self) -> None:
        side = self.fontMetrics().height()
        self.icon.setPixmap(document_icon(self.kind).pixmap(QSize(side, side)))

    def changeEvent(self, event: QEvent) -> None:
        """A pixmap does not repaint itself: draw the type icon again in the new theme's colours."""
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange, QEvent.Type.FontChange):
            self._draw_icon()
        super().changeEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.chosen.emit(self.document_id)
        super().focusInEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove_requested.emit(self.document_id)
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        self.chosen.emit(self.document_id)
        self.menu_requested.emit(self.document_id, event.globalPos())
