"""The sidebar: a new-conversation button, a search box over every conversation and transcript, and
the list of conversations grouped by date with a preview of each one's last message (double-click or
F2 to rename, Delete to delete with undo). The date headers cannot be chosen; the arrow keys step
over them.

It shows what it is given and says what the person asked for; the window does the reading and
writing through the stores, off the GUI thread: what comes back after the search box changed is
not shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.window.conversation_dates import grouped, preview_line
from desktop.window.conversation_delegate import HEADER_ROLE, PREVIEW_ROLE, ConversationDelegate
from desktop.window.icons import themed
from storage import Conversation, SearchHit

SEARCH_DELAY_MS = 200  # wait for a pause in typing before searching
ID_ROLE = Qt.ItemDataRole.UserRole
MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 1
TITLE_ROLE = Qt.ItemDataRole.UserRole + 2  # the stored title, "" when it has none
Move = QAbstractItemView.CursorAction
FORWARD = (Move.MoveDown, Move.MoveNext, Move.MovePageDown, Move.MoveHome)


@dataclass(frozen=True, slots=True)
class Row:
    """One conversation row (or search hit) to show."""

    title: str
    conversation_id: int
    message_id: int | None  # the hit's message, None for a conversation's own row
    tip: str
    stored_title: str | None
    preview: str


class ConversationItems(QListWidget):
    """The list widget, with the keyboard stepping over date headers."""

    def is_header(self, row: int) -> bool:
        item = self.item(row)
        return item is not None and bool(item.data(HEADER_ROLE))

    def moveCursor(self, action: Move, modifiers: Qt.KeyboardModifier) -> QModelIndex:
        index = super().moveCursor(action, modifiers)
        if not index.isValid() or not self.is_header(index.row()):
            return index
        for step in ((1, -1) if action in FORWARD else (-1, 1)):
            row = index.row() + step
            while 0 <= row < self.count() and self.is_header(row):
                row += step
            if 0 <= row < self.count():
                return self.model().index(row, 0)
        return self.currentIndex()

    def conversation_items(self) -> list[QListWidgetItem]:
        """The rows that are conversations or hits, without the headers."""
        return [self.item(row) for row in range(self.count()) if not self.is_header(row)]


class ConversationList(QWidget):
    chosen = Signal(int, object)  # conversation id, message id to show (a search hit) or None
    new_requested = Signal()
    rename_requested = Signal(int, str)
    delete_requested = Signal(int)
    search_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.today: Callable[[], date] = date.today  # the grouping's clock (tests set their own)
        self.new_button = themed(QPushButton("New conversation", self), "new-conversation")
        self.new_button.setObjectName("new-conversation")
        self.new_button.setToolTip("Start a new conversation (Ctrl+N)")
        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Search all conversations")
        self.search.setAccessibleName("Search all conversations")
        self.search.setClearButtonEnabled(True)
        themed(self.search.addAction(QIcon(), QLineEdit.ActionPosition.LeadingPosition), "search",
               QPalette.ColorRole.PlaceholderText)
        self.items = ConversationItems(self)
        self.items.setObjectName("conversations")
        self.items.setAccessibleName("Conversations")
        self.items.setItemDelegate(ConversationDelegate(self.items))
        self.items.setMouseTracking(True)  # the hover tint
        self.items.setUniformItemSizes(False)
        self.items.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.items.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.items.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.items.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
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
        groups = [(header, [Row(c.title or "New conversation", c.id, None, f"{c.message_count} messages",
                                c.title, preview_line(c.preview)) for c in members])
                  for header, members in grouped(conversations, self.today())]
        self._fill(groups, current)

    def show_hits(self, text: str, hits: list[SearchHit]) -> None:
        """Search results for `text`: one row per matching message, under its conversation's title;
        nothing if the search box says something else by now."""
        if text != self.searching():
            return
        rows = [Row(hit.conversation_title or "Conversation", hit.conversation_id, hit.message_id,
                    hit.created[:16], hit.conversation_title, f"{hit.role}: {' '.join(hit.snippet.split())}")
                for hit in hits]
        self._fill([(f"{len(hits)} found" if hits else "Nothing found", rows)], None)

    def title_of(self, conversation_id: int) -> str:
        """The stored title of a conversation shown here ("" when untitled or not shown)."""
        for row in range(self.items.count()):
            item = self.items.item(row)
            if item.data(ID_ROLE) == conversation_id:
                return item.data(TITLE_ROLE) or ""
        return ""

    def remove_conversation(self, conversation_id: int) -> None:
        """Take its rows (a list row, or search hits) off the list at once, and a header left with
        nothing under it."""
        self._filling = True
        for row in reversed(range(self.items.count())):
            if self.items.item(row).data(ID_ROLE) == conversation_id:
                self.items.takeItem(row)
                self.items.setCurrentItem(None)  # not the next row: it was not chosen
        for row in reversed(range(self.items.count())):
            if self.items.is_header(row) and (row + 1 == self.items.count() or self.items.is_header(row + 1)):
                self.items.takeItem(row)
        self._filling = False

    def _fill(self, groups: list[tuple[str, list[Row]]], current: int | None) -> None:
        self._filling = True
        self.items.clear()
        for header, rows in groups:
            self.items.addItem(header_item(header))
            for row in rows:
                item = row_item(row)
                self.items.addItem(item)
                if row.conversation_id == current and row.message_id is None:
                    self.items.setCurrentItem(item)
        self._filling = False

    def current_id(self) -> int | None:
        item = self.items.currentItem()
        return None if item is None or item.data(HEADER_ROLE) else int(item.data(ID_ROLE))

    def _activated(self, item: QListWidgetItem | None) -> None:
        if item is not None and not item.data(HEADER_ROLE) and not self._filling:
            self.chosen.emit(int(item.data(ID_ROLE)), item.data(MESSAGE_ROLE))

    def rename_current(self) -> None:
        item = self.items.currentItem()
        if item is None or item.data(HEADER_ROLE):
            return
        title, ok = QInputDialog.getText(self, "Rename conversation", "Title:", text=item.text())
        if ok and title.strip():
            self.rename_requested.emit(int(item.data(ID_ROLE)), title.strip())

    def delete_current(self) -> None:
        conversation_id = self.current_id()
        if conversation_id is not None:
            self.delete_requested.emit(conversation_id)


def header_item(text: str) -> QListWidgetItem:
    """A date header: shown, never chosen (no flags: not selectable, not enabled)."""
    item = QListWidgetItem(text)
    item.setData(HEADER_ROLE, True)
    item.setFlags(Qt.ItemFlag.NoItemFlags)
    item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, "group")
    return item


def row_item(row: Row) -> QListWidgetItem:
    item = QListWidgetItem(row.title)
    item.setData(ID_ROLE, row.conversation_id)
    item.setData(MESSAGE_ROLE, row.message_id)
    item.setData(TITLE_ROLE, row.stored_title or "")
    item.setData(PREVIEW_ROLE, row.preview)
    spoken = f"{row.title}. {row.preview}" if row.preview else row.title
    item.setData(Qt.ItemDataRole.AccessibleTextRole, spoken)
    item.setToolTip(row.tip)
    return item
