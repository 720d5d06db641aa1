"""The window with the real model and database: answers stream and persist, stop keeps the cut answer,
edit and regenerate replace the last turn, deletion can be undone, search finds old messages, and
closing mid-answer leaves no thread behind and nothing lost."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from PySide6.QtCore import Qt

from desktop.window.main_window import UNDO_MS
from storage import ConversationStore
from tests.desktop.window_helpers import (
    ANSWER_MS,
    ask,
    choose_sidebar_row,
    open_test_window,
    own_database,
    sidebar_rows,
    stored_messages,
)

SHOWN_MS = 5000  # what the window reads on its database thread is drawn within this


def stored(window) -> list[tuple[str, str, bool]]:
    return [(m.role, m.content, m.cut) for m in stored_messages(window)]


def test_an_answer_streams_into_the_view_and_is_saved(qtbot, longwit_home: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    pieces: list[str] = []
    window.chat.piece.connect(lambda _cid, text: pieces.append(text))
    done = ask(qtbot, window, "Name three colours.")
    assert len(pieces) >= 2, "the answer should arrive in pieces, not at once"
    assert done.text and "".join(pieces).strip() == done.text.strip()
    assert [role for role, _, _ in stored(window)] == ["user", "assistant"]
    assert stored(window)[1][1] == done.text
    shown = window.pane.view.plain_text()
    word = max(re.findall(r"[A-Za-z]{3,}", done.text), key=len)  # Markdown marks render as layout
    assert "Name three colours." in shown and word in shown
    assert window.pane.composer.action.text() == "Send"
    qtbot.waitUntil(lambda: sidebar_rows(window) == ["Name three colours."], timeout=SHOWN_MS)


def test_stop_keeps_the_part_already_written(qtbot, longwit_home: Path) -> None:
    window = open_test_window(qtbot, longwit_home, max_tokens=400, temperature=0.8)
    box = window.pane.composer.box
    box.setPlainText("Write a long story about a lighthouse keeper.")
    with qtbot.waitSignal(window.chat.piece, timeout=ANSWER_MS):
        qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.pane.composer.action.text() == "Stop"
    with qtbot.waitSignal(window.chat.reply_done, timeout=ANSWER_MS) as done:
        qtbot.mouseClick(window.pane.composer.action, Qt.MouseButton.LeftButton)
    assert done.args[0].cut
    role, text, cut = stored(window)[-1]
    assert role == "assistant" and cut and text == done.args[0].text


def test_edit_last_message_and_regenerate_replace_the_last_turn(qtbot, longwit_home: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    ask(qtbot, window, "What is the capital of France?")
    box = window.pane.composer.box
    qtbot.keyClick(box, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: box.toPlainText() == "What is the capital of France?", timeout=SHOWN_MS)
    box.setPlainText("What is the capital of Italy?")
    with qtbot.waitSignal(window.chat.reply_done, timeout=ANSWER_MS):
        qtbot.keyClick(box, Qt.Key.Key_Return)
    messages = stored(window)
    assert messages[0][:2] == ("user", "What is the capital of Italy?")
    assert len(messages) == 2
    before = stored_messages(window)[-1]
    with qtbot.waitSignal(window.chat.reply_done, timeout=ANSWER_MS) as again:
        window.actions_by_name["Regenerate answer"].trigger()
    after = stored_messages(window)
    assert len(after) == 2 and after[-1].id == again.args[0].message_id
    assert after[-1].created > before.created  # a new answer, not the old one kept
    assert "What is the capital of France?" not in window.pane.view.plain_text()


def test_deleting_a_conversation_can_be_undone_then_happens(qtbot, longwit_home: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    ask(qtbot, window, "Remember the word tangerine.")
    conversation_id = window.pane.conversation_id
    qtbot.waitUntil(lambda: len(sidebar_rows(window)) == 1, timeout=SHOWN_MS)
    choose_sidebar_row(window)
    window.sidebar.delete_current()
    assert window.sidebar.items.count() == 0 and "deleted" in window.banner.message()  # its header too
    qtbot.mouseClick(window.banner.action, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(sidebar_rows(window)) == 1, timeout=SHOWN_MS)
    choose_sidebar_row(window)
    window.sidebar.delete_current()
    qtbot.wait(UNDO_MS + 500)

    def gone() -> bool:
        with own_database(window) as db:
            return all(c.id != conversation_id for c in ConversationStore(db).list())

    qtbot.waitUntil(gone, timeout=SHOWN_MS)


def test_search_finds_messages_across_conversations(qtbot, longwit_home: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    ask(qtbot, window, "Tell me about aardvarks.")
    first = window.pane.conversation_id
    window.new_conversation()
    ask(qtbot, window, "Tell me about zebras.")
    window.sidebar.search.setText("aardvarks")

    def rows() -> list[str]:
        return sidebar_rows(window)

    qtbot.waitUntil(lambda: bool(rows()) and all("aardvarks" in row.lower() for row in rows()),
                    timeout=SHOWN_MS)
    choose_sidebar_row(window)
    assert window.pane.conversation_id == first
    qtbot.waitUntil(lambda: "Tell me about aardvarks." in window.pane.view.plain_text(),
                    timeout=SHOWN_MS)


def test_closing_during_an_answer_saves_it_and_stops_every_thread(qtbot, longwit_home: Path) -> None:
    before = set(threading.enumerate())
    window = open_test_window(qtbot, longwit_home, max_tokens=400, temperature=0.8)
    box = window.pane.composer.box
    box.setPlainText("Write a long poem about the sea.")
    with qtbot.waitSignal(window.chat.piece, timeout=ANSWER_MS):
        qtbot.keyClick(box, Qt.Key.Key_Return)
    conversation_id = window.pane.conversation_id
    window.close()
    assert window.closed_cleanly
    left = [t.name for t in threading.enumerate() if t not in before and t.name.startswith("longwit")]
    assert not left, left
    messages = stored_messages(window, conversation_id)
    assert [m.role for m in messages] == ["user", "assistant"] and messages[1].cut


def test_a_task_that_outlives_its_dialog_drops_its_result_quietly(qtbot) -> None:
    """A task posting to a relay whose owner was deleted (a closed dialog) must not raise in its thread."""
    from PySide6.QtWidgets import QDialog

    from desktop.window.background import TaskRunner

    dialog = QDialog()
    runner = TaskRunner(dialog)
    release, raised = threading.Event(), []
    task = runner.run("outlives", lambda _progress, _cancel: release.wait(5),
                      on_done=lambda _result: raised.append("delivered to a deleted dialog"))
    relay = runner.relay
    dialog.deleteLater()
    qtbot.waitUntil(lambda: not shiboken_valid(relay), timeout=2000)
    original = threading.excepthook
    threading.excepthook = lambda args: raised.append(repr(args.exc_value))
    try:
        release.set()
        task.wait(5)
    finally:
        threading.excepthook = original
    assert raised == []


def shiboken_valid(obj) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)


def test_menu_actions_open_their_dialogs(qtbot, longwit_home: Path) -> None:
    """Through the menu's own actions, as a click or shortcut does: Qt hands each slot a `checked`
    flag, which once reached choose_model as its path and raised instead of opening the picker."""
    window = open_test_window(qtbot, longwit_home)
    window.actions_by_name["Choose model…"].trigger()  # it opens once the recent models are read
    qtbot.waitUntil(lambda: window.models.picker is not None and window.models.picker.isVisible(),
                    timeout=SHOWN_MS)
    window.models.picker.close()
    window.actions_by_name["Settings…"].trigger()
    assert window.settings_dialog.isVisible()
    window.settings_dialog.close()
