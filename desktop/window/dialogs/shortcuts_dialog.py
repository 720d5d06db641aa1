"""The keyboard shortcuts help dialog: every shortcut the window offers, as this platform writes it.

The window passes the same list it binds, so the help cannot drift from the keys that work; the keys
are shown in the platform's own notation (⌘ on macOS, Ctrl elsewhere) and a standard key with several
bindings shows them all.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

KeyLike = QKeySequence | QKeySequence.StandardKey | str
NO_SHORTCUT = "—"


def shortcut_text(key: KeyLike) -> str:
    """The key or keys in this platform's notation; "—" when a standard key has none here."""
    if isinstance(key, QKeySequence.StandardKey):
        sequences = QKeySequence.keyBindings(key)
    else:
        sequences = [key if isinstance(key, QKeySequence) else QKeySequence(key)]
    texts = [sequence.toString(QKeySequence.SequenceFormat.NativeText) for sequence in sequences]
    return ", ".join(text for text in texts if text) or NO_SHORTCUT


class ShortcutsDialog(QDialog):
    """A read-only table of (action, shortcut)."""

    def __init__(self, shortcuts: Iterable[tuple[str, KeyLike]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = list(shortcuts)
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        for row, (action, key) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(action))
            self.table.setItem(row, 1, QTableWidgetItem(shortcut_text(key)))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(440, min(640, 120 + 30 * len(rows)))

    def rows(self) -> list[tuple[str, str]]:
        """What the table shows, row by row."""
        return [(self.table.item(row, 0).text(), self.table.item(row, 1).text())
                for row in range(self.table.rowCount())]
