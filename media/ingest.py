"""Bringing files in: hash, read, chunk and store each one, so that it is stored whole or not at all.

A file is first hashed (streamed, in bounded memory): the same bytes already stored come back as
that document without being read again. Otherwise it is read into passages, cut into chunks and
stored in one transaction that consumes the chunks as they are cut; a cancellation, a reader error
or a crash anywhere before the commit leaves the database as it was. In a batch, one bad file is
reported with a one-line reason and the others still go in.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from media.chunking import ChunkingOptions, TextChunk, chunk_document
from media.document import DocumentText
from media.errors import (
    DocumentError,
    DocumentFileMissing,
    DocumentTooLarge,
    DocumentUnreadable,
    ReadCancelled,
)
from media.read_document import SUPPORTED_SUFFIXES, ReadLimits, read_document
from media.read_limits import stored_limits
from storage import Document, DocumentAlreadyStored, DocumentStore, NewChunk, StorageError, open_database
from storage.settings import SettingsStore

logger = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
HASH_BLOCK_BYTES = 1 << 20
READ_SHARE = 0.9  # of a file's progress bar; chunking and storing take the rest
PROGRESS_EVERY_CHUNKS = 64
DEFAULT_CHUNKING = ChunkingOptions()


@dataclass(frozen=True)
class IngestResult:
    """What became of one file: "added", "duplicate" (already stored), "failed" or "cancelled"."""

    path: Path
    status: str
    document: Document | None = None
    message: str = ""  # for failed and cancelled files: one line that names the file

    @property
    def ok(self) -> bool:
        return self.status in ("added", "duplicate")


def no_progress(_fraction: float, _message: str) -> None:
    pass


def check_cancel(path: Path, cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise ReadCancelled(path)


def file_sha256(path: Path, cancel: threading.Event | None = None) -> tuple[str, int]:
    """The file's SHA-256 and size, read in 1 MiB blocks (a large file never sits in memory)."""
    digest, size = hashlib.sha256(), 0
    try:
        with path.open("rb") as file:
            while block := file.read(HASH_BLOCK_BYTES):
                check_cancel(path, cancel)
                digest.update(block)
                size += len(block)
    except FileNotFoundError as error:
        raise DocumentFileMissing(path) from error
    except IsADirectoryError as error:
        raise DocumentUnreadable(path, "it is a folder") from error
    except OSError as error:
        raise DocumentUnreadable(path, error.strerror or str(error)) from error
    return digest.hexdigest(), size


def refuse_oversized(path: Path, limits: ReadLimits) -> None:
    """The reader refuses a file over the size limit anyway; refusing it here spares hashing it."""
    try:
        size = path.stat().st_size
    except OSError:
        return  # hashing reports it
    if size > limits.max_file_bytes:
        raise DocumentTooLarge.by_size(path, size, limits.max_file_bytes)


def stored_chunks(path: Path, text: DocumentText, chunks: Iterable[TextChunk], progress: Progress,
                  cancel: threading.Event | None) -> Iterator[NewChunk]:
    """Chunks as the store wants them, checking for cancellation between chunks."""
    total = max(len(text.text), 1)
    for count, chunk in enumerate(chunks, start=1):
        check_cancel(path, cancel)
        if count % PROGRESS_EVERY_CHUNKS == 0:
            share = READ_SHARE + (1 - READ_SHARE) * chunk.char_start / total
            progress(share, f"storing {count:,} chunks")
        where = chunk.location
        yield NewChunk(chunk.text, chunk.char_start, where.page, where.section, where.line,
                       where.start_s, where.end_s)


@contextmanager
def store_for(store: DocumentStore | Path | str | None) -> Iterator[DocumentStore]:
    """The store given, or one on the database at a path (None: the user's database), closed after."""
    if isinstance(store, DocumentStore):
        yield store
        return
    documents = DocumentStore(open_database(None if store is None else Path(store)))
    try:
        yield documents
    finally:
        documents.db.conn.close()


