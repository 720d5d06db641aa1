"""Documents for the reader tests, made at test time with the libraries that write each format (no
binary file is committed): PDFs with running heads and known text on known pages, Word files with
headings and a table, an EPUB book, HTML, Markdown, text in several encodings, and broken, locked,
binary and oversized files of each kind."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile
from docx import Document
from ebooklib import epub
from fpdf import FPDF
from fpdf.enums import EncryptionMethod

JFK = Path(__file__).resolve().parents[3] / "shared" / "audio" / "jfk.flac"

PDF_HEADER = "The Lighthouse Keepers' Quarterly Report"
PDF_PAGES = [
    "Storms in the first quarter kept the lamp burning through forty-one nights.",
    "The supply boat came twice in March and brought paraffin, bread and letters.",
    "An albatross named Quentin nested on the gallery rail during April.",
    "Repairs to the lens cost the keepers most of the spring budget.",
    "The summer visitors asked mostly about the ghost of the old keeper.",
]
NEEDLE_PAGE = 3  # the albatross is on page 3


class _ReportPdf(FPDF):
    def header(self) -> None:
        self.set_font("Helvetica", size=9)
        self.cell(0, 8, PDF_HEADER, align="C")
        self.ln(12)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=9)
        self.cell(0, 8, f"Page {self.page_no()} of {{nb}}", align="C")


def make_pdf(path: Path, pages: list[str], title: str | None = None, password: str | None = None) -> Path:
    pdf = _ReportPdf()
    if title:
        pdf.set_title(title)
    if password:
        # RC4, because fpdf2's AES needs the cryptography package; PDFium refuses either without the password.
        pdf.set_encryption(
            owner_password="owner-" + password, user_password=password, encryption_method=EncryptionMethod.RC4
        )
    for text in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


@pytest.fixture
def report_pdf(tmp_path: Path) -> Path:
    return make_pdf(tmp_path / "report.pdf", PDF_PAGES, title="Quarterly Report of the Lighthouse")


@pytest.fixture
def scanned_pdf(tmp_path: Path) -> Path:
    """Pages with only drawings: no text layer, and nothing that OCR reads as text."""
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 100, 60, style="F")
    pdf.output(str(tmp_path / "scan.pdf"))
    return tmp_path / "scan.pdf"


@pytest.fixture
def encrypted_pdf(tmp_path: Path) -> Path:
    return make_pdf(tmp_path / "locked.pdf", PDF_PAGES[:2], password="secret")


@pytest.fixture
def damaged_pdf(tmp_path: Path, report_pdf: Path) -> Path:
    """A real PDF cut short, its cross-reference table and trailer lost, the middle overwritten."""
    data = bytearray(report_pdf.read_bytes()[: report_pdf.stat().st_size // 2])
    data[200:1200] = b"\xff" * 1000
    path = tmp_path / "damaged.pdf"
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def report_docx(tmp_path: Path) -> Path:
    document = Document()
    document.core_properties.title = "Keeper's Handbook"
    document.add_paragraph("Read this before your first night on the rock.")
    document.add_heading("Lighting the Lamp", level=1)
    document.add_paragraph("Trim the wick at dusk and polish the lens every morning.")
    document.add_heading("Supplies", level=2)
    document.add_paragraph("The boat brings these each month:")
    table = document.add_table(rows=3, cols=2)
    for row, (item, amount) in zip(
        table.rows, [("Item", "Amount"), ("Paraffin", "40 gallons"), ("Bread", "12 loaves")], strict=True
    ):
        row.cells[0].text, row.cells[1].text = item, amount
    document.add_heading("Wildlife", level=1)
    document.add_heading("Birds", level=4)  # too deep to start a section
    document.add_paragraph("Quentin the albatross must not be fed.")
    path = tmp_path / "handbook.docx"
    document.save(str(path))
    return path


def _chapter(name: str, title: str, body: str) -> epub.EpubHtml:
    chapter = epub.EpubHtml(title=title, file_name=name, lang="en")
    chapter.content = f"<html><head><title>{title}</title></head><body>{body}</body></html>"
    return chapter


@pytest.fixture
def ncx_epub(tmp_path: Path) -> Path:
    """An EPUB 2 style book: chapters in a subfolder, titled only by the NCX, one under a part."""
    book = epub.EpubBook()
    book.set_identifier("longwit-ncx-book")
    book.set_title("Logbook")
    book.set_language("en")
    chapters = [_chapter(f"text/{name}.xhtml", name, f"<p>Entry {name}.</p>") for name in ("one", "two")]
    for chapter in chapters:
        book.add_item(chapter)
    book.toc = [
        epub.Link("text/one.xhtml", "First Watch", "one"),
        (epub.Section("Part Two"), [epub.Link("text/two.xhtml", "Second Watch", "two")]),
    ]
    book.add_item(epub.EpubNcx())
    book.spine = chapters
    path = tmp_path / "logbook.epub"
    epub.write_epub(str(path), book, {"epub3_pages": False})
    return path


@pytest.fixture
def book_epub(tmp_path: Path) -> Path:
    """Three chapters: two named by the table of contents, one only by its heading; then an untitled
    colophon that can only be named by its file."""
    book = epub.EpubBook()
    book.set_identifier("longwit-test-book")
    book.set_title("The Lamp on the Rock")
    book.set_language("en")
    chapters = [
        _chapter(
            "arrival.xhtml",
            "Arrival",
            "<h1>1</h1><p>The keeper arrived in a gale.</p><script>var hidden = 'script text';</script>",
        ),
        _chapter(
            "winter.xhtml", "Winter", "<h1>2</h1><p>Ice coated the gallery rail.</p><p>The lamp held.</p>"
        ),
        _chapter("spring.xhtml", "Spring", "<h2>Spring Returns</h2><p>Quentin came back in April.</p>"),
        _chapter("colophon.xhtml", "", "<p>Set in Caslon.</p>"),
    ]
    for chapter in chapters:
        book.add_item(chapter)
    book.toc = [
        epub.Link("arrival.xhtml", "Arrival", "arrival"),
        epub.Link("winter.xhtml#top", "Winter", "winter"),
    ]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *chapters]
    path = tmp_path / "lamp.epub"
    epub.write_epub(str(path), book)
    return path


@pytest.fixture
def page_html(tmp_path: Path) -> Path:
    path = tmp_path / "page.html"
    path.write_text(
        """<!doctype html><html><head><meta charset="utf-8"><title>Lighthouse &amp; Keeper</title>
