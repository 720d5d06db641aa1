"""Scans become text through real OCR: pages drawn here with a real font, put into a PDF with no text
layer or saved as PNG, JPEG and TIFF, come back with their words on the right page; a blank scan, a
broken image and an image bomb are each refused with one line, and nothing is stored for them."""

from __future__ import annotations

import re
import struct
import textwrap
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from media import ocr
from media.errors import (
    DamagedDocument,
    DocumentError,
    EmptyDocument,
    ImageTooLarge,
    OcrUnavailable,
    ReadCancelled,
)
from media.ingest import ingest_file
from media.ocr import OcrEngineError, TextBox, image_lines, load_engine, reading_order
from media.read_document import SUPPORTED_SUFFIXES, ReadLimits, read_document
from storage import DocumentStore, open_database

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian's fonts-dejavu-core
PAGE_ONE = "The lighthouse keepers counted forty barrels of paraffin before the winter storms."
PAGE_TWO = "An albatross named Quentin nested on the gallery rail during April and May."
CARD = (1200, 900)  # a 4 x 3 inch card scanned at 300 dpi: small, so that the file stays fast


@pytest.fixture(scope="module", autouse=True)
def ocr_engine() -> None:
    """Load the engine and its models once for the module (each test then pays only for its pages)."""
    load_engine()
    assert image_lines(scan("Warm up")) == ["Warm up"]


@pytest.fixture
def docs(longwit_home: Path) -> DocumentStore:
    return DocumentStore(open_database(longwit_home / "longwit.db"))


def font(size: int) -> ImageFont.FreeTypeFont:
    # Pillow's own bundled FreeType font where DejaVu is not installed: still a real outline font.
    return ImageFont.truetype(str(FONT), size) if FONT.exists() else ImageFont.load_default(size)


def scan(text: str, size: tuple[int, int] = CARD, smudge: bool = False) -> Image.Image:
    """A grey page with `text` in 12-point type at 300 dpi (50 px), as a scanner would give it."""
    page = Image.new("L", size, 250)
    draw = ImageDraw.Draw(page)
    if smudge:  # a blank page that is not quite white: it goes through OCR
        draw.rectangle((100, 100, 400, 300), fill=200)
    for row, line in enumerate(textwrap.wrap(text, 34)):
        draw.text((60, 60 + row * 75), line, font=font(50), fill=20)
    return page


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def share_found(expected: str, got: str) -> float:
    found = set(words(got))
    return sum(word in found for word in words(expected)) / len(words(expected))


def scanned_pdf(path: Path, pages: list[Image.Image]) -> Path:
    """Images as the pages of a PDF with no text layer, the way a scanner writes one."""
    pages[0].save(path, "PDF", resolution=300, save_all=True, append_images=pages[1:])
    return path


def counts(docs: DocumentStore) -> tuple[int, int, int]:
    return tuple(
        docs.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        for table in ("documents", "chunks", "chunks_fts")
    )


def refused_and_not_stored(path: Path, docs: DocumentStore, error: type[DocumentError]) -> str:
    with pytest.raises(error) as caught:
        ingest_file(path, docs)
    assert type(caught.value) is error
    message = str(caught.value)
    assert path.name in message and "\n" not in message
    assert counts(docs) == (0, 0, 0)
    return message


def test_lines_come_in_reading_order_from_an_image_or_an_array() -> None:
    card = scan(PAGE_ONE)
    lines = image_lines(card)
    assert len(lines) == len(textwrap.wrap(PAGE_ONE, 34))
    assert lines[0].lower().startswith("the lighthouse")
    assert share_found(PAGE_ONE, " ".join(lines)) >= 0.8
    assert image_lines(np.asarray(card.convert("RGB"))) == lines


def test_two_columns_are_read_one_after_the_other_under_their_title() -> None:
    def box(text: str, left: float, top: float) -> TextBox:
        return TextBox(text, left, top, left + 400, top + 40)

    boxes = [box("left 1", 100, 200), box("right 1", 700, 200), box("left 2", 100, 260),
             box("right 2", 700, 260), box("Title across", 100, 60), box("both", 500, 60)]
    assert reading_order(boxes) == ["Title across both", "left 1", "left 2", "right 1", "right 2"]


