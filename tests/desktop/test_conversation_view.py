"""The conversation view on its own: a code block's Copy link puts exactly that block's code on the
clipboard, each message offers the actions that fit where it stands (none on an answer being
written), a streamed answer drawn piece by piece ends as if drawn at once, the welcome shows when
there is nothing to read, code follows the palette, and sizes stay relative to the font."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QGuiApplication, QTextFormat
from PySide6.QtWidgets import QApplication

from desktop.window.conversation_view import SIDE_PX, ConversationView, ShownMessage
from desktop.window.theme import palette_for
from desktop.window.welcome import TAGLINE, ModelState
from tests.desktop.window_helpers import click_link, link_hrefs

TRICKY = 'if a < b && c > "d":\n\treturn \'<b>&amp;</b>\'   \n'  # escapes, a tab, trailing spaces
ANSWER = ("First, in a list:\n\n- step\n\n  ```python\n  print('one')\n  ```\n\n"
          f"Then:\n\n```python\n{TRICKY}```\n")


def shown(qtbot, width: int = 900) -> ConversationView:
    view = ConversationView()
    qtbot.addWidget(view)
    view.resize(width, 700)
    view.show()
    return view


def conversation() -> list[ShownMessage]:
    return [ShownMessage("user", "Hello?", 1), ShownMessage("assistant", "Hi.", 2, "3 tokens"),
            ShownMessage("user", "Show me code.", 3), ShownMessage("assistant", ANSWER, 4)]


def blocks(view: ConversationView) -> list[tuple[str, float, float, int]]:
    """Each paragraph's text, margins and alignment."""
    found, block = [], view.document().begin()
    while block.isValid():
        layout = block.blockFormat()
        found.append((block.text(), layout.topMargin(), layout.bottomMargin(), int(layout.alignment().value)))
        block = block.next()
    return found


def fragment_colour(view: ConversationView, text: str) -> QColor:
    block = view.document().begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            if fragment.text().strip() == text:
                return fragment.charFormat().foreground().color()
            iterator += 1
        block = block.next()
    raise AssertionError(f"{text!r} is not drawn")


def test_a_code_blocks_copy_link_copies_exactly_its_code(qtbot) -> None:
    view = shown(qtbot)
    view.show_messages(conversation())
    copied: list[tuple[int, int]] = []
    view.code_copied.connect(lambda message, block: copied.append((message, block)))
    assert "copy:4:0" in link_hrefs(view) and "copy:4:1" in link_hrefs(view)
    click_link(qtbot, view, "copy:4:1")
    assert QGuiApplication.clipboard().text() == TRICKY
    click_link(qtbot, view, "copy:4:0")
    assert QGuiApplication.clipboard().text() == "print('one')\n"
    assert copied == [(4, 1), (4, 0)]


def test_each_message_offers_the_actions_that_fit_and_emits_them(qtbot) -> None:
    view = shown(qtbot)
    view.show_messages(conversation())
    links = [h for h in link_hrefs(view) if h.startswith("message:")]
    assert links == ["message:copy:1", "message:copy:2", "message:read:2", "message:copy:3",
                     "message:edit:3", "message:copy:4", "message:read:4", "message:regenerate:4"]
    emitted: list[tuple[str, int]] = []
    view.message_action.connect(lambda action, message: emitted.append((action, message)))
    for href in ("message:read:4", "message:regenerate:4", "message:edit:3", "message:copy:1"):
        click_link(qtbot, view, href)
    assert emitted == [("read", 4), ("regenerate", 4), ("edit", 3), ("copy", 1)]
    assert view.message_text(4) == ANSWER


def test_no_actions_on_the_answer_being_written_and_none_that_would_change_it(qtbot) -> None:
    view = shown(qtbot)
    view.show_messages(conversation())
    view.add_message(ShownMessage("user", "And again?", 5))
    view.begin_answer()
    for piece in ("Here ", "is ", "more ", "`code`."):
        view.add_piece(piece)
        view._draw_stream()  # the redraw timer's work, without waiting for it
    links = link_hrefs(view)
    assert not any(h.startswith(("message:regenerate", "message:edit")) for h in links)
    assert links[-1] == "message:copy:5"  # the streamed answer has no line of its own
    assert "Here is more code." in view.plain_text()
    view.end_answer(ShownMessage("assistant", "Here is more `code`.", 6, "5 tokens"))
    links = link_hrefs(view)
    assert links[-4:] == ["message:edit:5", "message:copy:6", "message:read:6", "message:regenerate:6"]
    assert "message:regenerate:4" not in links and "message:edit:3" not in links

    drawn_at_once = shown(qtbot)
    drawn_at_once.show_messages(view.messages)
    assert blocks(view) == blocks(drawn_at_once)  # streamed in place, it ends as if drawn at once


