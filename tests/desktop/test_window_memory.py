"""The Memory view in the real window, with the bundled model and a real SQLite file: empty, it says
what to do; memories added, edited, pinned and forgotten through its controls change the database
and the list; each shows its cost in the loaded model's tokens and the budget line; one over the
budget is marked left out; an edit keeps the old text in the history; proposals are accepted and
rejected there; the settings are saved. Leaving a conversation in which the person stated facts
proposes them, and the banner offers Review. The GUI thread runs no SQL throughout."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QTreeWidget,
)

from desktop.window.app_settings import AppSettings
from desktop.window.dialogs.memory_dialog import MemoryDialog
from desktop.window.dialogs.memory_text import EMPTY
from desktop.window.main_window import MainWindow
from engine.memory_context import memory_line
from engine.vocabulary import Vocabulary
from storage import database_path, open_database
from storage.memory_store import ACCEPTED, REJECTED, Memory, MemorySettings, MemoryStore
from tests.desktop.sql_watch import watch_sql
from tests.desktop.window_helpers import ask, open_test_window, own_database

T = TypeVar("T")
SHOWN_MS = 15_000
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def memory_view(qtbot, window) -> MemoryDialog:
    qtbot.keyClick(window, Qt.Key.Key_M, CTRL_SHIFT)
    qtbot.waitUntil(lambda: window.memory_view is not None and window.memory_view.isVisible(),
                    timeout=SHOWN_MS)
    return window.memory_view


def rows(dialog: MemoryDialog) -> list[list[str]]:
    """The list as shown, top to bottom: text, scope, pinned, tokens."""
    tree = dialog.tree
    return [[tree.topLevelItem(r).text(c) for c in range(4)] for r in range(tree.topLevelItemCount())]


def measured(dialog: MemoryDialog) -> bool:
    return bool(rows(dialog)) and all(row[3] != "…" for row in rows(dialog))


def read(window, work: Callable[[MemoryStore], T]) -> T:
    """The test's own read of the window's database, on a thread of its own: the watch then sees
    only the window's statements on the GUI thread."""
    def run() -> T:
        with own_database(window) as db:
            return work(MemoryStore(db))

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def stored(window) -> list[Memory]:
    return read(window, MemoryStore.everything)


def choose(dialog: MemoryDialog, text: str) -> None:
    row = next(r for r, shown in enumerate(rows(dialog)) if shown[0] == text)
    dialog.tree.setCurrentItem(dialog.tree.topLevelItem(row))


def add(qtbot, dialog: MemoryDialog, text: str, this_conversation: bool = False) -> None:
    dialog.add_scope.setCurrentIndex(1 if this_conversation else 0)
    dialog.add_text.setFocus()
    qtbot.keyClicks(dialog.add_text, text)
    qtbot.keyClick(dialog.add_text, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(row[0] == text for row in rows(dialog)), timeout=SHOWN_MS)
    qtbot.waitUntil(lambda: measured(dialog), timeout=SHOWN_MS)


def tokens(window, text: str) -> int:
    return window.chat.host.call(lambda model: model.count_tokens(text))