def ingest_file(
    path: Path,
    store: DocumentStore | Path | str | None = None,
    limits: ReadLimits | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    chunking: ChunkingOptions = DEFAULT_CHUNKING,
) -> IngestResult:
    """Store one file (or find it already stored). Raises DocumentError (ReadCancelled when
    cancelled) or StorageError; the database is unchanged when it does."""
    with store_for(store) as documents:
        limits = limits if limits is not None else stored_limits(SettingsStore(documents.db))
        return store_file(Path(path), documents, limits, progress or no_progress, cancel, chunking)


def store_file(path: Path, documents: DocumentStore, limits: ReadLimits, report: Progress,
               cancel: threading.Event | None, chunking: ChunkingOptions) -> IngestResult:
    check_cancel(path, cancel)
    report(0.0, "checking")
    refuse_oversized(path, limits)
    sha256, size = file_sha256(path, cancel)
    existing = documents.find_by_sha256(sha256)
    if existing is not None:
        report(1.0, f"already stored as #{existing.id}")
        return IngestResult(path, "duplicate", existing)
    text = read_document(path, limits, lambda share, message: report(share * READ_SHARE, message),
                         cancel)
    report(READ_SHARE, "storing")
    chunks = stored_chunks(path, text, chunk_document(text, chunking), report, cancel)
    try:
        document_id = documents.add(text.title or path.stem, str(path.resolve()), sha256, text.kind,
                                    size, chunks)
    except DocumentAlreadyStored as error:  # another window stored it while we were reading
        return IngestResult(path, "duplicate", documents.get(error.document_id))
    document = documents.get(document_id)
    report(1.0, f"stored {document.chunk_count:,} chunks")
    return IngestResult(path, "added", document)


def is_hidden(name: str) -> bool:
    return name.startswith(".")


def folder_files(folder: Path) -> list[Path]:
    """Readable files under a folder and its subfolders, sorted, hidden files and folders skipped."""
    found = []
    for root, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not is_hidden(name)]
        found += [Path(root, name) for name in files
                  if not is_hidden(name) and Path(name).suffix.lower() in SUPPORTED_SUFFIXES]
    return sorted(found)


def expand_paths(paths: Iterable[Path | str]) -> tuple[list[Path], list[Path]]:
    """The files to ingest (folders expanded, in the order given) and the folders that held none."""
    files, empty = [], []
    for path in map(Path, paths):
        if path.is_dir():
            found = folder_files(path)
            files += found
            if not found:
                empty.append(path)
        else:
            files.append(path)
    return files, empty


def one_line(error: Exception, path: Path) -> str:
    """The error's message on one line, naming the file (storage errors name only the database)."""
    text = " ".join(str(error).split())
    return text if path.name in text else f"{path.name}: {text}"


def ingest_paths(
    paths: Iterable[Path | str],
    store: DocumentStore | Path | str | None = None,
    limits: ReadLimits | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    chunking: ChunkingOptions = DEFAULT_CHUNKING,
) -> Iterator[IngestResult]:
    """Ingest files and folders, yielding one result per file as it is done (lazily: iterate to
    run it). Progress is (share of the whole batch, "name: what is happening"). A cancelled batch
    ends with one "cancelled" result; the files before it stay stored."""
    report = progress or no_progress
    files, empty = expand_paths(paths)
    supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
    for folder in empty:
        yield IngestResult(folder, "failed",
                           message=f"{folder} holds no files Longwit can read ({supported}).")
    with store_for(store) as documents:
        limits = limits if limits is not None else stored_limits(SettingsStore(documents.db))
        for index, path in enumerate(files):
            def within(share: float, message: str, index: int = index, path: Path = path) -> None:
                report((index + share) / len(files), f"{path.name}: {message}")

            result = ingest_one(path, documents, limits, within, cancel, chunking)
            yield result
            if result.status == "cancelled":
                return


def ingest_one(path: Path, documents: DocumentStore, limits: ReadLimits, progress: Progress,
               cancel: threading.Event | None, chunking: ChunkingOptions) -> IngestResult:
    """ingest_file with its errors turned into a result, so one bad file does not stop a batch."""
    try:
        return store_file(path, documents, limits, progress, cancel, chunking)
    except ReadCancelled as error:
        return IngestResult(path, "cancelled", message=one_line(error, path))
    except (DocumentError, StorageError) as error:
        message = one_line(error, path)
        logger.warning("%s", message)  # names the file and what is wrong, never its text
        return IngestResult(path, "failed", message=message)
