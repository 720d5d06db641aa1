"""PDF with PDFium (pypdfium2, Apache/BSD; PyMuPDF would bring the AGPL): one passage per page, with the
running headers and footers that repeat on many pages removed so they do not crowd every passage.

A page without a text layer (a scan) is rendered and read by OCR; it keeps its page number."""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from media.document import DocumentText, Location, Passage
from media.errors import DamagedDocument, EmptyDocument, EncryptedDocument
from media.ocr import DEFAULT_OCR
from media.readers import ReadJob, clean_line, clean_text, describe, normalise_newlines
from media.readers.image import scan_lines
from media.readers.pdf_paragraphs import joined_paragraphs

# PDFium is not thread-safe: one call at a time in this process. The lock is held per page, so that
# another document's reader is not kept waiting through minutes of OCR.
_PDFIUM_LOCK = threading.Lock()

SCAN_BELOW_CHARS = 10  # a page whose text layer has fewer visible characters than this is read by OCR
SCAN_DPI = 300  # scans are rendered at this resolution, or less where the page is larger than OCR reads
BLANK_RANGE = 32  # a rendered page whose darkest and lightest grey differ by less than this is blank

EDGE_LINES = 3  # how many lines at the top and at the bottom of a page may be running heads
RUNNING_SHARE = 0.4  # a line recurring at an edge of this share of pages (and at least 3) is a running head
_DIGITS = re.compile(r"\d+")


@contextmanager
def _pdfium(job: ReadJob) -> Iterator[None]:
    """Hold PDFium, waiting for another reader to finish without ignoring a cancel meanwhile."""
    while not _PDFIUM_LOCK.acquire(timeout=0.1):
        job.check_cancel()
    try:
        yield
    finally:
        _PDFIUM_LOCK.release()


def _check_header(job: ReadJob) -> None:
    try:
        with job.path.open("rb") as file:
            head = file.read(1024)
    except OSError as error:
        raise DamagedDocument(job.path, str(error)) from error
    if b"%PDF-" not in head:  # the specification allows a little junk before the header
        raise DamagedDocument(job.path, "it does not begin with a PDF header")


def _open(job: ReadJob) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(job.path))
    except pdfium.PdfiumError as error:
        if error.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise EncryptedDocument(job.path) from error
        if error.err_code == pdfium_c.FPDF_ERR_SECURITY:
            raise EncryptedDocument(job.path, "uses an encryption PDFium does not support") from error
        raise DamagedDocument(job.path, describe(error)) from error


def _visible_chars(lines: list[str]) -> int:
    return sum(len(line.replace(" ", "")) for line in lines)


def _page_lines(page: pdfium.PdfPage) -> list[str]:
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_bounded()
    finally:
        textpage.close()
    lines = (clean_line(line) for line in normalise_newlines(text).split("\n"))
    return [line for line in lines if line]


def _render(page: pdfium.PdfPage) -> Image.Image | None:
    """The page as a grey image for OCR (None if it is blank): at SCAN_DPI, or smaller so that its
    longer side fits what OCR reads, which bounds the memory whatever size the page claims."""
    width, height = page.get_size()
    scale = min(SCAN_DPI / 72, DEFAULT_OCR.max_side / max(width, height, 1.0))
    bitmap = page.render(scale=scale, force_bitmap_format=pdfium_c.FPDFBitmap_Gray)
    try:
        pixels = np.array(bitmap.to_numpy(), dtype=np.uint8)  # a copy: the bitmap is freed below
    finally:
        bitmap.close()
    if pixels.size == 0 or int(pixels.max()) - int(pixels.min()) < BLANK_RANGE:
        return None
    return Image.fromarray(pixels, "L")


def _page_content(pdf: pdfium.PdfDocument, index: int) -> tuple[list[str], Image.Image | None]:
    """The lines of the page's text layer, and its image when that layer is (nearly) empty."""
    page = pdf[index]
    try:
        lines = _page_lines(page)
        scan = _render(page) if _visible_chars(lines) < SCAN_BELOW_CHARS else None
    finally:
        page.close()
    return lines, scan


def _read_page(job: ReadJob, pdf: pdfium.PdfDocument, index: int, count: int) -> list[str]:
    """One page's lines: its text layer, or what OCR reads in it when the layer is (nearly) empty."""
    job.report(index / max(count, 1), f"page {index + 1} of {count}")
    with _pdfium(job):
        try:
            lines, scan = _page_content(pdf, index)
        except pdfium.PdfiumError as error:
            raise DamagedDocument(job.path, f"page {index + 1} cannot be read: {describe(error)}") from error
    if scan is None:
        return lines
    job.report(index / max(count, 1), f"page {index + 1} of {count}: reading the scan (OCR)")
    found = scan_lines(job, scan)
    return found if _visible_chars(found) > _visible_chars(lines) else lines


def _edge_key(line: str) -> str:
    """Lines compared as running heads: case and page numbers do not matter."""
    return _DIGITS.sub("#", line.casefold())


def strip_running_heads(pages: list[list[str]]) -> list[list[str]]:
    """Drop lines that recur at the top or the bottom of many pages (running heads, footers, page
    numbers); a document of one or two pages has none that can be told apart from its text."""
    if len(pages) < 3:
        return pages
    needed = max(3, math.ceil(RUNNING_SHARE * len(pages)))
    tops = Counter(key for lines in pages for key in {_edge_key(line) for line in lines[:EDGE_LINES]})
    bottoms = Counter(key for lines in pages for key in {_edge_key(line) for line in lines[-EDGE_LINES:]})
    heads = {key for key, count in tops.items() if count >= needed}
    feet = {key for key, count in bottoms.items() if count >= needed}
    stripped = []
    for lines in pages:
        start, end = 0, len(lines)
        while start < min(EDGE_LINES, end) and _edge_key(lines[start]) in heads:
            start += 1
        while end > max(start, len(lines) - EDGE_LINES) and _edge_key(lines[end - 1]) in feet:
            end -= 1
        stripped.append(lines[start:end])
    return stripped


def _title(pdf: pdfium.PdfDocument) -> str | None:
    try:
        title = pdf.get_metadata_dict(skip_empty=True).get("Title", "")
    except pdfium.PdfiumError:
        return None
    return clean_line(title) or None


def read_pdf(job: ReadJob) -> DocumentText:
    _check_header(job)
    with _pdfium(job):
        pdf = _open(job)
    try:
        with _pdfium(job):
            count = len(pdf)
            title = _title(pdf)
        pages = [_read_page(job, pdf, index, count) for index in range(count)]
    finally:
        with _PDFIUM_LOCK:  # not _pdfium(job): a cancel must not leave the document open
            pdf.close()
    passages = [
        Passage(clean_text("\n\n".join(joined_paragraphs(lines))), Location(page=number))
        for number, lines in enumerate(strip_running_heads(pages), start=1)
        if lines
    ]
    if not passages and count == 0:
        raise EmptyDocument(job.path, "it has no pages")
    if not passages:
        raise EmptyDocument(
            job.path,
            f"it has no text layer and OCR found no text on its {count} page{'s' if count != 1 else ''}; "
            "if they do show text, scan them again at 300 dpi with more contrast",
        )
    return DocumentText(title=title or job.path.stem, kind="pdf", passages=passages)
