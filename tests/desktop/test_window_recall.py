"""Recall in the real window, with the bundled model and a real SQLite file: an answer that recalled
an earlier conversation's message and another document's passage lists them under it as links;
clicking the message's link opens that conversation scrolled to that message (one of the early
messages a long conversation leaves undrawn when it opens), the passage's link opens the document
at the passage, and both links are still there after the conversation is opened again. The
Conversation menu's recall toggle follows the open conversation, is kept with it, and a
conversation with recall off recalls nothing. The GUI thread runs no SQL throughout."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtGui import QTextCursor

from desktop.window.conversation_view import SHOWN_AT_OPEN, ConversationView
from desktop.window.markdown_render import MESSAGE_ANCHOR
from storage import ConversationStore, DocumentStore, NewChunk, database_path, open_database
from tests.desktop.sql_watch import watch_sql
from tests.desktop.window_helpers import ANSWER_MS, ask, click_link, link_hrefs, open_test_window

TRIP = "We booked the Aurora Lodge in Reykjavik for the March trip; it faces the old harbour."
LEDGER = "The Aurora Lodge in Reykjavik has twelve rooms facing the harbour."
ASKED = "Which lodge in Reykjavik did we book for the trip?"
TEA = "Tea came to England in the seventeenth century and soon became a national habit. " * 4
SHOWN_MS = 15_000
RECALL = "Recall other conversations"


def seed(home: Path) -> tuple[int, int, int]:
    """An earlier conversation that told the trip between talks of tea, the later one longer than
    the view draws at open, and a document not pinned anywhere: (trip conversation, trip message,
    ledger)."""
    db = open_database(home / "longwit.db")
    store = ConversationStore(db)
    trip = store.create("Trip planning")
    for _ in range(10):
        store.add_message(trip, "user", "Tell me about tea.")
        store.add_message(trip, "assistant", TEA)
    told = store.add_message(trip, "user", TRIP)
    store.add_message(trip, "assistant", "Noted.")
    for _ in range(SHOWN_AT_OPEN):
        store.add_message(trip, "user", "Tell me more about tea.")
        store.add_message(trip, "assistant", TEA)
    ledger = DocumentStore(db).add("Lodge ledger", None, "ab" * 32, "txt", 200,
                                   [NewChunk("Breakfast is served from seven.", 0, line=1),
                                    NewChunk(LEDGER, 40, line=3)])
    db.conn.close()
    return trip, told, ledger


def recall_enabled(conversation_id: int) -> bool:
    """Read on a thread of the test's own, so the watch sees only the window's statements."""
    def read() -> bool:
        db = open_database(database_path())
        try:
            return ConversationStore(db).recall_enabled(conversation_id)
        finally:
            db.conn.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(read).result()


def anchor_cursor(view: ConversationView, name: str) -> QTextCursor | None:
    """A cursor at the drawn anchor `name`, or None when it is not drawn."""
    block = view.document().begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            if name in fragment.charFormat().anchorNames():
                cursor = QTextCursor(view.document())
                cursor.setPosition(fragment.position())
                return cursor
            iterator += 1
        block = block.next()
    return None


def shown_at_top(view: ConversationView, message_id: int) -> bool:
    """The message is drawn and its first line sits in the top half of the view."""
    cursor = anchor_cursor(view, f"{MESSAGE_ANCHOR}{message_id}")
    if cursor is None:
        return False
    top = view.cursorRect(cursor).top()
    return 0 <= top < view.viewport().height() // 2


@pytest.mark.slow
def test_recalled_texts_are_links_to_their_conversation_and_passage(
        qtbot, longwit_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trip, told, _ = seed(longwit_home)
    watch = watch_sql(monkeypatch, database_path())
    window = open_test_window(qtbot, longwit_home)
    view = window.pane.view
    done = ask(qtbot, window, ASKED)
    here = done.conversation_id
    labels = dict(done.recalled)
    assert len(labels) == 2, done.recalled
    by_kind = {label.split(" ", 1)[0]: number for number, label in labels.items()}
    message_link = f"recalled:{done.message_id}:{by_kind['conversation']}"
    passage_link = f"recalled:{done.message_id}:{by_kind['document']}"
    assert labels[by_kind["conversation"]].startswith(f"conversation {trip} 'Trip planning' (")
    assert message_link in link_hrefs(view) and passage_link in link_hrefs(view)
    assert f"Recalled: {labels[1]}; {labels[2]}" in view.plain_text()
    assert not window.banner.message().startswith("Recalled")  # under the answer, not a banner

    click_link(qtbot, view, message_link)
    qtbot.waitUntil(lambda: window.pane.conversation_id == trip and shown_at_top(view, told),
                    timeout=SHOWN_MS)
    bar = view.verticalScrollBar()
    assert bar.value() < bar.maximum() // 2  # at the recalled message, not at the end
    assert TRIP in view.plain_text()
    qtbot.waitUntil(lambda: window.sidebar.current_id() == trip, timeout=SHOWN_MS)

    window.open_conversation(here)  # the links are kept with the answer
    qtbot.waitUntil(lambda: message_link in link_hrefs(view), timeout=SHOWN_MS)
    assert passage_link in link_hrefs(view)
    click_link(qtbot, view, passage_link)
    qtbot.waitUntil(lambda: window.sources.viewer is not None and window.sources.viewer.isVisible(),
                    timeout=SHOWN_MS)
    assert window.sources.viewer.where.text().startswith("Lodge ledger — line 3")
    assert window.sources.viewer.highlighted == LEDGER

    window.close()
    on_gui_thread = list(watch.on_gui_thread)
    assert on_gui_thread == [], on_gui_thread[:10]


@pytest.mark.slow
def test_the_recall_toggle_follows_the_conversation_and_turns_recall_off(
        qtbot, longwit_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(longwit_home)
    watch = watch_sql(monkeypatch, database_path())
    window = open_test_window(qtbot, longwit_home)
    toggle = window.actions_by_name[RECALL]
    assert toggle.isCheckable() and toggle.isChecked()
    first = ask(qtbot, window, ASKED)
    assert first.recalled
    here = first.conversation_id

    toggle.trigger()  # off, for this conversation
    qtbot.waitUntil(lambda: window.banner.message().startswith("Recall is off here"),
                    timeout=SHOWN_MS)
    assert not recall_enabled(here) and not toggle.isChecked()
    again = ask(qtbot, window, ASKED)
    assert again.recalled == ()
    assert not any(href.startswith(f"recalled:{again.message_id}:") for href in link_hrefs(window.pane.view))

    window.new_conversation()  # a new conversation recalls, until it is turned off before it starts
    assert toggle.isChecked()
    toggle.trigger()
    quiet = ask(qtbot, window, ASKED)
    assert quiet.recalled == () and not recall_enabled(quiet.conversation_id)
    assert not recall_enabled(here) and not toggle.isChecked()

    window.open_conversation(here)
    qtbot.waitUntil(lambda: window.pane.conversation_id == here and "Recalled:" in
                    window.pane.view.plain_text(), timeout=ANSWER_MS)
    assert not toggle.isChecked()
    toggle.trigger()  # on again
    qtbot.waitUntil(lambda: recall_enabled(here), timeout=SHOWN_MS)
    assert ask(qtbot, window, ASKED).recalled

    window.close()
    on_gui_thread = list(watch.on_gui_thread)
    assert on_gui_thread == [], on_gui_thread[:10]
