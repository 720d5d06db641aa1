"""Writing a text as a file in each format Longwit reads (plain text, PDF, EPUB, DOCX), so that the
answer evaluation goes through the same readers a person's files do.

PDF through fpdf2 with a Unicode TrueType font found on the system (DejaVu on Debian), EPUB as the
small zip the format is (mimetype first and stored, a container, a package file, one XHTML file a
chapter), DOCX through python-docx.
"""

from __future__ import annotations

import html
import subprocess
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/arial.ttf",
)
FORMATS = ("txt", "pdf", "epub", "docx")


@dataclass(frozen=True)
class Chapter:
    heading: str
    paragraphs: tuple[str, ...]


def write_document(path: Path, title: str, chapters: Sequence[Chapter]) -> Path:
    """Write the chapters under `title` in the format the suffix names."""
    writers = {".txt": write_text, ".pdf": write_pdf, ".epub": write_epub, ".docx": write_docx}
    try:
        writer = writers[path.suffix.lower()]
    except KeyError as error:
        raise ValueError(f"no writer for {path.suffix!r}; use one of {sorted(writers)}") from error
    path.parent.mkdir(parents=True, exist_ok=True)
    writer(path, title, chapters)
    return path


def write_text(path: Path, title: str, chapters: Sequence[Chapter]) -> None:
    parts = [title]
    for chapter in chapters:
        parts.append(chapter.heading)
        parts.extend(chapter.paragraphs)
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")


def unicode_font() -> Path | None:
    """A TrueType font with wide coverage: a known path, else what fontconfig offers for sans."""
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", "sans"], capture_output=True, text=True,
                               timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(found) if found.endswith((".ttf", ".otf")) and Path(found).is_file() else None


def latin1(text: str) -> str:
    """The closest Latin-1 text, for PDF's built-in fonts when no Unicode font is installed."""
    kept = []
    for ch in text:
        if ord(ch) >= 256:  # "Ż" → "Z"; what has no Latin-1 base is dropped
            ch = "".join(c for c in unicodedata.normalize("NFKD", ch) if ord(c) < 256
                         and not unicodedata.combining(c))
        kept.append(ch)
    return "".join(kept)


def write_pdf(path: Path, title: str, chapters: Sequence[Chapter]) -> None:
    from fpdf import FPDF  # imported here: only the evaluation writes PDFs

    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    font = unicode_font()
    if font is not None:
        pdf.add_font("body", "", str(font))
        family, clean = "body", (lambda text: text)
    else:
        family, clean = "helvetica", latin1
    pdf.set_title(clean(title))
    pdf.add_page()
    pdf.set_font(family, size=16)
    pdf.multi_cell(0, 9, clean(title), new_x="LMARGIN", new_y="NEXT")
    for chapter in chapters:
        pdf.set_font(family, size=13)
        pdf.ln(4)
        pdf.multi_cell(0, 7, clean(chapter.heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=10.5)
        for paragraph in chapter.paragraphs:
            pdf.ln(2)
            pdf.multi_cell(0, 5.5, clean(paragraph), new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def write_docx(path: Path, title: str, chapters: Sequence[Chapter]) -> None:
    import docx  # python-docx

    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, level=0)
    for chapter in chapters:
        document.add_heading(chapter.heading, level=1)
        for paragraph in chapter.paragraphs:
            document.add_paragraph(paragraph)
    document.save(str(path))


CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""


def xhtml(heading: str, paragraphs: Sequence[str]) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml">'
        f"<head><title>{html.escape(heading)}</title></head>"
        f"<body><h1>{html.escape(heading)}</h1>\n{body}</body></html>"
    )


def package(title: str, count: int) -> str:
    items = "\n".join(
        f'<item id="c{i}" href="c{i}.xhtml" media-type="application/xhtml+xml"/>' for i in range(count)
    )
    spine = "\n".join(f'<itemref idref="c{i}"/>' for i in range(count))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:identifier id="id">longwit-evaluation</dc:identifier><dc:title>{html.escape(title)}'
        "</dc:title><dc:language>en</dc:language></metadata>"
        f'<manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" '
        f'properties="nav"/>\n{items}</manifest><spine>{spine}</spine></package>'
    )


def navigation(chapters: Sequence[Chapter]) -> str:
    links = "".join(
        f'<li><a href="c{i}.xhtml">{html.escape(c.heading)}</a></li>' for i, c in enumerate(chapters)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
        f'<head><title>Contents</title></head><body><nav epub:type="toc"><ol>{links}</ol></nav>'
        "</body></html>"
    )


def write_epub(path: Path, title: str, chapters: Sequence[Chapter]) -> None:
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        book.writestr("META-INF/container.xml", CONTAINER, compress_type=zipfile.ZIP_DEFLATED)
        book.writestr("OEBPS/content.opf", package(title, len(chapters)),
                      compress_type=zipfile.ZIP_DEFLATED)
        book.writestr("OEBPS/nav.xhtml", navigation(chapters), compress_type=zipfile.ZIP_DEFLATED)
        for i, chapter in enumerate(chapters):
            book.writestr(f"OEBPS/c{i}.xhtml", xhtml(chapter.heading, chapter.paragraphs),
                          compress_type=zipfile.ZIP_DEFLATED)
