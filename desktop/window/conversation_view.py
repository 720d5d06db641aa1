"""The conversation as it is read: messages rendered from Markdown as cards, the answer streaming in
as it is written, citation marks as links, a quiet line of actions under each finished message, and
a welcome when there is nothing to read yet.

While an answer streams, only its own block is redrawn, at most every STREAM_REDRAW_MS: redrawing
the whole conversation for each token would stall the event loop once a conversation grows. The
view remembers where each message of the last turn begins, so what changes at the end (the
streamed answer, the last answer losing "Regenerate" when a new question comes) is redrawn from
there, never from the top. Qt calls back into this class's Python from inside its own calls, and
each callback waits for the GIL while the model's threads run: the view keeps them rare (one
setHtml per full draw, a scroll bar that does not come and go).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QEvent, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QFontDatabase,
    QGuiApplication,
    QPalette,
    QResizeEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import QTextBrowser, QWidget

from desktop.window.code_highlight import parse_copy_link
from desktop.window.conversation_style import style_sheet
from desktop.window.markdown_render import (
    MESSAGE_ANCHOR,
    code_texts,
    message_html,
    parse_aside_link,
    parse_citation_link,
    parse_message_link,
    parse_recalled_link,
)
from desktop.window.theme import is_dark
from desktop.window.welcome import ModelState, parse_welcome_link, welcome_html

STREAM_REDRAW_MS = 40
MARK = "message-"  # anchors on the role lines of the last turn: message-<index>, message-s (streamed)
MEASURE_LINES = 46  # the text column's widest, in line heights of the view's font (about 90 characters)
SIDE_PX = 16  # the least space either side of the text column
# Messages drawn when a conversation opens: Qt lays out every card and highlighted block of what it
# is given (234 ms for 200 messages with code on two busy cores); the earlier ones come on a click.
SHOWN_AT_OPEN = 60
EARLIER_LINK = "earlier:all"


@dataclass(frozen=True)
class ShownMessage:
    role: str
    text: str
    message_id: int | None = None
    meta: str = ""
    sources: tuple[tuple[int, str], ...] = ()  # (citation number, "Title, p. 3")
    thinking: str = ""  # a reasoning model's thinking, shown folded
    agreement: str = ""  # deliberate mode: "4 of 5 answers agree"
    others: tuple[str, ...] = ()  # deliberate mode: one answer per group that disagreed
    opened: frozenset[str] = frozenset()  # which folded parts are open ("thinking", "others")
    recalled: tuple[tuple[int, str], ...] = ()  # (number, label) of each text recall brought in

    def html(self, actions: tuple[str, ...] = (), dark: bool = False, mark: str = "") -> str:
        return message_html(self.role, self.text, self.message_id, self.meta, self.sources,
                            self.thinking, self.agreement, self.others, self.opened, actions, dark,
                            mark, self.recalled)


def message_actions(messages: list[ShownMessage], streaming: bool) -> list[tuple[str, ...]]:
    """The actions each message offers: Copy on every saved one, Read aloud on answers, Regenerate
    on the last answer and Edit on the person's last message, neither while an answer is written."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    offered = []
    for index, message in enumerate(messages):
        actions: tuple[str, ...] = ()
        if message.message_id is not None:
            actions = ("copy", "read") if message.role == "assistant" else ("copy",)
            if not streaming and message.role == "assistant" and index == len(messages) - 1:
                actions += ("regenerate",)
            if not streaming and index == last_user:
                actions += ("edit",)
        offered.append(actions)
    return offered


def hidden_at_open(messages: list[ShownMessage]) -> int:
    """How many of the first messages to leave undrawn: all but the last SHOWN_AT_OPEN, from a
    message of the person's, so a turn is never cut in two."""
    if len(messages) <= SHOWN_AT_OPEN:
        return 0
    first = len(messages) - SHOWN_AT_OPEN
    while first > 0 and messages[first].role != "user":
        first -= 1
    return first