def test_the_welcome_shows_with_nothing_to_read_and_goes_with_the_first_message(qtbot) -> None:
    view = shown(qtbot)
    assert TAGLINE in view.plain_text() and "No model is loaded" in view.plain_text()
    assert link_hrefs(view) == ["welcome:documents", "welcome:voice", "welcome:model"]
    view.set_model_state(ModelState(loading="smollm2.gguf"))
    assert "Loading smollm2.gguf" in view.plain_text()
    view.set_model_state(ModelState(name="smollm2", size_bytes=105_000_000, n_ctx=2048))
    assert "smollm2 (105 MB, 2,048-token context) is loaded" in view.plain_text()
    ways: list[str] = []
    view.welcome_action.connect(ways.append)
    click_link(qtbot, view, "welcome:voice")
    assert ways == ["voice"]

    view.set_conversation_open(True)
    assert "A new conversation" in view.plain_text() and "Drop more files" in view.plain_text()
    view.add_message(ShownMessage("user", "Hello?"))
    assert TAGLINE not in view.plain_text() and "A new conversation" not in view.plain_text()
    assert "Hello?" in view.plain_text()
    view.show_messages([], conversation_open=False)
    assert TAGLINE in view.plain_text()


def test_code_colours_follow_the_palette(qtbot) -> None:
    app = QApplication.instance()
    before = app.palette()
    try:
        app.setPalette(palette_for("light"))
        view = shown(qtbot)
        view.show_messages([ShownMessage("assistant", "```python\ndef f():\n    pass\n```", 1)])
        light = fragment_colour(view, "def")
        app.setPalette(palette_for("dark"))
        qtbot.waitUntil(lambda: view.dark, timeout=2000)  # the change reaches widgets as an event
        dark = fragment_colour(view, "def")
        assert dark.lightness() > light.lightness() + 60  # a keyword readable on a dark base
    finally:
        app.setPalette(before)


def test_the_text_keeps_a_readable_measure_and_relative_sizes(qtbot) -> None:
    view = shown(qtbot, width=1600)
    view.show_messages(conversation())
    frame = view.document().rootFrame().frameFormat()
    column = view.viewport().width() - frame.leftMargin() - frame.rightMargin()
    assert frame.leftMargin() > SIDE_PX and column < 0.7 * view.viewport().width()
    narrow = shown(qtbot, width=500)
    narrow.show_messages(conversation())
    assert narrow.document().rootFrame().frameFormat().leftMargin() == SIDE_PX

    block = view.document().begin()
    while block.isValid():  # no size fixed in pixels or points: all follow the view's font
        iterator = block.begin()
        while not iterator.atEnd():
            fmt = iterator.fragment().charFormat()
            assert not fmt.hasProperty(QTextFormat.Property.FontPixelSize), iterator.fragment().text()
            assert not fmt.hasProperty(QTextFormat.Property.FontPointSize), iterator.fragment().text()
            iterator += 1
        block = block.next()
    height, side = view.document().size().height(), frame.leftMargin()
    view.setFont(QFont(view.font().family(), view.font().pointSize() * 2))
    qtbot.waitUntil(lambda: view.document().rootFrame().frameFormat().leftMargin() < side, timeout=2000)
    assert view.document().size().height() > 1.3 * height  # the text doubles, the spacing does not
    assert view.accessibleName() == "Conversation"


def test_a_long_conversation_opens_with_its_last_messages_and_the_rest_on_a_click(qtbot) -> None:
    """Only the last turns are laid out when a long conversation opens; a link draws the others,
    and the view goes on as before (a new question, a streamed answer)."""
    view = shown(qtbot)
    messages = []
    for turn in range(100):
        messages += [ShownMessage("user", f"Question number {turn}?", 2 * turn + 1),
                     ShownMessage("assistant", f"Answer number {turn}.", 2 * turn + 2)]
    view.show_messages(messages)
    text = view.plain_text()
    assert "Question number 99?" in text and "Question number 70?" in text
    assert "Question number 69?" not in text and "Question number 0?" not in text
    assert "Show the 140 earlier messages" in text
    click_link(qtbot, view, "earlier:all")
    text = view.plain_text()
    assert "Question number 0?" in text and "earlier messages" not in text
    assert text.index("Question number 0?") < text.index("Question number 99?")
    view.add_message(ShownMessage("user", "One more?", 201))
    view.begin_answer()
    view.add_piece("Yes.")
    view.end_answer(ShownMessage("assistant", "Yes.", 202))
    text = view.plain_text()
    assert text.count("One more?") == 1 and text.count("Yes.") == 1 and "Question number 0?" in text
    assert text.index("Answer number 99.") < text.index("One more?") < text.index("Yes.")
