"""Hostile bytes into every reader: arbitrary bytes under each supported name, real files of each
format with bytes flipped, cut short or spliced, and the corpus the issue names (a 1 GB one-line
text, deeply nested HTML, invalid UTF-8, NUL bytes). Whatever comes in, the reader returns text or
raises a DocumentError with one line; never another exception, never a hang. The suite runs a few
dozen examples of each property; `pytest --hypothesis-profile=fuzz` runs thousands."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from media.document_files import Chapter, write_document
from media.errors import DamagedDocument, DocumentError, DocumentTooLarge
from media.read_document import read_document

# Image and audio names are left to their own tests: bytes that happen to decode as a picture go
# to OCR, which is seconds per page, and the text formats below are where a parser meets the bytes.
FUZZED_SUFFIXES = (".txt", ".md", ".html", ".csv", ".pdf", ".docx", ".epub", ".png", ".wav")
SECONDS_PER_FILE = 20.0  # a damaged file of a few KB is refused or read long before this


def read_or_refuse(path: Path) -> None:
    """The contract: text, or a DocumentError with a one-line message; within the time bound."""
    started = time.perf_counter()
    try:
        document = read_document(path)
    except DocumentError as error:
        message = str(error)
        assert message and "\n" not in message and "Traceback" not in message
    else:
        assert document.passages and all(p.text.strip() for p in document.passages)
    assert time.perf_counter() - started < SECONDS_PER_FILE


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """One small real file of each written format, as bytes to damage."""
    folder = tmp_path_factory.mktemp("valid")
    chapters = [Chapter("One", ["The keeper lit the lamp at dusk.", "Gulls circled the rail."]),
                Chapter("Two", ["Supplies came in March with letters and bread."])]
    return {suffix: write_document(folder / f"book{suffix}", "Keeper", chapters).read_bytes()
            for suffix in (".txt", ".pdf", ".epub", ".docx")}


@given(data=st.binary(min_size=1, max_size=4096), suffix=st.sampled_from(FUZZED_SUFFIXES))
def test_arbitrary_bytes_under_any_name(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    read_or_refuse(path)


@given(suffix=st.sampled_from((".txt", ".pdf", ".epub", ".docx")), data=st.data())
def test_real_files_damaged(tmp_path: Path, valid_files: dict[str, bytes], suffix: str,
                            data: st.DataObject) -> None:
    """A real file with some bytes overwritten, cut short, or with junk spliced in."""
    original = bytearray(valid_files[suffix])
    how = data.draw(st.sampled_from(("flip", "cut", "splice")))
    if how == "flip":
        for _ in range(data.draw(st.integers(1, 16))):
            at = data.draw(st.integers(0, len(original) - 1))
            original[at] = data.draw(st.integers(0, 255))
    elif how == "cut":
        original = original[: data.draw(st.integers(1, len(original) - 1))]
    else:
        at = data.draw(st.integers(0, len(original)))
        original[at:at] = data.draw(st.binary(min_size=1, max_size=512))
    path = tmp_path / f"damaged{suffix}"
    path.write_bytes(bytes(original))
    read_or_refuse(path)


def test_a_one_gigabyte_single_line_text_is_refused_from_its_size(tmp_path: Path) -> None:
    """1 GB with no line break (sparse on disk, so the test writes almost nothing): refused before
    a byte is read, with the limit named."""
    path = tmp_path / "one-line.txt"
    with path.open("wb") as file:
        file.seek(2**30 - 1)
        file.write(b"a")
    started = time.perf_counter()
    with pytest.raises(DocumentTooLarge) as refused:
        read_document(path)
    assert time.perf_counter() - started < 1.0
    assert "limit" in str(refused.value)


def test_a_long_single_line_under_the_limit_is_read_in_passages(tmp_path: Path) -> None:
    path = tmp_path / "long-line.txt"
    path.write_text("word " * 400_000)  # 2 MB on one line
    document = read_document(path)
    assert len(document.passages) > 100
    assert max(len(p.text) for p in document.passages) <= 2000


def test_deeply_nested_html_is_refused_before_parsing(tmp_path: Path) -> None:
    """The parser's time grows with the square of the nesting: 100,000 nested elements are refused
    at once with a line that says why; a page nested a few thousand deep is read."""
    path = tmp_path / "nested.html"
    depth = 100_000
    path.write_text("<html><body>" + "<div>" * depth + "Deep inside the divs." + "</div>" * depth
                    + "</body></html>")
    started = time.perf_counter()
    with pytest.raises(DamagedDocument, match="nested more than"):
        read_document(path)
    assert time.perf_counter() - started < 5.0
    fine = tmp_path / "deep-but-fine.html"
    fine.write_text("<html><body>" + "<section>" * 3000 + "<p>Deep inside.</p>" + "</section>" * 3000
                    + "<p>" * 20_000 + "Unclosed paragraphs do not nest.</body></html>")
    assert "Deep inside." in read_document(fine).passages[0].text


def test_invalid_utf8_and_nul_bytes(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.txt"
    mixed.write_bytes(b"The keeper\xff\xfe lit the lamp.\n" * 50 + b"\xc3\x28 bad \xa0 bytes\n" * 50)
    read_or_refuse(mixed)
    nul = tmp_path / "nul.txt"
    nul.write_bytes(b"Supplies came\x00 in March.\n" * 100)
    read_or_refuse(nul)
    html = tmp_path / "nul.html"
    html.write_bytes(b"<p>The lamp\x00 \xff burned.</p>" * 100)
    read_or_refuse(html)