<style>p { color: red; }</style><script>console.log("script text")</script></head>
<body><nav><a href="/">Home</a> <a href="/about">Navigation text</a></nav>
<p>An opening line before any heading.</p>
<h1>History</h1><p>Built in <b>1874</b>,
   the tower    stands 30 m tall.</p>
<h2>Keepers</h2><ul><li>Ada</li><li>Tom</li></ul>
<table><tr><th>Year</th><th>Keeper</th></tr><tr><td>1874</td><td>Ada Finch</td></tr></table>
<h4>A minor note</h4><p>Deep headings stay in their section.</p>
<h3>The Lens</h3><pre>  first line
    indented line</pre>
<footer>Footer text, copyright</footer></body></html>""",
        encoding="utf-8",
    )
    return path


MARKDOWN = """Some words before any heading.

# Lighthouse Notes

The first paragraph.

```python
# not a heading
print("lamp")
```

## The Lamp
Trim the wick.

Setext Heading
--------------

Underlined headings count too.
"""


@pytest.fixture
def notes_md(tmp_path: Path) -> Path:
    path = tmp_path / "notes.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    return path


FRENCH = (
    "Le café était plein ce soir-là. Elle a dit « bonjour » et il a répondu “merci beaucoup” — "
    "c’était l’été à Montréal, et la vieille dame était naïve et élégante.\n"
)
JAPANESE = (
    "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。"
    "何でも薄暗いじめじめした所で泣いていた。\n"
)


@pytest.fixture
def write_text(tmp_path: Path) -> Callable[[str, str, str], Path]:
    """Write `text` in an encoding to a file named `name`."""

    def write(name: str, text: str, encoding: str) -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


def zip_with_zeros(path: Path, member: str, megabytes: int) -> Path:
    """A zip whose one member is `megabytes` of zeros, streamed so that neither the test's memory
    nor its disk holds more than a few MB."""
    chunk = bytes(2**20)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open(member, "w", force_zip64=True) as stream,
    ):
        for _ in range(megabytes):
            stream.write(chunk)
    return path


@pytest.fixture
def silence_wav(tmp_path: Path) -> Path:
    path = tmp_path / "silence.wav"
    soundfile.write(str(path), np.zeros(16_000 * 3, dtype=np.float32), 16_000)
    return path


@pytest.fixture
def jfk_flac() -> Path:
    if not JFK.exists():
        pytest.skip(f"the speech sample {JFK} is not there")
    return JFK
