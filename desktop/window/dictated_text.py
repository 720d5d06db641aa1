"""Where dictation writes in the message box: a span that begins at the text cursor when dictation
starts and is replaced each time the transcript is refined, so a guess becomes the final words in
place. What was typed before it, or is typed elsewhere meanwhile, is never touched: the span is a
QTextCursor selection, which Qt moves along when the text before it changes."""

from __future__ import annotations

from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPlainTextEdit


class DictatedText:
    def __init__(self, box: QPlainTextEdit) -> None:
        self.box = box
        self._span: QTextCursor | None = None
        self._lead = self._trail = ""  # spaces between the words and the text either side, if needed

    @property
    def writing(self) -> bool:
        return self._span is not None

    def begin(self) -> None:
        """Start a span at the box's cursor (the end of a selection, which is left as it is)."""
        cursor = self.box.textCursor()
        position = cursor.selectionEnd()
        span = QTextCursor(self.box.document())
        span.setPosition(position)
        document = self.box.document()
        before = document.characterAt(position - 1) if position else ""
        after = document.characterAt(position) if position < document.characterCount() - 1 else ""
        self._lead = " " if before and not before.isspace() else ""
        self._trail = " " if after and not after.isspace() else ""
        self._span = span

    def show(self, text: str) -> None:
        """The span now reads `text` (with a space either side where the box's text runs on)."""
        span = self._span
        if span is None:
            return
        words = f"{self._lead}{text}{self._trail}" if text else ""
        follow = self.box.textCursor().position() == span.selectionEnd()
        start = span.selectionStart()
        span.insertText(words)  # replaces the previous words
        end = span.position()  # in the document's units (UTF-16), not len(words)
        span.setPosition(start)
        span.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        if follow:  # the person's cursor stays after the words as they grow
            cursor = self.box.textCursor()
            cursor.setPosition(end)
            self.box.setTextCursor(cursor)
            self.box.ensureCursorVisible()

    def end(self) -> None:
        """Stop writing: the words stay in the box as ordinary text."""
        self._span = None
