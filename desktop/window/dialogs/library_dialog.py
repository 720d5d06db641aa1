"""The document library, in a window of its own (not modal, so the conversation stays usable):
every stored document in a table (title, type, size, pages, date added, how many conversations it
is pinned to), a search box over titles and contents (results as the person types), the chosen
document's detail line (its file, its size in characters, the conversations it is in, as links, or
the passage a search found), and what can be done with it: attach it to the open conversation,
open a conversation it is in, read it again, remove it (after saying what goes with it). Below,
the watched folders. Progress and Cancel show while a document or a folder is being read.

It shows what the LibraryController reports and asks it for everything; it runs no SQL.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.window.controllers.library_controller import LibraryController
from desktop.window.dialogs.library_text import (
    COLUMNS,
    EMPTY,
    KEY_ROLE,
    NUMBERS,
    SortItem,
    cells,
    detail_html,
    removal_question,
)
from storage.library import LibraryEntry, RemovalCost
from storage.watched_folders import WatchedFolder

SEARCH_DELAY_MS = 250  # wait for a pause in typing before searching
ID_ROLE = Qt.ItemDataRole.UserRole


class LibraryDialog(QDialog):
    attach_requested = Signal(int)  # document id, for the open conversation
    conversation_chosen = Signal(int)  # open this conversation

    def __init__(self, controller: LibraryController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("library")
        self.setWindowTitle("Document library")
        self.setModal(False)
        self.resize(860, 620)
        self.entries: dict[int, LibraryEntry] = {}
        self.removal_box: QMessageBox | None = None
        self.reading = False  # a document or folder is being read: no second one
        self._build()
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(lambda: controller.search(self.search_text()))
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.table.itemSelectionChanged.connect(self._chosen_changed)
        self.table.itemActivated.connect(lambda _item: self.attach())
        self.attach_button.clicked.connect(self.attach)
        self.reread_button.clicked.connect(self.reread)
        self.remove_button.clicked.connect(self.ask_removal)
        self.used_menu.triggered.connect(lambda action: self.conversation_chosen.emit(int(action.data())))
        self.detail.linkActivated.connect(lambda link: self.conversation_chosen.emit(int(link[5:])))
        self.cancel_button.clicked.connect(controller.cancel)
        self.add_folder_button.clicked.connect(lambda: self.add_folder())
        self.remove_folder_button.clicked.connect(self.remove_folder)
        self.scan_button.clicked.connect(controller.scan)
        self.folders.itemSelectionChanged.connect(self._folder_chosen)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table, self.ask_removal,
                  context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, self.search.setFocus)
        controller.listed.connect(self.show_entries)
        controller.folders_listed.connect(self.show_folders)
        controller.progress.connect(self.show_progress)
        controller.idle.connect(lambda: self.show_progress(None))
        controller.notice.connect(self.show_notice)
        self.show_progress(-1.0 if controller.busy else None, "Reading…")

    def _build(self) -> None:
        self.search = QLineEdit(self)
        self.search.setObjectName("library-search")
        self.search.setPlaceholderText("Search titles and contents")
        self.search.setAccessibleName("Search the library by title or content")
        self.search.setClearButtonEnabled(True)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("library-documents")
        self.table.setAccessibleName("Documents in the library")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table for the buttons
        header = self.table.horizontalHeader()
        header.setSortIndicator(COLUMNS.index("Added"), Qt.SortOrder.DescendingOrder)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel(EMPTY, self)
        self.empty.setObjectName("library-empty")
        self.empty.setWordWrap(True)
        self.empty.setTextFormat(Qt.TextFormat.RichText)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setMargin(24)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        self.detail = QLabel(self)
        self.detail.setObjectName("library-detail")
        self.detail.setAccessibleName("The chosen document")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.attach_button = self._button("Attach to conversation",
                                          "Attach the chosen document to the open conversation")
        self.used_button = QToolButton(self)
        self.used_button.setText("Open conversation")
        self.used_button.setAccessibleName("Open a conversation that uses the chosen document")
        self.used_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.used_menu = QMenu(self.used_button)
        self.used_button.setMenu(self.used_menu)
        self.reread_button = self._button("Read again", "Read the chosen document again from its file")
        self.remove_button = self._button("Remove…", "Remove the chosen document from the library")
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Reading progress")
        self.progress.setRange(0, 1000)
        self.progress_text = QLabel(self)
        self.cancel_button = self._button("Cancel", "Cancel the reading")
        self.folders = QListWidget(self)
        self.folders.setObjectName("library-folders")
        self.folders.setAccessibleName("Watched folders")
        self.folders.setMaximumHeight(96)
        self.add_folder_button = self._button("Add folder…", "Watch a folder and read its files")
        self.remove_folder_button = self._button("Stop watching",
                                                 "Stop watching the chosen folder")
        self.scan_button = self._button("Scan now", "Read the new files in the watched folders now")
        self.status = QLabel(self)
        self.status.setObjectName("library-status")
        self.status.setAccessibleName("Library status")
        self.status.setWordWrap(True)
        close = self._button("Close", "Close the library")
        close.clicked.connect(self.close)
        actions = QHBoxLayout()
        for widget in (self.attach_button, self.used_button, self.reread_button, self.remove_button):
            actions.addWidget(widget)
        actions.addStretch(1)
        reading = QHBoxLayout()
        reading.addWidget(self.progress, 1)
        reading.addWidget(self.progress_text, 2)
        reading.addWidget(self.cancel_button)
        folder_buttons = QHBoxLayout()
        for widget in (self.add_folder_button, self.remove_folder_button, self.scan_button):
            folder_buttons.addWidget(widget)
        folder_buttons.addStretch(1)
        folder_buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.detail)
        layout.addLayout(actions)
        layout.addLayout(reading)
        heading = QLabel("Watched folders: new files in them are read on their own", self)
        heading.setBuddy(self.folders)
        layout.addWidget(heading)
        layout.addWidget(self.folders)
        layout.addLayout(folder_buttons)
        layout.addWidget(self.status)

    def _button(self, text: str, name: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(name)
        button.setToolTip(name)
        button.setAutoDefault(False)  # Enter in the table attaches, not the first button
        return button

    def open_library(self) -> None:
        """Show it, listing what is stored now and the watched folders, and read what is new in
        them."""
        self.controller.search(self.search_text())
        self.controller.list_folders(scan=True)
        self.show()
        self.raise_()
        self.activateWindow()
        self.search.setFocus()

    def search_text(self) -> str:
        return self.search.text().strip()

    # What the controller reports -----------------------------------------------------------------

    def show_entries(self, text: str, entries: list[LibraryEntry]) -> None:
        if text != self.search_text():
            return  # an answer to an earlier search: the box has changed since
        chosen = self.chosen_id()
        self.entries = {entry.document.id: entry for entry in entries}
        self.table.setSortingEnabled(False)  # while filling; a search keeps its ranking
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            for column, (shown, key) in enumerate(cells(entry)):
                item = SortItem(shown)
                item.setData(KEY_ROLE, key)
                item.setData(ID_ROLE, entry.document.id)
                if column in NUMBERS:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if column == 0:
                    item.setToolTip(entry.document.path or entry.document.title)
                elif column == len(COLUMNS) - 1 and entry.conversations:
                    item.setToolTip("\n".join(used.title for used in entry.conversations))
                self.table.setItem(row, column, item)
        if not text:  # the whole library: sorted as the person last chose (newest first at first)
            self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicatorShown(not text)
        if not entries:
            self.empty.setText(EMPTY if not text else f"<h3>No document matches “{html.escape(text)}”"
                               "</h3><p>Neither a title nor a passage holds those words.</p>")
        self.stack.setCurrentWidget(self.table if entries else self.empty)
        self.choose(chosen if chosen in self.entries else (entries[0].document.id if entries else None))
        self._chosen_changed()  # the same row chosen again: its detail (a search's snippet) is new

    def show_folders(self, folders: list[WatchedFolder]) -> None:
        self.folders.clear()
        for folder in folders:
            item = QListWidgetItem(f"{folder.path} — {folder.documents:,} document"
                                   f"{'s' * (folder.documents != 1)}")
            item.setData(ID_ROLE, folder.id)
            item.setToolTip(folder.path)
            self.folders.addItem(item)
        if not folders:
            hint = QListWidgetItem("No watched folders yet: Add folder… picks one, and its files "
                                   "are read now and whenever new ones arrive.")
            hint.setFlags(Qt.ItemFlag.NoItemFlags)
            self.folders.addItem(hint)
        self._folder_chosen()

    def show_progress(self, share: float | None, message: str = "") -> None:
        """A progress bar with what is being read and Cancel; None hides them."""
        busy = self.reading = share is not None
        for widget in (self.progress, self.progress_text, self.cancel_button):
            widget.setVisible(busy)
        self.scan_button.setEnabled(not busy)
        self._chosen_changed()
        if busy:
            self.progress_text.setText(message)
            if isinstance(share, float) and share >= 0:
                self.progress.setRange(0, 1000)
                self.progress.setValue(int(share * 1000))
            else:
                self.progress.setRange(0, 0)

    def show_notice(self, message: str, kind: str) -> None:
        self.status.setText(message)
        self.status.setProperty("kind", kind)

    # The chosen document -------------------------------------------------------------------------

    def chosen_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return None if item is None else int(item.data(ID_ROLE))

    def choose(self, document_id: int | None) -> None:
        for row in range(self.table.rowCount()):
            if document_id is not None and int(self.table.item(row, 0).data(ID_ROLE)) == document_id:
                self.table.selectRow(row)
                return
        self.table.clearSelection()
        self._chosen_changed()

    def _chosen_changed(self) -> None:
        entry = self.entries.get(self.chosen_id() or -1)
        for button in (self.attach_button, self.remove_button):
            button.setEnabled(entry is not None)
        self.reread_button.setEnabled(entry is not None and bool(entry.document.path)
                                      and not self.reading)
        self.used_button.setEnabled(entry is not None and bool(entry.conversations))
        self.used_menu.clear()
        if entry is None:
            self.detail.setText("")
            return
        for used in entry.conversations:
            self.used_menu.addAction(used.title).setData(used.conversation_id)
        self.detail.setText(detail_html(entry))

    # What the person asks for --------------------------------------------------------------------

    def attach(self) -> None:
        document_id = self.chosen_id()
        if document_id is not None:
            self.attach_requested.emit(document_id)

    def reread(self) -> None:
        document_id = self.chosen_id()
        if document_id is not None:
            self.controller.reread(document_id)

    def ask_removal(self) -> None:
        """Say what goes with the chosen document, and remove it if the person agrees."""
        document_id = self.chosen_id()
        if document_id is not None:
            self.controller.removal_cost(document_id, self._confirm_removal)

    def _confirm_removal(self, cost: RemovalCost) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, "Remove document",
                          f"Remove “{cost.document.title}” from the library?",
                          QMessageBox.StandardButton.Cancel, self)
        box.setInformativeText(removal_question(cost))
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(lambda button: self.controller.remove(cost.document.id)
                                  if button is remove else None)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.removal_box = box
        box.open()

    def add_folder(self, folder: str | None = None) -> None:
        """Watch a folder: the one given, or one the person picks."""
        chosen = folder or QFileDialog.getExistingDirectory(self, "Watch a folder")
        if chosen:
            self.controller.add_folder(Path(chosen))

    def remove_folder(self) -> None:
        item = self.folders.currentItem()
        if item is not None and item.data(ID_ROLE) is not None:
            self.controller.remove_folder(int(item.data(ID_ROLE)))

    def _folder_chosen(self) -> None:
        item = self.folders.currentItem()
        self.remove_folder_button.setEnabled(item is not None and item.data(ID_ROLE) is not None)
