"""The conversation as it is read: messages rendered from Markdown, the answer streaming in as it is
written, citation marks as links.

While an answer streams, only its own block is redrawn, at most every STREAM_REDRAW_MS: redrawing
the whole conversation for each token would stall the event loop once a conversation grows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QTextCursor
from PySide6.QtWidgets import QTextBrowser, QWidget

from desktop.window.markdown_render import STYLE, message_html, parse_aside_link, parse_citation_link

STREAM_REDRAW_MS = 40


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

    def html(self) -> str:
        return message_html(self.role, self.text, self.message_id, self.meta, self.sources,
                            self.thinking, self.agreement, self.others, self.opened)


class ConversationView(QTextBrowser):
    citation_clicked = Signal(int, int)  # message id, citation number

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversation")
        self.setOpenLinks(False)
        self.document().setDefaultStyleSheet(STYLE)
        self.anchorClicked.connect(self._open_link)
        self.messages: list[ShownMessage] = []
        self.streaming: str | None = None  # the answer being written, None when none is
        self._stream_start = 0
        self._redraw = QTimer(self, singleShot=True, interval=STREAM_REDRAW_MS)
        self._redraw.timeout.connect(self._draw_stream)

    def show_messages(self, messages: list[ShownMessage], keep_streaming: bool = False) -> None:
        """Show these messages; with `keep_streaming`, the answer being written stays after them
        (the messages were read from the database while it streamed)."""
        streaming = self.streaming if keep_streaming else None
        self.messages = list(messages)
        self.streaming = None
        self._redraw.stop()
        self.setHtml("".join(m.html() for m in messages))
        if streaming is not None:
            self.begin_answer()
            self.streaming = streaming
            self._draw_stream()
        self._scroll_to_end()

    def add_message(self, message: ShownMessage) -> None:
        self.messages.append(message)
        self._append(message.html())

    def begin_answer(self) -> None:
        self.streaming = ""
        self._stream_start = self._end_position()
        self._append(message_html("assistant", ""))

    def add_piece(self, text: str) -> None:
        if self.streaming is None:
            self.begin_answer()
        self.streaming = (self.streaming or "") + text
        if not self._redraw.isActive():
            self._redraw.start()

    def end_answer(self, message: ShownMessage) -> None:
        """Replace the streamed block with the saved answer (links and details included)."""
        self._redraw.stop()
        if self.streaming is None:
            self.add_message(message)
            return
        self.streaming = None
        self.messages.append(message)
        self._replace_from(self._stream_start, message.html())

    def show_progress(self, text: str) -> None:
        """A line of progress in the answer's place while nothing of it is written yet (deliberate
        mode writes every answer before showing one)."""
        if self.streaming is None:
            self.begin_answer()
        if not self.streaming:
            self._replace_from(self._stream_start, message_html("assistant", f"*{text}*"))

    def _draw_stream(self) -> None:
        if self.streaming is not None:
            self._replace_from(self._stream_start, message_html("assistant", self.streaming))

    def _replace_from(self, position: int, html: str) -> None:
        at_end = self._at_end()
        cursor = QTextCursor(self.document())
        cursor.setPosition(min(position, self._end_position()))
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertHtml(html)
        if at_end:
            self._scroll_to_end()

    def _append(self, html: str) -> None:
        at_end = self._at_end()
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertHtml(html)
        if at_end:
            self._scroll_to_end()

    def _end_position(self) -> int:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        return cursor.position()

    def _at_end(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def _scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _open_link(self, url: QUrl) -> None:
        citation = parse_citation_link(url.toString())
        aside = parse_aside_link(url.toString())
        if citation is not None:
            self.citation_clicked.emit(*citation)
        elif aside is not None:
            self.toggle_aside(*aside)
        elif url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)

    def toggle_aside(self, message_id: int, part: str) -> None:
        """Open or fold a message's thinking or its other answers (the whole view is drawn again:
        a click, not a stream)."""
        if self.streaming is not None:
            return  # the streamed block's place would be lost; the link works once it has ended
        for index, message in enumerate(self.messages):
            if message.message_id == message_id:
                self.messages[index] = replace(message, opened=message.opened ^ {part})
                at = self.verticalScrollBar().value()
                self.setHtml("".join(m.html() for m in self.messages))
                self.verticalScrollBar().setValue(at)
                return

    def plain_text(self) -> str:
        return self.toPlainText()