def test_the_memory_view_adds_edits_pins_forgets_and_measures(qtbot, longwit_home: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    watch = watch_sql(monkeypatch, database_path())
    window = open_test_window(qtbot, longwit_home)
    dialog = memory_view(qtbot, window)
    qtbot.waitUntil(lambda: dialog.stack.currentWidget() is dialog.empty, timeout=SHOWN_MS)
    assert dialog.empty.text() == EMPTY
    named = [w for kind in (QAbstractButton, QLineEdit, QTreeWidget, QComboBox, QAbstractSpinBox)
             for w in dialog.findChildren(kind) if w.isVisibleTo(dialog)
             and not isinstance(w.parent(), QAbstractSpinBox)]  # a spin box's own text field
    assert len(named) >= 10 and all(w.accessibleName() for w in named), [
        w.objectName() or type(w).__name__ for w in named if not w.accessibleName()]

    add(qtbot, dialog, "I prefer short answers")
    add(qtbot, dialog, "My name is Eve")
    assert [m.text for m in stored(window)] == ["I prefer short answers", "My name is Eve"]
    shown = rows(dialog)
    assert [row[0] for row in shown] == ["My name is Eve", "I prefer short answers"]  # newest first
    assert all(row[1] == "everywhere" and row[2] == "" for row in shown)
    costs = {row[0]: int(row[3]) for row in shown}
    for text, cost in costs.items():  # the prompt's own measure: the model's tokens of its line
        line = memory_line(next(m for m in stored(window) if m.text == text))
        assert cost == tokens(window, line)
    assert dialog.budget_label.text().startswith(f"{sum(costs.values())} of 256 tokens")
    assert "smollm2" in dialog.budget_label.toolTip()
    assert dialog.gauge.maximum() == 256 and dialog.gauge.value() == sum(costs.values())

    choose(dialog, "My name is Eve")  # edited in place: F2, the new text, Enter
    dialog.tree.setFocus()
    qtbot.keyClick(dialog.tree, Qt.Key.Key_F2)
    editor = dialog.tree.findChild(QLineEdit)
    assert editor is not None
    with qtbot.waitSignal(window.memory.listed, timeout=SHOWN_MS):
        window.memory.refresh()  # memories listed again meanwhile (a proposal came) keep the editor
    assert dialog.tree.findChild(QLineEdit) is editor and editor.isVisible()
    editor.selectAll()
    qtbot.keyClicks(editor, "My name is Ada")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "My name is Ada" in [row[0] for row in rows(dialog)], timeout=SHOWN_MS)
    assert sorted(m.text for m in stored(window)) == ["I prefer short answers", "My name is Ada"]
    choose(dialog, "My name is Ada")
    qtbot.mouseClick(dialog.history_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.history.isVisible(), timeout=SHOWN_MS)
    assert "My name is Eve" in dialog.history.text() and "edited" in dialog.history.text()

    choose(dialog, "I prefer short answers")
    qtbot.mouseClick(dialog.pin_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: rows(dialog)[0][:3] == ["I prefer short answers", "everywhere", "pinned"],
                    timeout=SHOWN_MS)
    assert [m.text for m in stored(window) if m.pinned] == ["I prefer short answers"]
    assert dialog.pin_button.text() == "Un&pin"

    ask(qtbot, window, "Hello.")  # a conversation is open: a memory may be its own
    add(qtbot, dialog, "We are planning a trip to Oslo", this_conversation=True)
    trip = next(m for m in stored(window) if m.text.startswith("We are planning"))
    assert trip.conversation_id == window.pane.conversation_id
    assert ["We are planning a trip to Oslo", "this conversation"] in [row[:2] for row in rows(dialog)]

    # A budget the pinned memory and the newest fit, not the third: the prompt's order decides.
    shown = {row[0]: int(row[3]) for row in rows(dialog)}
    room = shown["I prefer short answers"] + shown["We are planning a trip to Oslo"]
    dialog.budget.setFocus()
    dialog.budget.selectAll()
    qtbot.keyClicks(dialog.budget, str(room))
    qtbot.keyClick(dialog.budget, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(row[3].endswith("left out") for row in rows(dialog)), timeout=SHOWN_MS)
    assert [row[0] for row in rows(dialog) if row[3].endswith("left out")] == ["My name is Ada"]
    assert dialog.room_hint.isVisible()
    assert f"of {room} tokens · 1 memory left out" in dialog.budget_label.text()
    qtbot.mouseClick(dialog.auto_save, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: read(window, MemoryStore.settings) == MemorySettings(True, room),
                    timeout=SHOWN_MS)

    choose(dialog, "My name is Ada")
    dialog.tree.setFocus()
    qtbot.keyClick(dialog.tree, Qt.Key.Key_Delete)  # asks first
    qtbot.waitUntil(lambda: dialog.forget_box is not None and dialog.forget_box.isVisible(),
                    timeout=SHOWN_MS)
    forget = next(b for b in dialog.forget_box.buttons()
                  if dialog.forget_box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)
    qtbot.mouseClick(forget, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "My name is Ada" not in [row[0] for row in rows(dialog)], timeout=SHOWN_MS)
    assert "My name is Ada" not in [m.text for m in stored(window)]
    assert dialog.status.text() == "Forgot “My name is Ada”."
    window.close()
    on_gui_thread = list(watch.on_gui_thread)
    assert on_gui_thread == [], on_gui_thread[:10]


