"""The window's icons: Material Design glyphs from qtawesome's bundled fonts (offline), drawn in the
colour of the theme's text at paint time, so they follow light, dark and the OS switching between them
with nothing to refresh.

qtawesome fixes an icon's colour when the icon is made; `ThemedIconEngine` instead asks the
application's palette for the colour each time Qt paints, and keeps one qtawesome icon per colour
it has seen.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_API", "pyside6")  # qtawesome goes through QtPy: use the binding we ship

import qtawesome
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap

Role = QPalette.ColorRole
Group = QPalette.ColorGroup

# What each control shows, by meaning, so a glyph is chosen in one place.
GLYPHS = {
    "send": "mdi6.send",
    "stop": "mdi6.stop-circle-outline",
    "regenerate": "mdi6.refresh",
    "new-conversation": "mdi6.message-plus-outline",
    "search": "mdi6.magnify",
    "add-documents": "mdi6.paperclip",
    "remove": "mdi6.close",
    "compression": "mdi6.chart-bell-curve",
    "voice-call": "mdi6.phone-outline",
    "hang-up": "mdi6.phone-hangup",
    "mute": "mdi6.microphone-off",
    "microphone": "mdi6.microphone",
    "cancel": "mdi6.close-circle-outline",
    "model": "mdi6.cube-outline",
    "open-model": "mdi6.folder-open-outline",
    "settings": "mdi6.cog-outline",
    "rename": "mdi6.pencil-outline",
    "delete": "mdi6.delete-outline",
    "export": "mdi6.export-variant",
    "import": "mdi6.import",
    "deliberate": "mdi6.scale-balance",
    "shortcuts": "mdi6.keyboard-outline",
    "quit": "mdi6.power",
    "full-context": "mdi6.book-open-page-variant-outline",
    "passages": "mdi6.text-search",
    "cpu": "mdi6.cpu-64-bit",
    "gpu": "mdi6.expansion-card-variant",
}
# A document's kind (media's readers) → its glyph.
DOCUMENT_GLYPHS = {
    "pdf": "mdi6.file-pdf-box",
    "epub": "mdi6.book-open-variant",
    "docx": "mdi6.file-word-box",
    "html": "mdi6.language-html5",
    "markdown": "mdi6.language-markdown-outline",
    "text": "mdi6.text-box-outline",
    "audio": "mdi6.waveform",
    "image": "mdi6.image-outline",
}
DEFAULT_DOCUMENT_GLYPH = "mdi6.file-document-outline"


def current_palette() -> QPalette:
    return QGuiApplication.palette()


class ThemedIconEngine(QIconEngine):
    """Paints a glyph in the palette's colour for `role` (disabled: the disabled text colour;
    selected: the highlighted text colour)."""

    def __init__(self, glyph: str, role: Role = Role.ButtonText) -> None:
        super().__init__()
        self.glyph, self.role = glyph, role
        self._by_color: dict[str, QIcon] = {}

    def color(self, mode: QIcon.Mode) -> QColor:
        palette = current_palette()
        if mode == QIcon.Mode.Disabled:
            return palette.color(Group.Disabled, self.role)
        if mode == QIcon.Mode.Selected and self.role != Role.HighlightedText:
            return palette.color(Role.HighlightedText)
        return palette.color(self.role)

    def _icon(self, mode: QIcon.Mode) -> QIcon:
        name = self.color(mode).name()
        icon = self._by_color.get(name)
        if icon is None:
            icon = self._by_color[name] = qtawesome.icon(self.glyph, color=name, color_disabled=name,
                                                         color_active=name, color_selected=name)
        return icon

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        self._icon(mode).paint(painter, rect, Qt.AlignmentFlag.AlignCenter, QIcon.Mode.Normal, state)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        pixmap = QPixmap(size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        self.paint(painter, QRect(QPoint(0, 0), size), mode, state)
        painter.end()
        return pixmap

    def clone(self) -> QIconEngine:
        return ThemedIconEngine(self.glyph, self.role)


def icon(name: str, role: Role = Role.ButtonText) -> QIcon:
    """The icon for a control's meaning (a GLYPHS key) or a qtawesome glyph name."""
    return QIcon(ThemedIconEngine(GLYPHS.get(name, name), role))


def document_icon(kind: str) -> QIcon:
    return QIcon(ThemedIconEngine(DOCUMENT_GLYPHS.get(kind, DEFAULT_DOCUMENT_GLYPH), Role.Text))
