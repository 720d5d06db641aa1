"""The Memory view's list: one row per memory in the prompt (text, scope, pinned, tokens), in the
prompt's order, the ones left out for want of room greyed and marked. A memory's text is edited in
place (F2 or a double-click); the new text is reported, never written here."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QHeaderView,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from desktop.window.controllers.memory_controller import MemoryMeasure
from desktop.window.dialogs.memory_text import COLUMNS, LEFT_OUT_TIP, cost_text, left_out, scope_text
from storage.memory_store import Memory

ID_ROLE = Qt.ItemDataRole.UserRole
TOKENS = COLUMNS.index("Tokens")


class MemoryList(QTreeWidget):
    edited = Signal(int, str)  # memory id, its new text (stripped; may be empty)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("memory-list")
        self.setAccessibleName("Memories in the prompt")
        self.setColumnCount(len(COLUMNS))
        self.setHeaderLabels(list(COLUMNS))
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setStyleSheet("QTreeView::item { padding: 4px 2px; }")
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.DoubleClicked)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.memories: dict[int, Memory] = {}
        self._filling = False  # rows being drawn: their changes are not edits
        self._waiting: list[Memory] | None = None  # rows to draw once the editor closes
        self._measured: MemoryMeasure | None = None  # their costs, if they came meanwhile
        self.itemChanged.connect(self._changed)

    def show_memories(self, memories: list[Memory]) -> None:
        """Draw the rows, their costs not yet known; the chosen memory stays chosen. While a text
        is being edited the rows wait for the editor to close (redrawing would throw it away)."""
        if self.state() == QAbstractItemView.State.EditingState:
            self._waiting, self._measured = memories, None
            return
        self._waiting = None
        chosen = self.chosen_id()
        self.memories = {memory.id: memory for memory in memories}
        self._filling = True
        self.clear()
        for memory in memories:
            item = QTreeWidgetItem([memory.text, scope_text(memory), "pinned" if memory.pinned else "",
                                    cost_text(memory, None)])
            item.setData(0, ID_ROLE, memory.id)
            item.setToolTip(0, memory.text)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            item.setTextAlignment(TOKENS, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.addTopLevelItem(item)
        self._filling = False
        self.choose(chosen if chosen in self.memories else None)

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        super().closeEditor(editor, hint)
        if self._waiting is not None:
            self.show_memories(self._waiting)
            if self._measured is not None:
                self.show_costs(self._measured)

    def show_costs(self, measured: MemoryMeasure) -> None:
        self._measured = measured
        muted = QBrush(self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        self._filling = True
        for row in range(self.topLevelItemCount()):
            item = self.topLevelItem(row)
            memory = self.memories[int(item.data(0, ID_ROLE))]
            item.setText(TOKENS, cost_text(memory, measured))
            if left_out(memory, measured):
                for column in range(len(COLUMNS)):
                    item.setForeground(column, muted)
                item.setToolTip(TOKENS, LEFT_OUT_TIP)
        self._filling = False

    def chosen_id(self) -> int | None:
        items = self.selectedItems()
        return int(items[0].data(0, ID_ROLE)) if items else None

    def chosen(self) -> Memory | None:
        return self.memories.get(self.chosen_id() or -1)

    def choose(self, memory_id: int | None) -> None:
        for row in range(self.topLevelItemCount()):
            item = self.topLevelItem(row)
            if memory_id is not None and int(item.data(0, ID_ROLE)) == memory_id:
                self.setCurrentItem(item)
                return
        self.clearSelection()

    def edit_chosen(self) -> None:
        items = self.selectedItems()
        if items:
            self.setFocus()
            self.editItem(items[0], 0)

    def put_back(self, memory_id: int) -> None:
        """Show a memory's stored text again (an edit that was refused)."""
        for row in range(self.topLevelItemCount()):
            item = self.topLevelItem(row)
            if int(item.data(0, ID_ROLE)) == memory_id:
                self._filling = True
                item.setText(0, self.memories[memory_id].text)
                self._filling = False

    def _changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or column != 0:
            return
        memory = self.memories.get(int(item.data(0, ID_ROLE)))
        text = item.text(0).strip()
        if memory is not None and text != memory.text:
            self.edited.emit(memory.id, text)
