"""Opening the real window for a test: the bundled SmolLM2 (2K context, so it loads in a second), a
real SQLite file under the test's LONGWIT_HOME, settings in an INI file of the test's own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QListWidgetItem, QTextBrowser

from desktop.window.app_settings import AppSettings, save_settings
from desktop.window.main_window import MainWindow, start_when_shown
from storage import ConversationStore, Message, database_path, open_database

MODEL_LOAD_MS = 120_000
ANSWER_MS = 120_000


def open_test_window(qtbot, home: Path, **settings: object) -> MainWindow:
    qsettings = QSettings(str(home.parent / "settings.ini"), QSettings.Format.IniFormat)
    chosen = AppSettings(**{"n_ctx": 2048, "max_tokens": 48, "temperature": 0.0, **settings})
    save_settings(qsettings, chosen)
    window = MainWindow(chosen, qsettings, database_path(), home)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.chat.model_loaded, timeout=MODEL_LOAD_MS):
        start_when_shown(window)
    return window


@contextmanager
def own_database(window: MainWindow) -> Iterator[sqlite_utils.Database]:
    """The test's own connection to the window's database file (the window's own is its
    DatabaseThread's), closed afterwards."""
    db = open_database(window.database)
    try:
        yield db
    finally:
        db.conn.close()


def stored_messages(window: MainWindow, conversation_id: int | None = None) -> list[Message]:
    """The messages of a conversation (the open one by default), as stored."""
    with own_database(window) as db:
        return ConversationStore(db).messages(conversation_id or window.pane.conversation_id)


def conversation_items(window: MainWindow) -> list[QListWidgetItem]:
    """The sidebar's conversation rows (or search hits), without the date headers."""
    return window.sidebar.items.conversation_items()


def sidebar_rows(window: MainWindow) -> list[str]:
    """The titles the sidebar shows, in order, without the date headers."""
    return [item.text() for item in conversation_items(window)]


def choose_sidebar_row(window: MainWindow, index: int = 0) -> None:
    """Make the `index`th conversation row current, as a click or the arrow keys do."""
    window.sidebar.items.setCurrentItem(conversation_items(window)[index])


def drop_files(window: MainWindow, paths: list[Path]) -> None:
    """A real drop: QMimeData with file URLs, entering the window and dropped on it (Qt delivers a
    drop only to the widget that accepted the drag's entry)."""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    where = QPoint(40, 60)
    enter = QDragEnterEvent(where, Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted(), "the window should accept files dragged onto it"
    drop = QDropEvent(QPointF(where), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)


def ask(qtbot, window: MainWindow, text: str):
    """Type a question, press Enter, and wait for the answer; returns the ReplyDone."""
    box = window.pane.composer.box
    box.setFocus()
    box.setPlainText(text)
    with qtbot.waitSignal(window.chat.reply_done, timeout=ANSWER_MS) as done:
        qtbot.keyClick(box, Qt.Key.Key_Return)
    return done.args[0]


def link_hrefs(view: QTextBrowser) -> list[str]:
    """Every link drawn in a text browser, in document order (table cells included)."""
    hrefs, block = [], view.document().begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            href = iterator.fragment().charFormat().anchorHref()
            if href and (not hrefs or hrefs[-1] != href):
                hrefs.append(href)
            iterator += 1
        block = block.next()
    return hrefs


def click_link(qtbot, view: QTextBrowser, href: str) -> None:
    """Click a drawn link with the mouse, as a person would: scrolled into view, at its middle."""
    block = view.document().begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            if fragment.charFormat().anchorHref() == href:
                cursor = QTextCursor(view.document())
                cursor.setPosition(fragment.position() + max(1, fragment.length() // 2))
                view.setTextCursor(cursor)
                view.ensureCursorVisible()
                spot = view.cursorRect(cursor).center()
                qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=spot)
                return
            iterator += 1
        block = block.next()
    raise AssertionError(f"no link {href!r} is drawn; the links are {link_hrefs(view)}")
