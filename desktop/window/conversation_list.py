"""The sidebar: a new-conversation button, a search box over every conversation and transcript, and
the list of conversations (double-click or F2 to rename, Delete to delete with undo).

It shows what it is given and says what the person asked for; the window does the reading and
writing through the stores, off the GUI thread: what comes back after the search box changed is
not shown."""

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
TITLE_ROLE = Qt.ItemDataRole.UserRole + 2  # the stored title, "" when it has none


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

    def searching(self) -> str:
        return self.search.text().strip()

    def show_conversations(self, conversations: list[Conversation], current: int | None) -> None:
        """The list, unless a search was typed since it was asked for (its hits are on their way)."""
        if self.searching():
            return
        self._fill([(c.title or "New conversation", c.id, None, f"{c.message_count} messages", c.title)
                    for c in conversations], current)

    def show_hits(self, text: str, hits: list[SearchHit]) -> None:
        """Search results for `text`: one row per matching message, under its conversation's title;
        nothing if the search box says something else by now."""
        if text != self.searching():
            return
        rows = []
        for hit in hits:
            snippet = " ".join(hit.snippet.split())
            rows.append((f"{hit.conversation_title or 'Conversation'}\n  {hit.role}: {snippet}",
                         hit.conversation_id, hit.message_id, hit.created[:16], hit.conversation_title))
        self._fill(rows, None)

    def title_of(self, conversation_id: int) -> str:
        """The stored title of a conversation shown here ("" when untitled or not shown)."""
        for row in range(self.items.count()):
            item = self.items.item(row)
            if item.data(ID_ROLE) == conversation_id:
                return item.data(TITLE_ROLE) or ""
        return ""

    def remove_conversation(self, conversation_id: int) -> None:
        """Take its rows (a list row, or search hits) off the list at once."""
        self._filling = True
        for row in reversed(range(self.items.count())):
            if self.items.item(row).data(ID_ROLE) == conversation_id:
                self.items.takeItem(row)
                self.items.setCurrentItem(None)  # not the next row: it was not chosen
        self._filling = False

    def _fill(self, rows: list[tuple[str, int, int | None, str, str | None]],
              current: int | None) -> None:
        self._filling = True
        self.items.clear()
        for text, conversation_id, message_id, tip, title in rows:
            item = QListWidgetItem(text)
            item.setData(ID_ROLE, conversation_id)
            item.setData(MESSAGE_ROLE, message_id)
            item.setData(TITLE_ROLE, title or "")
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
