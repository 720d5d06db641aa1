"""The window's threads and its database (issue 16.3): the GUI thread runs no SQL and holds no
connection, whatever the person does; every connection the window opens is closed by the time it has
closed, two model loads included; and every thread it started has ended once it is closed, a model
load under way included. The real window, model and SQLite file; `sql_watch` sees every connection
made to that file and every statement run on it."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.window import background
from desktop.window.background import join_threads
from desktop.window.conversation_delegate import PREVIEW_ROLE
from desktop.window.main_window import MainWindow
from storage import ConversationStore, ModelUseLog, database_path
from tests.desktop.sql_watch import watch_sql
from tests.desktop.window_helpers import (
    ANSWER_MS,
    MODEL_LOAD_MS,
    ask,
    choose_sidebar_row,
    conversation_items,
    drop_files,
    open_test_window,
    own_database,
    sidebar_rows,
)

SHOWN_MS = 10_000
NOTES = "The keeper of the Velmora light wound its clockwork every night at nine.\n"


def started_here(before: set[threading.Thread]) -> list[str]:
    return [t.name for t in threading.enumerate()
            if t not in before and t.name.startswith("longwit-") and t.is_alive()]


def load_twice(qtbot, window: MainWindow) -> list[object]:
    """Two loads asked for back to back (the second while the first runs); returns what was
    announced. The second one's window size tells the two apart."""
    announced: list[object] = []
    window.chat.model_loaded.connect(announced.append)
    window.settings = replace(window.settings, n_ctx=1024)
    window.models.load_model()
    window.settings = replace(window.settings, n_ctx=2048)
    window.models.load_model()
    qtbot.waitUntil(lambda: not window.chat.loading, timeout=2 * MODEL_LOAD_MS)
    return announced


def use_the_window(qtbot, window: MainWindow, tmp_path: Path) -> None:
    """What a person does in a session: ask, list, rename, search, add a memory, leave the
    conversation and open it again, bring back the last question, add and remove a document,
    follow a citation, export, look at the recent models, load two models, delete a
    conversation."""
    done = ask(qtbot, window, "Name a fruit.")
    conversation_id = window.pane.conversation_id
    qtbot.waitUntil(lambda: sidebar_rows(window) == ["Name a fruit."], timeout=SHOWN_MS)
    window.sidebar.rename_requested.emit(conversation_id, "Fruit")
    qtbot.waitUntil(lambda: sidebar_rows(window) == ["Fruit"], timeout=SHOWN_MS)
    window.sidebar.search.setText("fruit")
    qtbot.waitUntil(lambda: any("fruit" in str(item.data(PREVIEW_ROLE)).lower()
                                for item in conversation_items(window)), timeout=SHOWN_MS)  # a hit
    window.sidebar.search.clear()
    qtbot.waitUntil(lambda: sidebar_rows(window) == ["Fruit"], timeout=SHOWN_MS)
    window.actions_by_name["Memories…"].trigger()  # the Memory view: list, add, measure
    memories = window.memory_view
    memories.add_text.setText("I prefer short answers")
    qtbot.mouseClick(memories.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: memories.tree.topLevelItemCount() == 1 and memories.measured is not None,
                    timeout=SHOWN_MS)
    memories.close()
    window.new_conversation()  # leaving a conversation proposes what was said in it
    window.sidebar.chosen.emit(conversation_id, None)  # a click on its row opens it again
    qtbot.waitUntil(lambda: "Name a fruit." in window.pane.view.plain_text(), timeout=SHOWN_MS)
    box = window.pane.composer.box
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: box.toPlainText() == "Name a fruit.", timeout=SHOWN_MS)
    box.clear()

    notes = tmp_path / "notes.txt"
    notes.write_text(NOTES, encoding="utf-8")
    with qtbot.waitSignal(window.chat.prefilled, timeout=ANSWER_MS):
        drop_files(window, [notes])
    panel = window.pane.document_panel
    qtbot.waitUntil(lambda: len(panel.chips) == 1, timeout=SHOWN_MS)
    window.sources.open_citation(done.message_id, 1)  # an answer without sources: a banner says so
    qtbot.waitUntil(lambda: "no longer stored" in window.banner.message(), timeout=SHOWN_MS)
    with qtbot.waitSignal(window.transfer.exported, timeout=ANSWER_MS):
        window.export_conversation((tmp_path / "fruit.md", "markdown"))
    window.models.choose_model()
    qtbot.waitUntil(lambda: window.models.picker is not None and window.models.picker.isVisible(),
                    timeout=SHOWN_MS)
    window.models.picker.close()
    panel.remove_requested.emit(panel.chips[0].document_id)
    qtbot.waitUntil(lambda: not panel.chips, timeout=SHOWN_MS)

    announced = load_twice(qtbot, window)
    assert [card.n_ctx for card in announced] == [2048], "only the load asked for last is announced"
    assert window.chat.card.n_ctx == 2048

    choose_sidebar_row(window)
    window.sidebar.delete_current()
    assert sidebar_rows(window) == [] and "deleted" in window.banner.message()
    window.banner.dismiss()  # the undo offer ends: deleted for good