def last_turn(messages: list[ShownMessage]) -> int:
    """Where the last turn begins: the person's last message, else the last message."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    return last_user if last_user >= 0 else max(0, len(messages) - 1)


class ConversationView(QTextBrowser):
    citation_clicked = Signal(int, int)  # message id, citation number
    recalled_clicked = Signal(int, int)  # message id, number of the recalled text
    message_action = Signal(str, int)  # "copy" | "read" | "regenerate" | "edit", message id
    welcome_action = Signal(str)  # "documents" | "voice" | "model"
    code_copied = Signal(int, int)  # message id, block index: its code is on the clipboard

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversation")
        self.setAccessibleName("Conversation")
        self.setAccessibleDescription("The messages of the open conversation; links are reachable "
                                      "with Tab and followed with Enter.")
        self.setOpenLinks(False)
        self.setUndoRedoEnabled(False)  # nothing here is typed; every streamed redraw would be kept
        # A scroll bar that came and went with the content would resize the viewport on every
        # redraw (setHtml empties the document first), and each resize calls resizeEvent here in
        # Python from inside Qt: with the model's threads busy, each waits for the GIL (5 ms).
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.anchorClicked.connect(self._open_link)
        self.messages: list[ShownMessage] = []
        self.streaming: str | None = None  # the answer being written, None when none is
        self.model_state = ModelState()
        self.conversation_open = False  # an empty view is a new conversation's, or an open one's
        self.dark = False  # the palette is dark (set with the style sheet)
        self._drawn_look: tuple[bool, str] = (False, "")
        self._starts: list[int | None] = []  # where each drawn message begins (None: not kept)
        self._drawn: list[tuple[str, ...]] = []  # the actions each was drawn with
        self._stream_start = 0
        self._welcome = False  # the welcome is what is drawn
        self._hidden = 0  # the first messages, left undrawn until the person asks for them
        self._redraw = QTimer(self, singleShot=True, interval=STREAM_REDRAW_MS)
        self._redraw.timeout.connect(self._draw_stream)
        self._set_style()
        self._draw_all()

    # What is shown ---------------------------------------------------------------------------------

    def show_messages(self, messages: list[ShownMessage], keep_streaming: bool = False,
                      conversation_open: bool = True) -> None:
        """Show these messages; with `keep_streaming`, the answer being written stays after them
        (the messages were read from the database while it streamed). With none, the welcome:
        for a new conversation, or (`conversation_open`) an open one with no messages yet."""
        self.streaming = self.streaming if keep_streaming else None
        self.messages = list(messages)
        self.conversation_open = conversation_open
        self._hidden = hidden_at_open(self.messages)
        self._redraw.stop()
        self._draw_all()
        self._scroll_to_end()

    def set_model_state(self, state: ModelState) -> None:
        """What the welcome says of the model (drawn again only while the welcome shows)."""
        self.model_state = state
        if self._welcome:
            self._draw_all()

    def set_conversation_open(self, conversation_open: bool) -> None:
        """The empty view became an open conversation (a document was added to a new one)."""
        if conversation_open != self.conversation_open:
            self.conversation_open = conversation_open
            if self._welcome:
                self._draw_all()

    def add_message(self, message: ShownMessage) -> None:
        self.messages.append(message)
        self._sync()

    def begin_answer(self) -> None:
        self.streaming = ""
        self._sync()

    def add_piece(self, text: str) -> None:
        if self.streaming is None:
            self.begin_answer()
        self.streaming = (self.streaming or "") + text
        if not self._redraw.isActive():
            self._redraw.start()

    def end_answer(self, message: ShownMessage) -> None:
        """Replace the streamed block with the saved answer (links, details and actions included)."""
        self._redraw.stop()
        self.streaming = None
        self.messages.append(message)
        self._sync()

    def show_progress(self, text: str) -> None:
        """A line of progress in the answer's place while nothing of it is written yet (deliberate
        mode writes every answer before showing one)."""
        if self.streaming is None:
            self.begin_answer()
        if not self.streaming:
            self._replace_from(self._stream_start, message_html("assistant", f"*{text}*"))

    def message_text(self, message_id: int) -> str | None:
        """A shown message's Markdown, as it was written."""
        return next((m.text for m in self.messages if m.message_id == message_id), None)

    def plain_text(self) -> str:
        return self.toPlainText()

    # Drawing ---------------------------------------------------------------------------------------

    def _draw_all(self) -> None:
        """Draw everything again (another conversation, a fold opened, the palette changed) as one
        document, which Qt lays out progressively, what is on screen first: inserting after it
        would lay all of it out at once. Where each message of the last turn begins (what can
        change while it is shown) is found from anchors on their role lines."""
        self._welcome = not self.messages and self.streaming is None
        wanted = message_actions(self.messages, self.streaming is not None)
        tail = last_turn(self.messages)
        hidden = min(self._hidden, tail)
        parts = [m.html(a, self.dark, f"{MARK}{i}" if i >= tail else "")
                 for i, (m, a) in enumerate(zip(self.messages, wanted, strict=True)) if i >= hidden]
        if hidden:
            parts.insert(0, f'<p class="meta"><a href="{EARLIER_LINK}">Show the {hidden:,} earlier '
                            f'message{"s" if hidden != 1 else ""}</a></p>')
        if self.streaming is not None:
            parts.append(message_html("assistant", self.streaming, dark=self.dark, mark=f"{MARK}s"))
        self.setHtml(welcome_html(self.model_state, self.conversation_open) if self._welcome
                     else "".join(parts))
        self._apply_measure()
        starts = self._marked_starts(len(self.messages) - tail + (self.streaming is not None))
        self._starts = [None] * tail + [starts.get(f"{MARK}{i}") for i in range(tail, len(self.messages))]
        self._drawn = wanted
        self._stream_start = starts.get(f"{MARK}s", self._end_position())

    def _marked_starts(self, count: int) -> dict[str, int]:
        """Where the last `count` marked messages begin, read from the end: before the outermost
        table of a person's card, before the role line of an answer (as `_sync` records them)."""
        found: dict[str, int] = {}
        root, block = self.document().rootFrame(), self.document().lastBlock()
        while block.isValid() and len(found) < count:
            iterator = block.begin()
            while not iterator.atEnd():
                for name in iterator.fragment().charFormat().anchorNames():
                    if name.startswith(MARK):
                        frame = QTextCursor(block).currentFrame()
                        while frame != root and frame.parentFrame() != root:
                            frame = frame.parentFrame()
                        begins = frame.firstPosition() if frame != root else block.position()
                        found[name] = max(0, begins - 1)
                iterator += 1
            block = block.previous()
        return found

    def _sync(self, redraw_from: int | None = None) -> None:
        """Draw again from the first message whose actions changed, or `redraw_from`, or the first
        not yet drawn; then the streamed answer, if one is being written."""
        if self._welcome:
            self._draw_all()
            return
        wanted = message_actions(self.messages, self.streaming is not None)
        first = next((i for i, (old, new) in enumerate(zip(self._drawn, wanted, strict=False))
                      if old != new), min(len(self._drawn), len(self.messages)))
        if redraw_from is not None:
            first = min(first, redraw_from)
        if first < len(self._starts) and self._starts[first] is None:
            self._draw_all()  # it lies in the part drawn in one piece
            return
        self._truncate(self._starts[first] if first < len(self._starts) else self._stream_start)
        del self._starts[first:], self._drawn[first:]
        for message, actions in zip(self.messages[first:], wanted[first:], strict=True):
            self._starts.append(self._end_position())
            self._drawn.append(actions)
            self._append(message.html(actions, self.dark))
        self._stream_start = self._end_position()
        if self.streaming is not None:
            self._append(message_html("assistant", self.streaming, dark=self.dark))

    def _draw_stream(self) -> None:
        if self.streaming is not None:
            self._replace_from(self._stream_start,
                               message_html("assistant", self.streaming, dark=self.dark))

    def _truncate(self, position: int) -> None:
        """Remove what is drawn from `position` to the end."""
        self._replace_from(position, "")

    def _replace_from(self, position: int, html: str) -> None:
        """Put `html` in place of what is drawn from `position` to the end. The cursor moves inside
        an edit block: outside one, each move lays the document out up to where it lands (60 ms
        for 200 messages); inside, only the changed part is laid out, once, when it ends."""
        at_end = self._at_end()
        end = self._end_position()
        if min(position, end) == 0:  # all of it: set, as inserting into an empty document would
            self.setHtml(html)  # style the block Qt keeps before a first table as the last one
            self._apply_measure()
        else:
            cursor = QTextCursor(self.document())
            cursor.beginEditBlock()
            cursor.setPosition(min(position, end))
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            if html and not html.startswith("<table") and self._after_content(cursor):
                # Qt merges the first paragraph inserted into the block under the cursor, which
                # keeps its own format (an action line's, or the empty one Qt keeps after a
                # table): a fresh, plain block takes it instead, as when all is set at once.
                cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
            if html:
                cursor.insertHtml(html)
            cursor.endEditBlock()
        if at_end:
            self._scroll_to_end()

    def _after_content(self, cursor: QTextCursor) -> bool:
        """Whether the cursor's block holds text or follows a table (else it starts the document)."""
        block = cursor.block()
        if block.length() > 1:
            return True
        before = block.previous()
        return before.isValid() and QTextCursor(before).currentTable() is not None

    def _append(self, html: str) -> None:
        self._replace_from(self._end_position(), html)

    def _end_position(self) -> int:
        return self.document().characterCount() - 1

    def _at_end(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def _scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    # Measure and palette ---------------------------------------------------------------------------

    def _look(self) -> tuple[bool, str]:
        """What the style sheet is made from: dark or light, and the palette's base colour."""
        return is_dark(self.palette()), self.palette().color(QPalette.ColorRole.Base).name()

    def _set_style(self) -> None:
        self._drawn_look = self._look()
        self.dark, base = self._drawn_look
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
        self.document().setDefaultStyleSheet(style_sheet(self.dark, fixed, base))

    def _apply_measure(self) -> None:
        """Margins either side that keep the text column to a readable width (the root frame's, so
        the whole view still scrolls and takes clicks)."""
        widest = MEASURE_LINES * self.fontMetrics().height()
        side = max(SIDE_PX, (self.viewport().width() - widest) // 2)
        frame = self.document().rootFrame()
        layout = frame.frameFormat()
        if layout.leftMargin() != side or layout.rightMargin() != side or layout.topMargin() != SIDE_PX:
            layout.setLeftMargin(side)
            layout.setRightMargin(side)
            layout.setTopMargin(SIDE_PX)
            layout.setBottomMargin(SIDE_PX)
            frame.setFrameFormat(layout)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._apply_measure()

    def changeEvent(self, event: QEvent) -> None:
        """A palette turned dark or light: the code's colours and the tints follow; a new font
        moves the measure."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._apply_measure()  # sizes in the text are relative to the font: only the measure moves
        elif event.type() == QEvent.Type.PaletteChange and self._look() != self._drawn_look:
            self._set_style()
            self._draw_all()

    # Links -----------------------------------------------------------------------------------------

    def _open_link(self, url: QUrl) -> None:
        link = url.toString()
        citation, aside = parse_citation_link(link), parse_aside_link(link)
        action, code, way = parse_message_link(link), parse_copy_link(link), parse_welcome_link(link)
        recalled = parse_recalled_link(link)
        if citation is not None:
            self.citation_clicked.emit(*citation)
        elif recalled is not None:
            self.recalled_clicked.emit(*recalled)
        elif aside is not None:
            self.toggle_aside(*aside)
        elif action is not None:
            self.message_action.emit(*action)
        elif code is not None:
            self.copy_code(*code)
        elif way is not None:
            self.welcome_action.emit(way)
        elif link == EARLIER_LINK:
            self.show_earlier()
        elif url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)

    def show_earlier(self) -> None:
        """Draw the messages left out when the conversation opened, keeping the place read."""
        if not self._hidden or self.streaming is not None:
            return
        bar = self.verticalScrollBar()
        from_end = bar.maximum() - bar.value()
        self._hidden = 0
        self._draw_all()
        bar.setValue(bar.maximum() - from_end)

    def scroll_to_message(self, message_id: int) -> bool:
        """Bring a shown message to the top of the view (drawing the earlier messages first when it
        is one of them); False if this conversation does not show it."""
        index = next((i for i, m in enumerate(self.messages) if m.message_id == message_id), None)
        if index is None:
            return False
        if index < min(self._hidden, last_turn(self.messages)):
            if self.streaming is not None:
                return False  # drawing them all again would lose the streamed block's place
            self._hidden = 0
            self._draw_all()
        self.scrollToAnchor(f"{MESSAGE_ANCHOR}{message_id}")
        return True

    def copy_code(self, message_id: int, index: int) -> None:
        """Put one code block of a message on the clipboard, exactly as the message wrote it."""
        text = self.message_text(message_id)
        blocks = code_texts(text) if text is not None else []
        if index < len(blocks):
            QGuiApplication.clipboard().setText(blocks[index])
            self.code_copied.emit(message_id, index)

    def toggle_aside(self, message_id: int, part: str) -> None:
        """Open or fold a message's thinking or its other answers (drawn again from that message:
        a click, not a stream)."""
        if self.streaming is not None:
            return  # the streamed block's place would be lost; the link works once it has ended
        for index, message in enumerate(self.messages):
            if message.message_id == message_id:
                self.messages[index] = replace(message, opened=message.opened ^ {part})
                at = self.verticalScrollBar().value()
                self._sync(redraw_from=index)
                self.verticalScrollBar().setValue(at)
                return
