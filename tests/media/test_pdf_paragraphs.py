"""A PDF page's lines become its paragraphs again: on a PDF written with wrapped paragraphs, every
chunk starts where a sentence starts; on lines alone, a full line runs on, a short line after a
sentence's end closes its paragraph, list items stay apart and a page of short lines is kept."""

from __future__ import annotations

from pathlib import Path

from media.chunking import chunk_document
from media.read_document import read_document
from media.readers.pdf_paragraphs import joined_paragraphs
from tests.media.conftest import make_pdf

KEEPERS = ("The keepers logged every passing ship, the weather at each watch and the paraffin "
           "burned through the night. ")
INSPECTOR = "Each spring the inspector came out on the supply boat and read the whole log aloud. "


def test_a_wrapped_pdf_reads_as_paragraphs_and_chunks_start_at_sentences(tmp_path: Path) -> None:
    first, second = KEEPERS * 11, INSPECTOR * 11
    pdf = make_pdf(tmp_path / "log.pdf", [f"{first.strip()}\n{second.strip()}"])
    document = read_document(pdf)
    (page,) = document.passages  # the report's running head and footer around the two paragraphs
    paragraphs = page.text.split("\n\n")
    # (A footer right under a full last line reads as that line's run-on: "…aloud. Page 1 of 1".)
    assert paragraphs[1] == first.strip() and paragraphs[2].startswith(second.strip())
    chunks = list(chunk_document(document))
    assert len(chunks) >= 3
    starts = ("The keepers", "Each spring", "The Lighthouse", "Page 1")  # sentences, head, footer
    for chunk in chunks:
        assert chunk.text.startswith(starts), chunk.text[:40]


def test_lines_run_on_until_a_short_line_ends_a_sentence() -> None:
    lines = [
        "Results",
        "The lamp was lit at dusk and put out at dawn by the keeper on",
        "watch, who wrote the time in the log with the state of the sea.",
        "It burned a gallon a night.",
        "In winter the supply boat could not land for weeks, and the well-",
        "known shortage of paraffin made the keepers trim the wick low.",
        "• oil",
        "• wicks",
    ]
    assert joined_paragraphs(lines) == [
        "Results",
        "The lamp was lit at dusk and put out at dawn by the keeper on watch, who wrote the time "
        "in the log with the state of the sea. It burned a gallon a night.",
        "In winter the supply boat could not land for weeks, and the well-known shortage of "
        "paraffin made the keepers trim the wick low.",
        "• oil",
        "• wicks",
    ]


def test_a_page_of_short_lines_is_kept_line_by_line() -> None:
    table = ["Keeper", "Years", "Ruth Alder", "1901–1930", "Tom Pike", "1930–1952"]
    assert joined_paragraphs(table) == table
    assert joined_paragraphs([]) == []
