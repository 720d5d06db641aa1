"""Markdown: sections at h1–h3 headings found from markdown-it's tokens (so a `# line` inside a fenced
code block is not a heading and underlined "setext" headings are), each section's source lines cut into
passages that keep the number of their first line."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from media.document import DocumentText, Location, Passage
from media.readers import ReadJob, clean_line, pack_lines
from media.readers.text import read_text_file

SECTION_LEVELS = 3  # h1–h3 start a section; deeper headings stay inside it
_FRONT_MATTER_END = re.compile(r"^(---|\.\.\.)\s*$")
_FRONT_MATTER_LINES = 200


@dataclass(frozen=True)
class Heading:
    line: int  # 0-based index of its first source line
    level: int
    text: str


def front_matter_lines(lines: list[str]) -> int:
    """How many leading lines are YAML front matter (Jekyll, Hugo), which markdown-it would otherwise
    read as a rule and an underlined heading."""
    if not lines or lines[0].strip() != "---":
        return 0
    for index in range(1, min(len(lines), _FRONT_MATTER_LINES)):
        if _FRONT_MATTER_END.match(lines[index]):
            return index + 1
    return 0


def _inline_text(token: Token) -> str:
    children = token.children or []
    return clean_line("".join(child.content for child in children if child.type in ("text", "code_inline")))


def find_headings(lines: list[str]) -> list[Heading]:
    """Top-level headings (not those quoted or inside lists) in source order."""
    tokens = MarkdownIt("commonmark").parse("\n".join(lines))
    headings = []
    for index, token in enumerate(tokens[:-1]):
        if token.type == "heading_open" and token.level == 0 and token.map:
            level = int(token.tag[1:])
            headings.append(Heading(token.map[0], level, _inline_text(tokens[index + 1])))
    return headings


def read_markdown(job: ReadJob) -> DocumentText:
    lines = read_text_file(job).split("\n")
    skipped = front_matter_lines(lines)
    lines = [clean_line(line, keep_indent=True) for line in lines]
    body = [""] * skipped + lines[skipped:]  # blanks keep line numbers those of the file
    job.report(0.4, "finding headings")
    headings = [heading for heading in find_headings(body) if heading.level <= SECTION_LEVELS]
    starts = [skipped, *(heading.line for heading in headings), len(lines)]
    titles: list[str | None] = [None, *(heading.text or None for heading in headings)]
    passages = []
    for title, start, end in zip(titles, starts, starts[1:], strict=False):
        job.check_cancel()
        passages.extend(
            Passage(text, Location(section=title, line=number))
            for number, text in pack_lines(body[start:end], first_line=start + 1)
        )
    first_h1 = next((heading.text for heading in headings if heading.level == 1 and heading.text), None)
    return DocumentText(title=first_h1 or job.path.stem, kind="markdown", passages=passages)
