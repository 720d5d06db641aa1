"""The one way in for documents: pick the reader from the file's suffix, refuse what is missing, empty
or too large before opening it, and turn whatever a library raises into a DocumentError whose message
a person can act on."""

from __future__ import annotations

import logging
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from media.document import DocumentText
from media.errors import (
    DamagedDocument,
    DocumentError,
    DocumentFileMissing,
    DocumentTooLarge,
    DocumentUnreadable,
    EmptyDocument,
    UnsupportedDocument,
)
from media.readers import ReadJob, clean_line, describe
from media.readers.audio import read_audio
from media.readers.docx import read_docx
from media.readers.epub import read_epub
from media.readers.html import read_html
from media.readers.image import read_image
from media.readers.markdown import read_markdown
from media.readers.pdf import read_pdf
from media.readers.text import read_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadLimits:
    max_file_bytes: int = 512 * 2**20  # anything larger is refused before it is opened
    max_text_file_bytes: int = 256 * 2**20  # plain text / markdown / html
    max_unpacked_bytes: int = 512 * 2**20  # zip-based formats (docx, epub): total uncompressed size
    max_compression_ratio: float = 100.0  # zip members: uncompressed/compressed, bomb guard
    max_audio_seconds: float = 4 * 3600
    # Width x height of an image file or of one TIFF page, checked before it is decoded (an A3 page
    # scanned at 600 dpi is 70 million). Pillow itself refuses more than 179 million, whatever this says.
    max_image_pixels: int = 80_000_000


@dataclass(frozen=True)
class _Format:
    label: str
    suffixes: tuple[str, ...]
    read: Callable[[ReadJob], DocumentText]
    is_text: bool = False  # held to max_text_file_bytes


_FORMATS = (
    _Format("PDF", (".pdf",), read_pdf),
    _Format("Word", (".docx",), read_docx),
    _Format("EPUB", (".epub",), read_epub),
    _Format("HTML", (".html", ".htm"), read_html, is_text=True),
    _Format("Markdown", (".md", ".markdown"), read_markdown, is_text=True),
    _Format("text", (".txt", ".text", ".rst", ".log", ".csv", ".tsv"), read_text, is_text=True),
    _Format(
        "audio or video",
        (".wav", ".flac", ".mp3", ".m4a", ".ogg", ".opus", ".webm", ".mp4", ".mkv", ".mov"),
        read_audio,
    ),
    _Format("image", (".png", ".jpg", ".jpeg", ".tif", ".tiff"), read_image),
)
_BY_SUFFIX = {suffix: format_ for format_ in _FORMATS for suffix in format_.suffixes}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_BY_SUFFIX)
DEFAULT_LIMITS = ReadLimits()


def _supported() -> list[str]:
    return [f"{format_.label} ({' '.join(format_.suffixes)})" for format_ in _FORMATS]


def _check_file(path: Path, format_: _Format, limits: ReadLimits) -> None:
    """Refuse a missing, special, empty or oversized file from its size alone, before opening it."""
    try:
        info = path.stat()
    except FileNotFoundError as error:
        raise DocumentFileMissing(path) from error
    except OSError as error:
        raise DocumentUnreadable(path, error.strerror or str(error)) from error
    if not stat.S_ISREG(info.st_mode):
        what = "it is a folder" if stat.S_ISDIR(info.st_mode) else "it is not a regular file"
        raise DocumentUnreadable(path, what)
    if info.st_size == 0:
        raise EmptyDocument(path, "the file is empty (0 bytes)")
    limit = limits.max_file_bytes
    if format_.is_text:
        limit = min(limit, limits.max_text_file_bytes)
    if info.st_size > limit:
        raise DocumentTooLarge.by_size(path, info.st_size, limit)


def _finish(job: ReadJob, document: DocumentText) -> DocumentText:
    """Drop empty passages, make sure there is a title, refuse a document with no text at all."""
    passages = [passage for passage in document.passages if passage.text.strip()]
    if not passages:
        raise EmptyDocument(job.path, "no text was found in it")
    title = clean_line(document.title) or job.path.stem
    return DocumentText(title=title, kind=document.kind, passages=passages)


def read_document(
    path: Path,
    limits: ReadLimits = DEFAULT_LIMITS,
    progress: Callable[[float, str], None] | None = None,
    cancel: threading.Event | None = None,
) -> DocumentText:
    """The text of the document at `path` as passages with their locations.

    `progress(fraction, what)` hears how far along the reading is; setting `cancel` stops it with
    ReadCancelled. Every failure is a DocumentError (media.errors) with a one-line message.
    """
    path = Path(path)
    job = ReadJob(path, limits, progress, cancel)
    job.check_cancel()
    format_ = _BY_SUFFIX.get(path.suffix.lower())
    if format_ is None:
        raise UnsupportedDocument(path, _supported())
    _check_file(path, format_, limits)
    job.report(0.0, "opening")
    try:
        document = format_.read(job)
    except DocumentError:
        raise
    except OSError as error:  # the file vanished or became unreadable while it was being read
        raise DocumentUnreadable(path, error.strerror or str(error)) from error
    except MemoryError as error:
        raise DocumentTooLarge(path, "there is not enough memory to read it") from error
    except Exception as error:  # a library failed in a way its reader did not foresee
        logger.warning("reading %s failed", path, exc_info=True)
        raise DamagedDocument(path, f"{type(error).__name__}: {describe(error)}") from error
    document = _finish(job, document)
    job.report(1.0, "done")
    return document
