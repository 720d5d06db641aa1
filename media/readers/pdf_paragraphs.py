"""A PDF page's lines joined back into paragraphs.

A PDF stores where each line of text was drawn, not where its paragraphs are: a page reads as a
column of lines broken wherever the typesetter ran out of width. Left that way, the chunker (which
cuts at the largest unit that fits: blank lines, then lines) cut chunks in the middle of sentences
("keyboard technique was not optimal for large concert spaces. Later that year he was"), and a
small model shown such a chunk reads half a sentence. Here a line that fills the page's width runs
on into the next one, and a line that stops short after the end of a sentence ends its paragraph,
the rule a reader's eye follows. A page whose lines are all short (a slide, a table, a list of
names) is left as it is.
"""

from __future__ import annotations

import re

SHORT_PAGE_CHARS = 40  # a page whose long lines are shorter than this is a table or a slide
FULL_LINE_SHARE = 0.8  # a line at least this share of the page's width ran out of room
SENTENCE_END = re.compile(r"[.!?:;…。！？]['\"’”)\]]*$")
LIST_ITEM = re.compile(r"^(?:[•▪◦●■\-–—*]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s")
BROKEN_WORD = re.compile(r"[^\W\d_]-$")


def page_width(lines: list[str]) -> int:
    """The length of a full line on this page: the 75th percentile, so that a page of short final
    lines and headings still finds its text's width."""
    lengths = sorted(len(line) for line in lines)
    return lengths[(len(lengths) * 3) // 4] if lengths else 0


def ends_paragraph(line: str, following: str, width: int) -> bool:
    if LIST_ITEM.match(following):
        return True
    short = len(line) < FULL_LINE_SHARE * width
    return short and (SENTENCE_END.search(line) is not None or not following[:1].islower())


def joined_paragraphs(lines: list[str]) -> list[str]:
    """The page's paragraphs, each one line; a line broken after a hyphen joins without a space
    ("well-" + "known" is "well-known": a word split by hyphenation keeps its hyphen, since the two
    cannot be told apart)."""
    width = page_width(lines)
    if width < SHORT_PAGE_CHARS:
        return list(lines)
    paragraphs: list[str] = []
    current = ""
    for index, line in enumerate(lines):
        if not current:
            current = line
        elif BROKEN_WORD.search(current):
            current += line
        else:
            current = f"{current} {line}"
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if not following or ends_paragraph(line, following, width):
            paragraphs.append(current)
            current = ""
    return paragraphs
