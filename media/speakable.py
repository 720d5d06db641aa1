"""Model text made fit to be spoken: Markdown, URLs, citation marks and emoji are not read aloud
literally, code blocks (fenced or indented, as the window's CommonMark renderer shows them) are
replaced or dropped, and a few symbols become words. The `SpeechChunker` cuts streamed text into
clauses and sentences so that synthesis can start on the first clause while the rest is generated.
Pure Python, no model."""

from __future__ import annotations

import re
from dataclasses import dataclass

CODE_OMITTED = "(code omitted)"

_FENCE = re.compile(r"^[ \t]*(```|~~~).*?(?:^[ \t]*\1[^\n]*$|\Z)", re.S | re.M)
_INLINE_CODE = re.compile(r"`+([^`]*)`+")
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)")
_AUTOLINK = re.compile(r"<(?:https?://|mailto:)[^>\s]+>")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\[\]]*[^\s<>()\[\].,;:!?\"']")
_CITATION = re.compile(r"\s*\[\d+(?:\s*[-–,;]\s*\d+)*\]")  # the marks engine/citations.py reads
# A parenthesis that holds only citation marks ("(see [3])", "([1], [2])") goes with them; so do
# footnote marks ("[^2]") and the bracketed sources some models write ("【1†source】").
_CITATION_ASIDE = re.compile(
    r"\s*\((?:see|cf\.?|sources?:?)?\s*(?:\[\d+(?:\s*[-–,;]\s*\d+)*\][\s,;]*)+\)", re.I)
_OTHER_MARK = re.compile(r"\s*(?:\[\^[^\]\s]+\]|【[^】\n]*】)")
_INDENTED = re.compile(r"^(?: {4}|\t)")
_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+(.*?)[ \t#]*$", re.M)
_RULE = re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", re.M)
_BULLET = re.compile(r"^[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+", re.M)
_QUOTE = re.compile(r"^[ \t]*>[ \t]?", re.M)
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}.*$", re.M)
_TABLE_ROW = re.compile(r"^[ \t]*\|(.*)\|[ \t]*$", re.M)
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_STRIKE = re.compile(r"~~(.+?)~~")
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U00002b00-\U00002bff\U0001f1e6-\U0001f1ff"
    "\ufe0e\ufe0f\u200d\u20e3]+"
)
_DASH = re.compile(r"\s*—\s*")
_SPACES = re.compile(r"[ \t]+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+(?=[,.;:!?])")
_END_PUNCTUATION = ".!?:;,…"


