"""The window's chrome: the conversation list grouped by date with a preview of each last message
(headers never chosen, the keyboard steps over them), documents as chips whose × removes them
through the window's own path, the reading-mode pill, icons and names on every button, and the
keyboard's way from the list to the composer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fpdf import FPDF
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication

from desktop.window.controllers.chat_controller import ContextUse
from desktop.window.conversation_delegate import HEADER_ROLE, PREVIEW_ROLE
from desktop.window.conversation_list import ConversationList
from desktop.window.document_chip import size_text, type_label
from desktop.window.document_panel import DocumentPanel, mode_text
from desktop.window.stored_conversations import AttachedDocument
from storage import Conversation, ConversationStore, Document, DocumentStore
from storage.document_extents import DocumentExtent
from tests.desktop.window_helpers import (
    ANSWER_MS,
    conversation_items,
    drop_files,
    open_test_window,
    own_database,
)

SHOWN_MS = 5000
TODAY = date(2026, 5, 20)


def stamp(day: date) -> str:
    """Noon of `day` on this machine's clock, stored as the database stores it (UTC)."""
    return datetime(day.year, day.month, day.day, 12).astimezone().astimezone(UTC).isoformat()


def dated_list(qtbot) -> ConversationList:
    sidebar = ConversationList()
    qtbot.addWidget(sidebar)
    sidebar.today = lambda: TODAY
    days = [TODAY, TODAY - timedelta(days=1), TODAY - timedelta(days=10), date(2026, 2, 18)]
    sidebar.show_conversations([Conversation(i + 1, f"Talk {i + 1}", None, stamp(d), stamp(d), 2,
                                             f"said {i + 1}") for i, d in enumerate(days)], None)
    return sidebar