def test_proposals_are_reviewed_from_the_banner_and_leaving_proposes_what_was_said(
        qtbot, longwit_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    watch = watch_sql(monkeypatch, database_path())
    window = open_test_window(qtbot, longwit_home)
    done = ask(qtbot, window, "Remember that my cat is called Tom.")
    assert [saved.memory.text for saved in done.memories] == ["My cat is called Tom"]
    assert window.banner.message() == "Longwit proposes to remember “My cat is called Tom”."
    assert window.banner.action.isVisible() and window.banner.action.text() == "Review"

    ask(qtbot, window, "My name is Ada and I live in Leeds.")
    window.new_conversation()  # leaving the conversation proposes what the person stated in it
    said = "Longwit proposes to remember 2 things: “My name is Ada” and “I live in Leeds”."
    qtbot.waitUntil(lambda: window.banner.message() == said, timeout=SHOWN_MS)
    waiting = [m.text for m in read(window, MemoryStore.proposals)]
    assert waiting == ["My cat is called Tom", "My name is Ada", "I live in Leeds"]

    qtbot.mouseClick(window.banner.action, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.memory_view is not None and window.memory_view.isVisible(),
                    timeout=SHOWN_MS)
    dialog = window.memory_view
    qtbot.waitUntil(lambda: len(dialog.proposals.buttons) == 3, timeout=SHOWN_MS)
    assert dialog.stack.currentWidget() is dialog.empty  # nothing is in the prompt yet
    ids = {m.text: m.id for m in stored(window)}
    accept, _ = dialog.proposals.buttons[ids["My name is Ada"]]
    assert accept.accessibleName() == "Accept the proposal “My name is Ada”"
    first_accept = dialog.proposals.buttons[min(ids.values())][0]
    assert dialog.add_button.nextInFocusChain() is first_accept  # Tab reaches the proposals
    qtbot.mouseClick(accept, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: [row[0] for row in rows(dialog)] == ["My name is Ada"], timeout=SHOWN_MS)
    _, reject = dialog.proposals.buttons[ids["My cat is called Tom"]]
    qtbot.mouseClick(reject, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(dialog.proposals.buttons) == 1, timeout=SHOWN_MS)
    status = {m.text: m.status for m in stored(window)}
    assert status == {"My name is Ada": ACCEPTED, "My cat is called Tom": REJECTED,
                      "I live in Leeds": "proposed"}
    assert [row[0] for row in rows(dialog)] == ["My name is Ada"]

    ask(qtbot, window, "I work as a nurse.")
    window.close()  # closing the window leaves the conversation too
    assert window.closed_cleanly
    on_gui_thread = list(watch.on_gui_thread)
    assert on_gui_thread == [], on_gui_thread[:10]
    assert "I work as a nurse" in [m.text for m in read(window, MemoryStore.proposals)]


def test_with_no_model_loaded_the_tokenizer_alone_counts_and_waiting_proposals_are_named(
        qtbot, longwit_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = open_database(database_path())  # proposed in an earlier session, before the window opens
    MemoryStore(db).propose("I prefer metric units")
    db.conn.close()
    watch = watch_sql(monkeypatch, database_path())
    qsettings = QSettings(str(longwit_home.parent / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(AppSettings(), qsettings, database_path(), longwit_home)  # no model loaded
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.banner.message() == "Longwit proposes to remember 1 thing.",
                    timeout=SHOWN_MS)
    qtbot.mouseClick(window.banner.action, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.memory_view is not None and window.memory_view.isVisible(),
                    timeout=SHOWN_MS)
    dialog = window.memory_view
    qtbot.waitUntil(lambda: len(dialog.proposals.buttons) == 1, timeout=SHOWN_MS)
    add(qtbot, dialog, "I prefer short answers")
    assert window.chat.card is None
    vocabulary = Vocabulary.load(None, longwit_home / "models")
    try:
        expected = vocabulary.count_tokens(memory_line(stored(window)[-1]))
        proposal = vocabulary.count_tokens("- I prefer metric units")
    finally:
        vocabulary.close()
    assert rows(dialog)[0][3] == str(expected)
    assert dialog.budget_label.text() == f"{expected} of 256 tokens · all 1 in the prompt"
    assert "smollm2" in dialog.budget_label.toolTip()
    assert dialog.proposals.costs[stored(window)[0].id].text() == f"{proposal} tokens"
    window.close()
    on_gui_thread = list(watch.on_gui_thread)
    assert on_gui_thread == [], on_gui_thread[:10]