def test_a_scanned_pdf_is_read_by_ocr_with_its_page_numbers(tmp_path: Path) -> None:
    path = scanned_pdf(tmp_path / "scan.pdf", [scan(PAGE_ONE), scan(PAGE_TWO)])
    heard: list[str] = []
    document = read_document(path, progress=lambda _fraction, what: heard.append(what))
    assert document.kind == "pdf"
    assert [passage.location.page for passage in document.passages] == [1, 2]
    first, second = (passage.text for passage in document.passages)
    assert share_found(PAGE_ONE, first) >= 0.8 and share_found(PAGE_TWO, second) >= 0.8
    assert "albatross" not in first.lower() and "paraffin" not in second.lower()
    assert "page 2 of 2: reading the scan (OCR)" in heard


def test_a_pdf_mixing_text_and_scans_skips_a_blank_scan_without_failing(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, "Typed minutes of the keepers' meeting.")
    for image in (scan("", smudge=True), scan(PAGE_TWO)):
        pdf.add_page()
        pdf.image(image, x=10, y=10, w=102)  # 1200 px over 4 inches: 300 dpi
    pdf.output(str(tmp_path / "mixed.pdf"))
    document = read_document(tmp_path / "mixed.pdf")
    assert [passage.location.page for passage in document.passages] == [1, 3]
    assert document.passages[0].text == "Typed minutes of the keepers' meeting."
    assert share_found(PAGE_TWO, document.passages[1].text) >= 0.8


def test_a_cancel_stops_between_scanned_pages_and_stores_nothing(tmp_path: Path, docs: DocumentStore) -> None:
    path = scanned_pdf(tmp_path / "scan.pdf", [scan(PAGE_ONE), scan(PAGE_TWO)])
    cancel = threading.Event()
    heard: list[str] = []

    def progress(_fraction: float, what: str) -> None:
        heard.append(what)
        if what.endswith("page 1 of 2: reading the scan (OCR)"):
            cancel.set()  # page 1 is still read; the next report stops it

    with pytest.raises(ReadCancelled, match=r"scan\.pdf"):
        ingest_file(path, docs, progress=progress, cancel=cancel)
    assert not any("page 2" in what for what in heard)
    assert counts(docs) == (0, 0, 0)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_a_png_or_jpeg_is_one_page(tmp_path: Path, docs: DocumentStore, suffix: str) -> None:
    path = tmp_path / f"card{suffix}"
    scan(PAGE_ONE).save(path, quality=85)  # quality: JPEG's artefacts, ignored for PNG
    result = ingest_file(path, docs)
    assert result.status == "added" and result.document is not None
    assert result.document.kind == "image" and result.document.title == "card"
    document = read_document(path)
    assert [passage.location.page for passage in document.passages] == [1]
    assert share_found(PAGE_ONE, document.text) >= 0.8