def test_conversations_are_grouped_by_date_under_headers_that_cannot_be_chosen(qtbot) -> None:
    sidebar = dated_list(qtbot)
    items = sidebar.items
    rows = [(items.item(r).text(), bool(items.item(r).data(HEADER_ROLE))) for r in range(items.count())]
    assert rows == [("Today", True), ("Talk 1", False), ("Yesterday", True), ("Talk 2", False),
                    ("Previous 30 days", True), ("Talk 3", False), ("February 2026", True), ("Talk 4", False)]
    header = items.item(0)
    assert not header.flags() & (Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
    chosen: list[int] = []
    sidebar.chosen.connect(lambda conversation_id, _message: chosen.append(conversation_id))
    sidebar.show()
    qtbot.mouseClick(items.viewport(), Qt.MouseButton.LeftButton, pos=items.visualItemRect(header).center())
    assert chosen == [] and items.selectedItems() == []
    items.setFocus()
    items.setCurrentItem(items.item(1))
    for _ in range(3):
        qtbot.keyClick(items, Qt.Key.Key_Down)
    assert chosen == [1, 2, 3, 4], "Down steps from conversation to conversation over the headers"
    qtbot.keyClick(items, Qt.Key.Key_Home)
    assert items.currentItem().text() == "Talk 1"
    qtbot.keyClick(items, Qt.Key.Key_Up)
    assert items.currentItem().text() == "Talk 1", "Up from the first conversation stays on it"


def test_search_hits_still_show_under_their_conversation(qtbot) -> None:
    from storage import SearchHit

    sidebar = dated_list(qtbot)
    sidebar.search.setText("lamp")
    sidebar.show_hits("lamp", [SearchHit(3, "Talk 3", 30, "assistant", "the [lamp] burned", stamp(TODAY))])
    hits = sidebar.items.conversation_items()
    assert [(h.text(), h.data(PREVIEW_ROLE)) for h in hits] == [("Talk 3", "assistant: the [lamp] burned")]


def test_a_larger_font_makes_taller_rows(qtbot) -> None:
    sidebar = dated_list(qtbot)
    items = sidebar.items
    before = items.sizeHintForRow(1)
    font = items.font()
    font.setPointSizeF(font.pointSizeF() * 2)
    items.setFont(font)
    assert items.sizeHintForRow(1) > before * 1.6


def test_the_list_previews_each_conversation_s_last_message(qtbot, longwit_home: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    with own_database(window) as db:
        store = ConversationStore(db)
        talked = store.create("The lighthouse")
        store.add_message(talked, "user", "Who kept the light?")
        store.add_message(talked, "assistant", "**Ansel Marrow** kept it,\nfor forty years.")
    window.refresh_sidebar()  # read on the window's database thread
    qtbot.waitUntil(lambda: bool(conversation_items(window)), timeout=SHOWN_MS)
    row = conversation_items(window)[0]
    assert row.text() == "The lighthouse"
    assert row.data(PREVIEW_ROLE) == "Ansel Marrow kept it, for forty years."
    assert window.sidebar.items.item(0).text() == "Today"


def two_page_pdf(path: Path) -> Path:
    pdf = FPDF()
    for text in ("The lamp burned through forty-one nights.", "The supply boat came twice in March."):
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def test_a_chip_shows_type_and_size_and_its_x_removes_the_document(qtbot, longwit_home: Path,
                                                                   tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("The keeper logged every ship that passed the northern reef.", encoding="utf-8")
    report = two_page_pdf(tmp_path / "report.pdf")
    window = open_test_window(qtbot, longwit_home)
    with qtbot.waitSignal(window.chat.prefilled, timeout=ANSWER_MS):
        drop_files(window, [notes, report])
    panel = window.pane.document_panel
    qtbot.waitUntil(lambda: len(panel.chips) == 2 and all("tokens" in c.size.text() for c in panel.chips),
                    timeout=ANSWER_MS)
    chips = {chip.type.text(): chip for chip in panel.chips}
    assert set(chips) == {"TXT", "PDF"}
    assert chips["PDF"].size.text().startswith("2 pages · ")
    assert chips["TXT"].remove.accessibleName() == "Remove notes"
    assert not chips["TXT"].remove.icon().isNull()
    removed = chips["TXT"].document_id
    qtbot.mouseClick(chips["TXT"].remove, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: [c.type.text() for c in panel.chips] == ["PDF"], timeout=SHOWN_MS)
    with own_database(window) as db:
        pinned = DocumentStore(db).pinned(window.pane.conversation_id)
    assert [d.id for d in pinned] == [chips["PDF"].document_id] and removed not in [d.id for d in pinned]


def test_the_mode_pill_names_the_mode_and_takes_its_colour(qtbot) -> None:
    full = ContextUse("full", {1: 900}, 1200, 4096)
    passages = ContextUse("passages", {1: 30_000, 2: 10_000}, 3500, 4096, "", {1: 0.1, 2: 0.18})
    assert mode_text(full) == "Whole document in context"
    assert mode_text(passages) == "Passages: 12% seen"  # weighted by the documents' tokens
    panel = DocumentPanel()
    qtbot.addWidget(panel)
    panel.show_context(full)
    assert panel.mode.property("mode") == "full"
    panel.show_context(passages)
    assert panel.mode.text() == "Passages: 12% seen" and panel.mode.property("mode") == "passages"
    assert panel.gauge_text.text() == "3,500 of 4,096 tokens"


def test_every_button_is_named_and_the_main_ones_have_icons(qtbot, longwit_home: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    buttons = window.findChildren(QAbstractButton)
    unnamed = [(type(b).__name__, b.objectName()) for b in buttons
               if not b.accessibleName().strip() and not b.text().strip()]
    assert len(buttons) > 10 and unnamed == []
    pane = window.pane
    for button in (pane.composer.action, pane.composer.again, window.sidebar.new_button,
                   pane.document_panel.add_button, pane.document_panel.measure_button, window.voice_button,
                   pane.voice_panel.mute, pane.voice_panel.hang_up, window.model_status.choose):
        assert not button.icon().isNull(), button.text() or button.accessibleName()
    assert window.model_status.label.text() == window.chat.card.name
    assert "context" in window.model_status.detail.text()


def test_tab_goes_from_the_list_through_the_conversation_to_the_composer(qtbot, longwit_home: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    window.activateWindow()
    pane, items = window.pane, window.sidebar.items
    items.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is items, timeout=SHOWN_MS)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is pane.view
    for _ in range(10):  # Tab first steps through the view's links (the welcome's three ways in)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if QApplication.focusWidget() is not pane.view:
            break
    reached = [QApplication.focusWidget()]
    for _ in range(2):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        reached.append(QApplication.focusWidget())
    assert reached == [pane.composer.box, pane.composer.action, pane.composer.again]


def test_a_chip_s_size_reads_as_pages_length_or_characters() -> None:
    def attached(kind: str, extent: DocumentExtent | None) -> AttachedDocument:
        return AttachedDocument(Document(1, "T", None, "s", kind, 10, 12_345, 3, ""), extent)

    assert size_text(attached("pdf", DocumentExtent(1, None)), 900) == "1 page · 900 tokens"
    assert size_text(attached("audio", DocumentExtent(None, 3725.4)), None) == "1:02:05 · 12,345 characters"
    assert size_text(attached("text", DocumentExtent(None, None)), 4052) == "4,052 tokens"
    assert type_label("markdown") == "MD" and type_label("rtf") == "RTF"


def test_the_chip_row_is_as_tall_as_its_chips(qtbot) -> None:
    panel = DocumentPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.show_file_progress("notes.txt", 0.5)  # the row is on screen when the chips arrive
    qtbot.wait(10)
    panel.show_documents([AttachedDocument(Document(1, "Notes", None, "s", "text", 10, 99, 1, ""))])
    chip = panel.chips[0]
    assert panel.chips_scroll.height() >= chip.sizeHint().height()
