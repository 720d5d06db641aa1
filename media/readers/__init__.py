"""What every reader shares: the job it works on (the file, its limits, progress and cancellation) and
the shaping of extracted text into passages of a size worth citing, with clean whitespace."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from media.document import Location, Passage
from media.errors import DocumentTooLarge, DocumentUnreadable, ReadCancelled

if TYPE_CHECKING:
    from media.read_document import ReadLimits

MAX_PASSAGE_CHARS = 2000
MAX_PASSAGE_LINES = 40

# Only \n, \r\n and \r end a line, as in editors, so that line numbers match; form feeds (page breaks
# in old plain text), vertical tabs and Unicode's separators count as spaces.
_SPACES = re.compile(r"[ \t\x0b\x0c\x85\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
# Control characters, byte-order marks and zero-width spaces carry no text.
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\u200b\ufeff\ufffe]")
_LINE_BREAKS = re.compile(r"\r\n?")


@dataclass(frozen=True)
class ReadJob:
    """One document being read: readers check `cancel` and report progress through it."""

    path: Path
    limits: ReadLimits
    progress: Callable[[float, str], None] | None = None
    cancel: threading.Event | None = None

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise ReadCancelled(self.path)

    def report(self, fraction: float, what: str) -> None:
        """Raise ReadCancelled if asked to stop, else tell the caller how far along we are."""
        self.check_cancel()
        if self.progress is not None:
            self.progress(min(max(fraction, 0.0), 1.0), what)

    def read_bytes(self, limit: int) -> bytes:
        """The whole file, refusing it if it holds more than `limit` bytes (it may have grown since the
        size was checked: read one byte past the limit rather than trusting the earlier stat)."""
        try:
            with self.path.open("rb") as file:
                data = file.read(limit + 1)
        except OSError as error:
            raise DocumentUnreadable(self.path, error.strerror or str(error)) from error
        if len(data) > limit:
            raise DocumentTooLarge(self.path, f"more than {limit:,} bytes")
        return data


def describe(error: BaseException) -> str:
    """A library's error as a short clause for a message: its first line, without quotes or a full stop."""
    # OSError and FFmpeg's errors put an errno and the file's path around the useful part.
    strerror = getattr(error, "strerror", None)
    lines = (strerror if isinstance(strerror, str) and strerror else str(error)).strip().splitlines()
    text = clean_line(lines[0]).strip("'\"").rstrip(".") if lines else ""
    return text[:160] or type(error).__name__


def normalise_newlines(text: str) -> str:
    return _LINE_BREAKS.sub("\n", _INVISIBLE.sub("", text))


def clean_line(line: str, keep_indent: bool = False) -> str:
    """Collapse runs of spaces; with keep_indent, leading indentation (code, verse) survives."""
    line = line.lstrip("\x0b\x0c")
    stripped = line.lstrip(" \t\u00a0")
    if not keep_indent:
        return _SPACES.sub(" ", stripped).rstrip()
    indent = line[: len(line) - len(stripped)].replace("\t", "    ").replace("\u00a0", " ")
    return indent + _SPACES.sub(" ", stripped).rstrip()


def clean_text(text: str, keep_indent: bool = False) -> str:
    """Clean every line and keep paragraph breaks: runs of blank lines become one blank line."""
    lines = [clean_line(line, keep_indent) for line in normalise_newlines(text).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def split_long_line(line: str, max_chars: int = MAX_PASSAGE_CHARS) -> list[str]:
    """Cut a line longer than a passage at spaces (minified text, a CSV row, a PDF without breaks)."""
    pieces = []
    while len(line) > max_chars:
        cut = line.rfind(" ", max_chars // 2, max_chars)
        cut = cut if cut > 0 else max_chars
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip()
    return [*pieces, line] if line else pieces


def _blocks(lines: Iterable[str], first_line: int) -> Iterator[list[tuple[int, str]]]:
    """Runs of non-blank lines, each line with its 1-based number (a long line yields several pieces)."""
    block: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=first_line):
        if line.strip():
            block.extend((number, piece) for piece in split_long_line(line))
        elif block:
            yield block
            block = []
    if block:
        yield block


class _PassageBuilder:
    """Packs blocks of lines into passages of at most MAX_PASSAGE_LINES lines and MAX_PASSAGE_CHARS
    characters, breaking between blocks where it can and between lines where a block is too long."""

    def __init__(self) -> None:
        self.done: list[tuple[int, str]] = []
        self.blocks: list[list[tuple[int, str]]] = []
        self.lines = 0
        self.chars = 0

    def cost(self, pieces: Sequence[tuple[int, str]], new_block: bool) -> tuple[int, int]:
        """The lines and characters that `pieces` would add, with the blank line or line break that
        joins them to the text already in the passage."""
        lines = len(pieces)
        chars = sum(len(text) for _, text in pieces) + lines - 1
        if self.chars:
            lines += 1 if new_block else 0
            chars += 2 if new_block else 1
        return lines, chars

    def fits(self, pieces: Sequence[tuple[int, str]], new_block: bool) -> bool:
        lines, chars = self.cost(pieces, new_block)
        return self.lines + lines <= MAX_PASSAGE_LINES and self.chars + chars <= MAX_PASSAGE_CHARS

    def add_block(self, block: list[tuple[int, str]]) -> None:
        if self.chars and not self.fits(block, new_block=True):
            self.flush()
        new_block = True
        for piece in block:
            if self.chars and not self.fits([piece], new_block):
                self.flush()
                new_block = True
            lines, chars = self.cost([piece], new_block)
            if new_block:
                self.blocks.append([])
            self.blocks[-1].append(piece)
            self.lines, self.chars, new_block = self.lines + lines, self.chars + chars, False

    def flush(self) -> None:
        if self.blocks:
            text = "\n\n".join("\n".join(text for _, text in block) for block in self.blocks)
            self.done.append((self.blocks[0][0][0], text))
        self.blocks, self.lines, self.chars = [], 0, 0


def pack_lines(lines: Iterable[str], first_line: int = 1) -> list[tuple[int, str]]:
    """Passages made of blocks of lines (split at blank lines), each with the number of its first line."""
    builder = _PassageBuilder()
    for block in _blocks(lines, first_line):
        builder.add_block(block)
    builder.flush()
    return builder.done


def pack_paragraphs(paragraphs: Iterable[str]) -> list[str]:
    """Paragraphs packed into passages; a paragraph is only split when it is longer than a passage."""
    lines: list[str] = []
    for paragraph in paragraphs:
        lines.extend([*paragraph.split("\n"), ""])
    return [text for _, text in pack_lines(lines)]


@dataclass
class Section:
    """A heading (None before the first one) and the cleaned paragraphs under it, heading included."""

    title: str | None
    paragraphs: list[str]


def section_passages(sections: Iterable[Section]) -> list[Passage]:
    return [
        Passage(text, Location(section=section.title))
        for section in sections
        for text in pack_paragraphs(section.paragraphs)
    ]
