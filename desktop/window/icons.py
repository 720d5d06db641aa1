"""The window's icons: Material Design glyphs from qtawesome's bundled fonts (offline), in the colour
of the theme's text, drawn again when the theme changes.

An icon is rendered to pixmaps once per glyph and colour, at the sizes the window uses, so painting
it is Qt's own work: an icon engine written in Python (qtawesome's, or one that reads the palette at
paint time) makes every repaint of a button take the GIL, and while the model's and the voice loop's
threads hold it that showed as 70-80 ms stalls in `longwit bench ui`. `themed` remembers what each
button or action shows, and `refresh_icons` (called when a theme is applied) renders it again.
"""

from __future__ import annotations

import os
import weakref

os.environ.setdefault("QT_API", "pyside6")  # qtawesome goes through QtPy: use the binding we ship

import qtawesome
import shiboken6
from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication, QIcon, QPalette

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
    "engine": "mdi6.server-network",
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


SIZES = (16, 20, 24, 32)  # logical pixels: buttons, menus, the line edit's and chips' icons
_rendered: dict[tuple[str, int, str, str, float], QIcon] = {}
_shown: weakref.WeakKeyDictionary[object, tuple[str, QPalette.ColorRole]] = weakref.WeakKeyDictionary()


def render(glyph: str, role: Role) -> QIcon:
    """`glyph` in the palette's colour for `role` (and its disabled colour), as pixmaps."""
    palette = QGuiApplication.palette()
    normal, disabled = palette.color(Group.Active, role).name(), palette.color(Group.Disabled, role).name()
    ratio = QGuiApplication.instance().devicePixelRatio() if QGuiApplication.instance() else 1.0
    key = (glyph, int(role.value), normal, disabled, ratio)
    icon = _rendered.get(key)
    if icon is None:
        icon = _rendered[key] = QIcon()
        for mode, color in ((QIcon.Mode.Normal, normal), (QIcon.Mode.Disabled, disabled)):
            source = qtawesome.icon(glyph, color=color, color_active=color, color_disabled=color,
                                    color_selected=color)
            for side in SIZES:
                icon.addPixmap(source.pixmap(QSize(side, side), ratio), mode)
    return icon


def icon(name: str, role: Role = Role.ButtonText) -> QIcon:
    """The icon for a control's meaning (a GLYPHS key) or a qtawesome glyph name, in today's theme."""
    return render(GLYPHS.get(name, name), role)


def document_icon(kind: str) -> QIcon:
    return render(DOCUMENT_GLYPHS.get(kind, DEFAULT_DOCUMENT_GLYPH), Role.Text)


def themed(target, name: str, role: Role = Role.ButtonText):
    """Give a button or action the icon `name`, and again in each theme applied later; returns it."""
    _shown[target] = (name, role)
    target.setIcon(icon(name, role))
    return target


def refresh_icons() -> None:
    """Every icon given by `themed`, rendered in the palette now in force."""
    for target, (name, role) in list(_shown.items()):
        if shiboken6.isValid(target):
            target.setIcon(icon(name, role))
        else:
            _shown.pop(target, None)
