"""Each format comes out as passages in document order with the right place attached: the page a
sentence is on, the heading it sits under, the line it starts at; page furniture stays out."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from media.document import DocumentText, Location
from media.errors import ReadCancelled
from media.read_document import SUPPORTED_SUFFIXES, read_document
from media.readers.pdf import strip_running_heads
from tests.media.conftest import FRENCH, JAPANESE, NEEDLE_PAGE, PDF_HEADER, PDF_PAGES


def passage_with(document: DocumentText, needle: str) -> Location:
    matches = [passage.location for passage in document.passages if needle in passage.text]
    assert len(matches) == 1, f"{needle!r} in {len(matches)} passages"
    return matches[0]


def test_pdf_gives_a_passage_per_page_without_running_heads(report_pdf: Path) -> None:
    document = read_document(report_pdf)
    assert document.kind == "pdf"
    assert document.title == "Quarterly Report of the Lighthouse"
    assert [passage.location for passage in document.passages] == [Location(page=n) for n in range(1, 6)]
    assert passage_with(document, "albatross named Quentin") == Location(page=NEEDLE_PAGE)
    for passage, text in zip(document.passages, PDF_PAGES, strict=True):
        assert passage.text == text
    assert PDF_HEADER not in document.text and "Page" not in document.text


def test_pdf_progress_counts_pages_and_a_cancel_stops_between_them(report_pdf: Path) -> None:
    cancel = threading.Event()
    heard: list[tuple[float, str]] = []

    def progress(fraction: float, what: str) -> None:
        heard.append((fraction, what))
        if what == "page 2 of 5":
            cancel.set()

    with pytest.raises(ReadCancelled, match=r"report\.pdf"):
        read_document(report_pdf, progress=progress, cancel=cancel)
    assert [what for _, what in heard] == ["opening", "page 1 of 5", "page 2 of 5"]
    fractions = [fraction for fraction, _ in heard]
    assert fractions == sorted(fractions) and all(0 <= f <= 1 for f in fractions)


def test_docx_sections_follow_headings_and_tables_are_read(report_docx: Path) -> None:
    document = read_document(report_docx)
    assert (document.kind, document.title) == ("docx", "Keeper's Handbook")
    assert [passage.location.section for passage in document.passages] == [
        None,
        "Lighting the Lamp",
        "Supplies",
        "Wildlife",
    ]
    assert passage_with(document, "first night on the rock") == Location(section=None)
    assert passage_with(document, "Paraffin | 40 gallons") == Location(section="Supplies")
    assert passage_with(document, "Item | Amount") == Location(section="Supplies")
    wildlife = document.passages[3].text
    assert wildlife == "Wildlife\n\nBirds\n\nQuentin the albatross must not be fed."


def test_epub_chapters_come_in_spine_order_with_their_titles(book_epub: Path) -> None:
    document = read_document(book_epub)
    assert (document.kind, document.title) == ("epub", "The Lamp on the Rock")
    # Titles from the table of contents (a #fragment ignored), then a heading, then the file name;
    # the navigation page is not a chapter.
    assert [passage.location.section for passage in document.passages] == [
        "Arrival",
        "Winter",
        "Spring Returns",
        "colophon",
    ]
    assert document.passages[1].text == "2\n\nIce coated the gallery rail.\n\nThe lamp held."
    assert passage_with(document, "Quentin came back") == Location(section="Spring Returns")
    assert "script text" not in document.text


def test_an_epub2_book_is_titled_from_its_ncx(ncx_epub: Path) -> None:
    document = read_document(ncx_epub)
    assert document.title == "Logbook"
    assert [(p.location.section, p.text) for p in document.passages] == [
        ("First Watch", "Entry one."),
        ("Second Watch", "Entry two."),
    ]


def test_html_drops_furniture_and_splits_at_headings(page_html: Path) -> None:
    document = read_document(page_html)
    assert (document.kind, document.title) == ("html", "Lighthouse & Keeper")
    assert [passage.location.section for passage in document.passages] == [
        None,
        "History",
        "Keepers",
        "The Lens",
    ]
    assert document.passages[1].text == "History\n\nBuilt in 1874, the tower stands 30 m tall."
    keepers = document.passages[2].text
    assert "Ada\n\nTom" in keepers and "Year | Keeper\n\n1874 | Ada Finch" in keepers
    assert "A minor note\n\nDeep headings stay in their section." in keepers
    assert document.passages[3].text == "The Lens\n\n  first line\n    indented line"
    for furniture in ("script text", "color: red", "Navigation text", "Footer text"):
        assert furniture not in document.text


def test_markdown_sections_start_at_their_heading_lines(notes_md: Path) -> None:
    document = read_document(notes_md)
    assert (document.kind, document.title) == ("markdown", "Lighthouse Notes")
    assert [passage.location for passage in document.passages] == [
        Location(section=None, line=1),
        Location(section="Lighthouse Notes", line=3),
        Location(section="The Lamp", line=12),
        Location(section="Setext Heading", line=15),
    ]
    assert '# not a heading\nprint("lamp")' in document.passages[1].text


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-8", FRENCH),
        ("utf-16", FRENCH),
        ("cp1252", FRENCH),
        ("latin-1", "Señor Muñoz comió allí.\n"),
        ("shift_jis", JAPANESE),
        ("utf-8-sig", JAPANESE),
    ],
)
def test_text_in_each_encoding_comes_out_right(
    write_text: Callable[[str, str, str], Path], encoding: str, text: str
) -> None:
    document = read_document(write_text(f"{encoding}.txt", text, encoding))
    assert document.kind == "text" and document.title == encoding
    assert document.text == text.strip()


def test_text_passages_break_at_blank_lines_and_keep_line_numbers(tmp_path: Path) -> None:
    lines = ["Title line", "", "", "First paragraph.", "Still the first.", ""]
    lines += [f"row {n}" for n in range(100)]  # one block longer than a passage
    lines += ["", "Last   words,   spaced   out."]
    path = tmp_path / "log.txt"
    path.write_text("\r\n".join(lines), encoding="utf-8")
    document = read_document(path)
    assert document.passages[0].text == "Title line\n\nFirst paragraph.\nStill the first."
    assert passage_with(document, "row 0\n") == Location(line=7)  # the long block starts a passage
    assert document.passages[-1].text.endswith("row 99\n\nLast words, spaced out.")
    for passage in document.passages:  # each passage starts on the line its location names
        assert passage.location.line is not None
        assert passage.text.split("\n")[0] == lines[passage.location.line - 1]
        assert len(passage.text.split("\n")) <= 40 and len(passage.text) <= 2000


def test_a_very_long_line_is_cut_into_passages_on_that_line(tmp_path: Path) -> None:
    path = tmp_path / "minified.csv"
    path.write_text("header\n" + "word " * 2000 + "\n", encoding="utf-8")
    document = read_document(path)
    assert len(document.passages) >= 5
    assert all(len(p.text) <= 2000 for p in document.passages)
    assert [p.location.line for p in document.passages][1:] == [2] * (len(document.passages) - 1)


def test_supported_suffixes_cover_every_format() -> None:
    for suffix in (".pdf", ".docx", ".epub", ".html", ".htm", ".md", ".markdown", ".txt", ".flac", ".mp4"):
        assert suffix in SUPPORTED_SUFFIXES


def test_running_heads_vary_by_page_number_and_alternate_between_pages() -> None:
    words = ["lamp", "wick", "oil", "lens", "gale", "tide", "rock", "boat", "gull", "fog"]
    pages = [
        ["THE LAMP" if n % 2 else "Chapter Two: Winter", f"The {words[n - 1]} mattered.", f"- {n} -"]
        for n in range(1, 11)
    ]
    pages[4].insert(1, "Table 1")  # near the top of one page only: kept
    stripped = strip_running_heads(pages)
    assert stripped[0] == ["The lamp mattered."]
    assert stripped[1] == ["The wick mattered."]
    assert stripped[4] == ["Table 1", "The gale mattered."]
    assert strip_running_heads(pages[:2]) == pages[:2]  # two pages: nothing can be told apart


def test_markdown_front_matter_is_metadata_not_a_heading(tmp_path: Path) -> None:
    path = tmp_path / "post.markdown"
    front_matter = "---\ntitle: A Post\ndate: 2024-01-01\n---\n"
    path.write_text(front_matter + "\nIntro.\n\n# Heading\n\nBody.\n", encoding="utf-8")
    document = read_document(path)
    assert [p.location for p in document.passages] == [Location(line=6), Location(section="Heading", line=8)]
    assert "title: A Post" not in document.text and document.title == "Heading"


def test_only_real_line_breaks_count_as_lines(tmp_path: Path) -> None:
    path = tmp_path / "rfc.txt"
    rows = b"".join(b"row %d\r" % n for n in range(45))  # too long to share a passage
    path.write_bytes(b"Page one.\x0c\r\n\x0c\n" + rows)
    document = read_document(path)
    assert [(p.location.line, p.text.split("\n")[0]) for p in document.passages] == [
        (1, "Page one."),
        (3, "row 0"),
        (43, "row 40"),
    ]
