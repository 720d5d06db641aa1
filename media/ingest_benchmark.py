"""Ingestion speed for `longwit bench context`: a large PDF and a large text file made on the spot,
read, chunked and stored through the same path as `longwit docs add`, in pages/s and MB/s."""

from __future__ import annotations

import ctypes
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from media.ingest import ingest_file
from media.read_document import ReadLimits
from storage import DocumentStore, open_database

WORDS = (
    "river", "harbour", "lantern", "bridge", "winter", "keeper", "letter", "orchard", "market",
    "signal", "engine", "copper", "meadow", "tower", "ledger", "compass", "harvest", "quarry",
    "ferry", "village", "archive", "beacon", "thunder", "garden", "mill", "chapel", "north",
    "measured", "carried", "repaired", "painted", "noticed", "followed", "explained", "collected",
    "remembered", "slowly", "quietly", "before", "after", "during", "beyond", "across", "under",
    "between", "within", "against", "toward",
)
PDF_PAGES = 500
LINES_PER_PAGE = 40
TEXT_MB = 20


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
    return " ".join(words).capitalize() + "."


def make_pdf(path: Path, pages: int, rng: random.Random) -> None:
    """A text PDF written with PDFium itself (no extra dependency), one line object at a time."""
    document = pdfium.PdfDocument.new()
    font = pdfium_c.FPDFText_LoadStandardFont(document.raw, b"Helvetica")
    for number in range(pages):
        page = document.new_page(612, 792)
        for line in range(LINES_PER_PAGE):
            text = f"{sentence(rng)} {sentence(rng)}"[:95] + "\0"
            buffer = ctypes.create_string_buffer(text.encode("utf-16-le"))
            item = pdfium_c.FPDFPageObj_CreateTextObj(document.raw, font, 10.0)
            pdfium_c.FPDFText_SetText(item, ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
            pdfium_c.FPDFPageObj_Transform(item, 1, 0, 0, 1, 50, 740 - line * 17)
            pdfium_c.FPDFPage_InsertObject(page.raw, item)
        footer = pdfium_c.FPDFPageObj_CreateTextObj(document.raw, font, 9.0)
        label = ctypes.create_string_buffer(f"Page {number + 1}\0".encode("utf-16-le"))
        pdfium_c.FPDFText_SetText(footer, ctypes.cast(label, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
        pdfium_c.FPDFPageObj_Transform(footer, 1, 0, 0, 1, 290, 30)
        pdfium_c.FPDFPage_InsertObject(page.raw, footer)
        pdfium_c.FPDFPage_GenerateContent(page.raw)
        page.close()
    document.save(str(path))
    document.close()


def make_text(path: Path, megabytes: int, rng: random.Random) -> None:
    with path.open("w", encoding="utf-8") as handle:
        written = 0
        while written < megabytes * 2**20:
            paragraph = " ".join(sentence(rng) for _ in range(6)) + "\n\n"
            handle.write(paragraph)
            written += len(paragraph)


def timed_ingest(path: Path, database: Path, pages: int | None) -> dict[str, Any]:
    db = open_database(database)
    try:
        store = DocumentStore(db)
        started = time.perf_counter()
        result = ingest_file(path, store, ReadLimits())
        seconds = time.perf_counter() - started
    finally:
        db.close()
    size = path.stat().st_size
    document = result.document
    return {
        "file": path.name, "status": result.status, "bytes": size, "seconds": round(seconds, 3),
        "pages": pages, "pages_per_s": round(pages / seconds, 1) if pages else None,
        "mb_per_s": round(size / 2**20 / seconds, 2),
        "chunks": document.chunk_count if document else 0,
    }


def run_ingest_benchmark(progress: Callable[[str], None]) -> list[dict[str, Any]]:
    rng = random.Random(11)
    with tempfile.TemporaryDirectory(prefix="longwit-ingest-bench-") as folder:
        root = Path(folder)
        pdf, text = root / "large.pdf", root / "large.txt"
        progress(f"Making a {PDF_PAGES}-page PDF and a {TEXT_MB} MB text file…")
        make_pdf(pdf, PDF_PAGES, rng)
        make_text(text, TEXT_MB, rng)
        progress("Ingesting them…")
        return [timed_ingest(pdf, root / "bench.db", PDF_PAGES),
                timed_ingest(text, root / "bench.db", None)]
