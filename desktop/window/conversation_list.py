"""The sidebar: a new-conversation button, a search box over every conversation and transcript, and
the list of conversations (double-click or F2 to rename, Delete to delete with undo).

It shows what it is given and says what the person asked for; the window does the reading and
writing through the stores."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from storage import Conversation, SearchHit

SEARCH_DELAY_MS = 200  # wait for a pause in typing before searching
ID_ROLE = Qt.ItemDataRole.UserRole
MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 1


class ConversationList(QWidget):
    chosen = Signal(int, object)  # conversation id, message id to show (a search hit) or None
    new_requested = Signal()
    rename_requested = Signal(int, str)
    delete_requested = Signal(int)
    search_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.new_button = QPushButton("New conversation", self)
        self.new_button.setObjectName("new-conversation")
        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Search all conversations")
        self.search.setClearButtonEnabled(True)
        self.items = QListWidget(self)
        self.items.setObjectName("conversations")
        self.items.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.items.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.items.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.new_button, self.search, self.items):
            layout.addWidget(widget)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(lambda: self.search_changed.emit(self.search.text().strip()))
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.new_button.clicked.connect(self.new_requested)
        self.items.itemActivated.connect(self._activated)
        self.items.currentItemChanged.connect(lambda item, _old: self._activated(item))
        self.items.itemDoubleClicked.connect(lambda _item: self.rename_current())
        self._add_action("Rename", QKeySequence(Qt.Key.Key_F2), self.rename_current)
        self._add_action("Delete", QKeySequence(QKeySequence.StandardKey.Delete), self.delete_current)
        self._filling = False

    def _add_action(self, name: str, key: QKeySequence, slot) -> None:
        action = QAction(name, self.items)
        action.setShortcut(key)
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        self.items.addAction(action)

    def show_conversations(self, conversations: list[Conversation], current: int | None) -> None:
        self._fill([(c.title or "New conversation", c.id, None, f"{c.message_count} messages")
                    for c in conversations], current)

    def show_hits(self, hits: list[SearchHit]) -> None:
        """Search results: one row per matching message, under its conversation's title."""
        rows = []
        for hit in hits:
            snippet = " ".join(hit.snippet.split())
            rows.append((f"{hit.conversation_title or 'Conversation'}\n  {hit.role}: {snippet}",
                         hit.conversation_id, hit.message_id, hit.created[:16]))
        self._fill(rows, None)

    def _fill(self, rows: list[tuple[str, int, int | None, str]], current: int | None) -> None:
        self._filling = True
        self.items.clear()
        for text, conversation_id, message_id, tip in rows:
            item = QListWidgetItem(text)
            item.setData(ID_ROLE, conversation_id)
            item.setData(MESSAGE_ROLE, message_id)
            item.setToolTip(tip)
            self.items.addItem(item)
            if conversation_id == current and message_id is None:
                self.items.setCurrentItem(item)
        self._filling = False

    def current_id(self) -> int | None:
        item = self.items.currentItem()
        return None if item is None else int(item.data(ID_ROLE))

    def _activated(self, item: QListWidgetItem | None) -> None:
        if item is not None and not self._filling:
            self.chosen.emit(int(item.data(ID_ROLE)), item.data(MESSAGE_ROLE))

    def rename_current(self) -> None:
        item = self.items.currentItem()
        if item is None:
            return
        title, ok = QInputDialog.getText(self, "Rename conversation", "Title:",
                                         text=item.text().split("\n")[0])
        if ok and title.strip():
            self.rename_requested.emit(int(item.data(ID_ROLE)), title.strip())

    def delete_current(self) -> None:
        conversation_id = self.current_id()
        if conversation_id is not None:
            self.delete_requested.emit(conversation_id)