def speakable(text: str, code: str = CODE_OMITTED, at_start: bool = True) -> str:
    """`text` as it should be spoken: one line of plain words. `code` replaces each code block ("" drops
    it). `at_start`: `text` begins a message, where an indented first line is code; a piece cut from
    the middle of one (the chunker's) may begin with a list item's indented continuation."""
    text = _FENCE.sub(lambda _m: f"\n{code}\n" if code else "\n", text)
    text = _without_indented_code(text, code, at_start)
    text = _IMAGE_OR_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub("a link", text)
    text = _URL.sub("a link", text)
    text = _INLINE_CODE.sub(r"\1", text)
    text = _CITATION_ASIDE.sub("", text)
    text = _OTHER_MARK.sub("", text)
    text = _CITATION.sub("", text)
    text = _RULE.sub("", text)
    text = _TABLE_RULE.sub("", text)
    text = _TABLE_ROW.sub(lambda m: ", ".join(cell.strip() for cell in m.group(1).split("|")), text)
    text = _HEADING.sub(r"\1", text)
    text = _QUOTE.sub("", text)
    text = _BULLET.sub("", text)
    text = _STRIKE.sub(r"\1", text)
    text = _STRONG.sub(r"\2", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _EMOJI.sub("", text)
    text = text.replace("|", ", ").replace("&", " and ").replace("%", " percent")
    text = _DASH.sub(", ", text)
    return _join_lines(text)


def _without_indented_code(text: str, code: str, at_start: bool) -> str:
    """CommonMark's indented code blocks replaced by `code`: lines indented four spaces or a tab
    after a blank line (or first in the message), outside a list (where they continue the item)."""
    kept: list[str] = []
    in_code = in_list = False
    blank_before = at_start
    for line in text.split("\n"):
        blank = not line.strip()
        if in_code and (blank or _INDENTED.match(line)):
            continue
        in_code = False
        if blank_before and not in_list and _INDENTED.match(line):
            in_code = True
            kept.append(code)
            continue
        if _BULLET.match(line) and not _INDENTED.match(line):
            in_list = True
        elif not blank and not line[:1].isspace():
            in_list = False
        kept.append(line)
        blank_before = blank
    return "\n".join(kept)


def _join_lines(text: str) -> str:
    """Lines joined into one, each line that ends without punctuation (a heading, a list item) given a
    full stop so the voice pauses there."""
    lines = [
        _SPACE_BEFORE_PUNCTUATION.sub("", _SPACES.sub(" ", line)).strip(" ").lstrip(", ")
        for line in text.splitlines()
    ]
    lines = [line for line in lines if line]
    ended = [line if line[-1] in _END_PUNCTUATION else f"{line}." for line in lines[:-1]]
    return " ".join(ended + lines[-1:])


@dataclass(frozen=True)
class ChunkerOptions:
    first_clause_words: int = 4  # the first chunk may end at a clause boundary after this many words
    long_sentence_words: int = 25  # later chunks end at a clause boundary only past this many words
    code: str = CODE_OMITTED  # what a code block becomes


# A sentence ends at . ! ? … (with any closing quote or bracket) before a space, or at a line end.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|\n")
_CLAUSE_END = re.compile(r"[,;:](?=\s)|\s*—\s*")
# The first chunk may end where the text so far ends on a mark after a word, without waiting for the
# next piece to show the space after it: one token sooner to the first sound. Not after a digit ("3."
# may become "3.5", "1," may become "1,000") nor a single letter ("U.S."), nor after an abbreviation.
_EAGER_END = re.compile(r"[A-Za-z]{2}[\"'”’)\]]*(?:(?P<sentence>[.!?…])|[,;:])$")
_ABBREVIATIONS = frozenset({"e.g", "i.e", "mr", "mrs", "ms", "dr", "st", "vs", "prof", "fig", "no", "approx"})
_LAST_WORD = re.compile(r"(?:^|\s)(\S*?)[.]+$")


class SpeechChunker:
    """Fed the reply's text as it streams; returns the speakable chunks each piece completes, in order:
    the first as soon as a clause or sentence ends (for a fast first sound), then one per sentence."""

    def __init__(self, options: ChunkerOptions | None = None) -> None:
        self.options = options or ChunkerOptions()
        self._buffer = ""
        self._emitted = 0

    def feed(self, piece: str) -> list[str]:
        self._buffer += piece
        chunks: list[str] = []
        while (cut := self._next_cut()) is not None:
            raw, self._buffer = self._buffer[:cut], self._buffer[cut:]
            text = speakable(raw, self.options.code, at_start=self._emitted == 0)
            if any(c.isalnum() for c in text):  # not a stray mark left by an eager cut ("Well." "..")
                chunks.append(text)
                self._emitted += 1
        return chunks

    def flush(self) -> list[str]:
        """The rest of the text at the end of the reply (and the chunker is ready for the next one)."""
        raw, at_start = self._buffer, self._emitted == 0
        self._buffer, self._emitted = "", 0
        text = speakable(raw, self.options.code, at_start)
        return [text] if text else []

    def _next_cut(self) -> int | None:
        """Where the buffer can be cut (the end of a complete chunk), or None to wait for more text."""
        buffer = self._buffer
        for match in _SENTENCE_END.finditer(buffer):
            if _closed(buffer[: match.end()]) and not _abbreviation(buffer[: match.end()]):
                return match.end()
        words = self.options.first_clause_words if self._emitted == 0 else self.options.long_sentence_words
        for match in _CLAUSE_END.finditer(buffer):
            head = buffer[: match.end()]
            if len(head.split()) >= words and _closed(head):
                return match.end()
        if self._emitted == 0 and (eager := _EAGER_END.search(buffer)) and _closed(buffer):
            if eager.group("sentence") and not _abbreviation(buffer):
                return len(buffer)
            if not eager.group("sentence") and len(buffer.split()) >= words:
                return len(buffer)
        return None


def _closed(text: str) -> bool:
    """No code block, inline code, link or bracket is left open at the end of `text`."""
    fences = text.count("```")
    return (
        fences % 2 == 0
        and (text.count("`") - 3 * fences) % 2 == 0
        and text.count("[") <= text.count("]")
        and text.count("(") <= text.count(")")
    )


def _abbreviation(text: str) -> bool:
    """`text` ends with a period that is not a sentence end: "e.g.", "Dr.", an initial, a list number."""
    match = _LAST_WORD.search(text.rstrip("\n"))
    if text.endswith("\n") or match is None:
        return False
    word = match.group(1).lower()
    if word.isdigit():  # "1." at the start of a line numbers a list item
        return match.start(1) == 0 or text[match.start(1) - 1] == "\n"
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())