def test_two_threads_reading_scans_at_once_each_get_their_own_words(tmp_path: Path) -> None:
    paths = [tmp_path / "one.png", tmp_path / "two.png"]
    for path, text in zip(paths, (PAGE_ONE, PAGE_TWO), strict=True):
        scan(text).save(path)
    texts: dict[str, str] = {}

    def read(path: Path) -> None:
        texts[path.name] = read_document(path).text

    threads = [threading.Thread(target=read, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert share_found(PAGE_ONE, texts["one.png"]) >= 0.8 and "albatross" not in texts["one.png"].lower()
    assert share_found(PAGE_TWO, texts["two.png"]) >= 0.8 and "paraffin" not in texts["two.png"].lower()


def test_each_tiff_frame_is_a_page(tmp_path: Path) -> None:
    path = tmp_path / "fax.tiff"
    first, second = scan(PAGE_ONE).convert("1"), scan(PAGE_TWO).convert("1")  # bilevel, as faxes are
    first.save(path, compression="group4", save_all=True, append_images=[second])
    document = read_document(path)
    assert [passage.location.page for passage in document.passages] == [1, 2]
    assert share_found(PAGE_ONE, document.passages[0].text) >= 0.8
    assert share_found(PAGE_TWO, document.passages[1].text) >= 0.8


def test_a_blank_scan_is_refused_with_one_clear_line(tmp_path: Path, docs: DocumentStore) -> None:
    path = scanned_pdf(tmp_path / "blank.pdf", [scan("", smudge=True)])
    message = refused_and_not_stored(path, docs, EmptyDocument)
    assert "OCR found no text" in message
    scan("").save(tmp_path / "white.png")
    assert "OCR found no text" in refused_and_not_stored(tmp_path / "white.png", docs, EmptyDocument)


def png_of_one_colour(path: Path, width: int, height: int) -> Path:
    """A valid 1-bit PNG of `width` x `height` white pixels, written row by row so that neither the
    test's memory nor its disk holds more than a few hundred KB."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer, row = zlib.compressobj(9), b"\x00" + b"\xff" * ((width + 7) // 8)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    parts = (chunk(b"IHDR", header), chunk(b"IDAT", data), chunk(b"IEND", b""))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"".join(parts))
    return path


def test_broken_images_and_image_bombs_are_refused_and_not_stored(
    tmp_path: Path, docs: DocumentStore
) -> None:
    good = tmp_path / "good.png"
    scan(PAGE_ONE).save(good)
    corrupt = bytearray(good.read_bytes())
    corrupt[20:24] = b"\x00\x00\x00\x00"  # inside the header: its checksum no longer matches
    (tmp_path / "corrupt.png").write_bytes(bytes(corrupt))
    refused_and_not_stored(tmp_path / "corrupt.png", docs, DamagedDocument)

    scan(PAGE_ONE).save(tmp_path / "whole.jpg", quality=85)
    whole = (tmp_path / "whole.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(whole[: len(whole) // 2])
    assert "decoded" in refused_and_not_stored(tmp_path / "cut.jpg", docs, DamagedDocument)

    (tmp_path / "words.png").write_text("not a picture at all\n" * 20)
    assert "not that of a PNG" in refused_and_not_stored(tmp_path / "words.png", docs, DamagedDocument)

    bomb = png_of_one_colour(tmp_path / "bomb.png", 30_000, 30_000)
    assert bomb.stat().st_size < 2**20
    assert "900 million pixels" in refused_and_not_stored(bomb, docs, ImageTooLarge)
    big = png_of_one_colour(tmp_path / "big.png", 10_000, 9_000)  # under Pillow's own guard, over ours
    assert "10,000 × 9,000 pixels" in refused_and_not_stored(big, docs, ImageTooLarge)


def test_the_pixel_limit_can_be_raised_or_lowered(tmp_path: Path) -> None:
    scan(PAGE_ONE).save(tmp_path / "card.png")
    with pytest.raises(ImageTooLarge, match="1,200 × 900 pixels, the limit is 1 million pixels"):
        read_document(tmp_path / "card.png", ReadLimits(max_image_pixels=1_000_000))


def test_a_missing_model_is_one_clear_line_not_a_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr, "DETECTOR", "gone.onnx")
    with pytest.raises(OcrEngineError, match=r"gone\.onnx is missing"):
        ocr.model_paths()
    monkeypatch.setattr(ocr, "_ENGINES", {})  # as in a fresh process; the loaded engine comes back after
    scan(PAGE_ONE).save(tmp_path / "card.png")
    with pytest.raises(OcrUnavailable, match=r"card\.png .*gone\.onnx is missing.*make run"):
        read_document(tmp_path / "card.png")


def test_image_suffixes_are_supported() -> None:
    assert {".png", ".jpg", ".jpeg", ".tif", ".tiff"} <= SUPPORTED_SUFFIXES
