"""Reading a stored document again from the file it came from: the same document (its id, its pins,
its place in the library) with new chunks, in one transaction.

The file is hashed and read before anything changes, and the new chunks are consumed inside the
transaction that drops the old ones, so a file that has moved, become unreadable or is cancelled
half-way leaves the stored document exactly as it was, with one line that says why. What hung on
the old chunks goes with them (DocumentStore.replace_contents): citations keep the passage's words,
token counts are measured again, and the saved model states that held the document are dropped;
their files are deleted once the transaction has committed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from media.chunking import ChunkingOptions, chunk_document
from media.errors import DocumentError, ReadCancelled, RereadFailed
from media.ingest import (
    DEFAULT_CHUNKING,
    READ_SHARE,
    Progress,
    check_cancel,
    file_sha256,
    no_progress,
    one_line,
    refuse_oversized,
    store_for,
    stored_chunks,
)
from media.read_document import DEFAULT_LIMITS, ReadLimits, read_document
from storage import Document, DocumentAlreadyStored, DocumentStore
from storage.document_removal import delete_state_files


@dataclass(frozen=True)
class Reread:
    """A document read again: as it is stored now, and what changed."""

    document: Document
    changed: bool  # the file's bytes differ from those read before
    quoted_citations: int  # citations of the old passages, now keeping their words
    states_dropped: int  # saved model states that held the old text

    def line(self) -> str:
        what = "its file had changed" if self.changed else "its file was unchanged"
        return (f"Read “{self.document.title}” again ({what}): {self.document.chunk_count:,} "
                "passages.")


def reread_document(
    document_id: int,
    store: DocumentStore | Path | str | None = None,
    states_folder: Path | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    chunking: ChunkingOptions = DEFAULT_CHUNKING,
) -> Reread:
    """Read document `document_id` again from its path. Raises RereadFailed (the file is gone or
    cannot be read), ReadCancelled, DocumentNotFound or another StorageError; in every case the
    stored document is as it was."""
    report = progress or no_progress
    with store_for(store) as documents:
        before = documents.get(document_id)
        path = Path(before.path) if before.path else None
        if path is None:
            raise RereadFailed(Path(before.title), before.title, before.id,
                               "it did not come from a file on this computer")
        if not path.is_file():
            raise RereadFailed(path, before.title, before.id,
                               f"there is no file at {path} any more (moved or deleted); put it "
                               "back there to read it again, or add it from where it is now")
        try:
            cleared = replace_from_file(path, before, documents, limits, report, cancel, chunking)
        except ReadCancelled:
            raise
        except DocumentError as error:
            raise RereadFailed(path, before.title, before.id, one_line(error, path)) from error
        except DocumentAlreadyStored as error:
            raise RereadFailed(path, before.title, before.id,
                               f"{path.name} now holds the same bytes as document #"
                               f"{error.document_id}") from error
        after = documents.get(document_id)
    if states_folder is not None:
        delete_state_files(states_folder, cleared.state_files)
    report(1.0, f"read {after.chunk_count:,} passages")
    return Reread(after, after.sha256 != before.sha256, cleared.quoted_citations,
                  len(cleared.state_files))


def replace_from_file(path: Path, before: Document, documents: DocumentStore, limits: ReadLimits,
                      report: Progress, cancel: threading.Event | None, chunking: ChunkingOptions):
    check_cancel(path, cancel)
    report(0.0, "checking")
    refuse_oversized(path, limits)
    sha256, size = file_sha256(path, cancel)
    text = read_document(path, limits, lambda share, message: report(share * READ_SHARE, message),
                         cancel)
    report(READ_SHARE, "storing")
    chunks = stored_chunks(path, text, chunk_document(text, chunking), report, cancel)
    return documents.replace_contents(before.id, text.title or path.stem, sha256, text.kind, size,
                                      chunks)