def test_the_gui_thread_runs_no_sql(qtbot, longwit_home: Path, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    watch = watch_sql(monkeypatch, database_path())
    window = open_test_window(qtbot, longwit_home)
    use_the_window(qtbot, window, tmp_path)
    window.close()
    on_gui_thread = list(watch.on_gui_thread)  # before this test reads the file itself
    assert len(watch.connections) >= 3  # the watch saw the window's threads at work
    assert on_gui_thread == [], on_gui_thread[:10]
    with own_database(window) as db:
        assert ConversationStore(db).list() == []  # the deletion happened, off the GUI thread


def test_every_connection_the_window_opens_is_closed(qtbot, longwit_home: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    watch = watch_sql(monkeypatch, database_path())
    window = open_test_window(qtbot, longwit_home)
    notes = tmp_path / "notes.txt"
    notes.write_text(NOTES, encoding="utf-8")
    with qtbot.waitSignal(window.chat.prefilled, timeout=ANSWER_MS):
        drop_files(window, [notes])
    ask(qtbot, window, "When was the clockwork wound?")  # over the document: the state cache too
    load_twice(qtbot, window)
    assert watch.left_open(), "the window holds connections while it is open"
    window.close()
    assert window.closed_cleanly
    opened = watch.opened_on()
    assert watch.left_open() == [], f"opened on {opened}"
    # The connections were there to be counted: the window's, the answers', the document reading's,
    # and the saved-state cache's on the model's thread.
    assert {"longwit-conversations", "longwit-read-documents"} <= set(opened), opened
    assert any(name.startswith("longwit-model") for name in opened), opened
    with own_database(window) as db:  # the loads were recorded, on the window's connection
        assert [use.name for use in ModelUseLog(db).recent()] == ["smollm2-135m-instruct"]


def test_closing_while_a_model_loads_and_an_answer_runs_leaves_no_thread(
        qtbot, longwit_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Recording a load is held up a little (a slow disk), so a thread that records it and nobody
    joins is still running when the window has closed."""
    record = ModelUseLog.record

    def slow_record(self: ModelUseLog, *args: object, **kwargs: object) -> None:
        time.sleep(0.5)
        record(self, *args, **kwargs)

    monkeypatch.setattr(ModelUseLog, "record", slow_record)
    before = set(threading.enumerate())
    window = open_test_window(qtbot, longwit_home, max_tokens=400, temperature=0.8)
    box = window.pane.composer.box
    box.setPlainText("Write a long poem about the sea.")
    with qtbot.waitSignal(window.chat.piece, timeout=ANSWER_MS):
        qtbot.keyClick(box, Qt.Key.Key_Return)
    window.models.load_model()  # waits for the answer on the model's thread
    window.models.choose_model()
    qtbot.waitUntil(lambda: window.models.picker is not None and window.models.picker.isVisible(),
                    timeout=SHOWN_MS)
    assert window.chat.loading
    window.close()
    assert window.closed_cleanly
    assert started_here(before) == []


def test_a_thread_that_will_not_stop_is_named_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    stuck = threading.Thread(target=release.wait, name="longwit-stuck", daemon=True)
    done = threading.Thread(target=lambda: None, name="longwit-done", daemon=True)
    stuck.start()
    done.start()
    try:
        with caplog.at_level(logging.WARNING, logger=background.__name__):
            started = time.monotonic()
            left = join_threads([stuck, done, None], 0.2, "the test")
            waited = time.monotonic() - started
    finally:
        release.set()
        stuck.join()
    assert left == ["longwit-stuck"] and waited < 1.0
    assert "the test: longwit-stuck still running" in caplog.text
