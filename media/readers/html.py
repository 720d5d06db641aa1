"""HTML pages (and the XHTML inside EPUB books) to text with selectolax's lexbor parser: page furniture
(scripts, styles, navigation, footers) is dropped, each block element becomes a paragraph, table rows
become "cell | cell" lines, and a page is split into sections at its h1–h3 headings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser, LexborNode

from media.document import DocumentText
from media.errors import DamagedDocument
from media.readers import ReadJob, Section, clean_line, clean_text, normalise_newlines, section_passages
from media.readers.text import decode_text

SECTION_LEVELS = 3  # h1–h3 start a section; h4–h6 stay inside it as paragraphs

# fmt: off
_SKIP = frozenset({
    "head", "script", "style", "noscript", "template", "nav", "footer", "svg", "iframe", "object", "button",
    "select", "-comment",
})
_BLOCKS = frozenset({
    "html", "body", "p", "div", "section", "article", "main", "aside", "header", "blockquote", "ul", "ol",
    "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "caption", "figure", "figcaption",
    "address", "hr", "form", "fieldset", "details", "summary", "center",
})
# fmt: on
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_CELLS = frozenset({"td", "th"})
_CELL_MARK = "\ue000"  # a private-use character: where a table cell starts, until the row is joined
# How deep elements may nest: the parser's time grows with the square of the depth (100,000 nested
# <div>s took 10-20 s on two cores; 10,000 take a tenth of a second), and no real page nests more
# than a few hundred deep. Elements that close themselves or need no end tag do not count.
MAX_NESTING = 10_000
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>")
_NOT_NESTING = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup",
    "rb", "rt", "rtc", "rp", "colgroup", "caption", "html", "head", "body",
})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class HtmlBlock:
    """A paragraph of a page; `level` is 1–6 for a heading, None otherwise."""

    text: str
    level: int | None = None


class _TextWalker:
    """Walks the tree with an explicit stack (a deeply nested page must not exhaust Python's recursion
    limit) and gathers inline text until a block element ends it."""

    def __init__(self) -> None:
        self.blocks: list[HtmlBlock] = []
        self.inline: list[str] = []

    def walk(self, root: LexborNode) -> list[HtmlBlock]:
        stack: list[tuple[LexborNode, bool]] = [(root, False)]
        while stack:
            node, leaving = stack.pop()
            if leaving:
                self.flush()
            elif self.visit(node):
                if node.tag in _BLOCKS:
                    stack.append((node, True))  # a block ends its paragraph when it closes
                stack.extend((child, False) for child in reversed(list(node.iter(include_text=True))))
        self.flush()
        return self.blocks

    def visit(self, node: LexborNode) -> bool:
        """Handle one node; True when its children are to be walked."""
        tag = node.tag or ""
        if tag == "-text":
            # Line breaks in the source are layout, not text: only <br> and <pre> make lines.
            self.inline.append((node.text_content or "").replace("\n", " "))
            return False
        if tag in _SKIP:
            return False
        if tag == "br":
            self.inline.append("\n")
            return False
        if tag in _HEADINGS or tag == "pre":
            self.flush()
            raw = node.text()
            text = clean_text(raw, keep_indent=True) if tag == "pre" else clean_line(raw.replace("\n", " "))
            if text:
                self.blocks.append(HtmlBlock(text, _HEADINGS.get(tag)))
            return False
        if tag in _CELLS:
            self.inline.append(_CELL_MARK)
        elif tag in _BLOCKS:
            self.flush()
        return True

    def flush(self) -> None:
        lines = [_join_cells(clean_line(line)) for line in "".join(self.inline).split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            self.blocks.append(HtmlBlock(text))
        self.inline = []


def _join_cells(line: str) -> str:
    if _CELL_MARK not in line:
        return line
    return " | ".join(cell.strip() for cell in line.split(_CELL_MARK) if cell.strip())


def nesting_depth(text: str, stop_at: int = MAX_NESTING) -> int:
    """How deep the page's elements nest, counted from its tags (stops counting past `stop_at`)."""
    depth = deepest = 0
    for tag in _TAG.finditer(text):
        if tag.group(3) or tag.group(2).lower() in _NOT_NESTING:
            continue
        if tag.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_at:
                    break
    return deepest


def parse_html(text: str, path: Path) -> LexborHTMLParser:
    """The parsed page; a page nested deeper than any real one is refused before parsing."""
    if len(text) > 5 * MAX_NESTING and nesting_depth(text) > MAX_NESTING:
        raise DamagedDocument(path, f"its elements are nested more than {MAX_NESTING:,} deep, "
                                    "far deeper than any real page")
    return LexborHTMLParser(text)


def html_title(page: LexborHTMLParser) -> str | None:
    node = page.css_first("title")
    if node is None:
        return None
    return clean_line(node.text().replace("\n", " ")) or None


def html_blocks(page: LexborHTMLParser) -> list[HtmlBlock]:
    root = page.body if page.body is not None else page.root
    return _TextWalker().walk(root) if root is not None else []


def split_sections(blocks: list[HtmlBlock]) -> list[Section]:
    sections = [Section(None, [])]
    for block in blocks:
        if block.level is not None and block.level <= SECTION_LEVELS:
            sections.append(Section(block.text, []))
        sections[-1].paragraphs.append(block.text)
    return [section for section in sections if section.paragraphs]


def read_html(job: ReadJob) -> DocumentText:
    data = job.read_bytes(min(job.limits.max_text_file_bytes, job.limits.max_file_bytes))
    meta = _META_CHARSET.search(data[:4096])
    declared = meta.group(1).decode("ascii") if meta else None
    text = normalise_newlines(decode_text(job.path, data, declared))
    job.report(0.3, "parsing")
    page = parse_html(text, job.path)
    blocks = html_blocks(page)
    job.report(0.8, "splitting into sections")
    title = html_title(page) or job.path.stem
    return DocumentText(title=title, kind="html", passages=section_passages(split_sections(blocks)))
