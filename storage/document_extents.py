"""How long each stored document is in its own units: the last page a PDF's chunks reach, the end of
an audio document's last passage. The window shows them on a document's chip; one statement reads
them for any number of documents."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from storage.database import database_file, translated_errors


@dataclass(frozen=True)
class DocumentExtent:
    pages: int | None  # the highest page number in its chunks; None for documents without pages
    seconds: float | None  # where its last timed passage ends; None for documents without times


def document_extents(db: sqlite_utils.Database, document_ids: Iterable[int]) -> dict[int, DocumentExtent]:
    """Extent by document id, for those of `document_ids` that have chunks."""
    ids = [int(i) for i in document_ids]
    if not ids:
        return {}
    with translated_errors(database_file(db)):
        rows = db.execute(
            "SELECT document_id, MAX(page), MAX(end_s) FROM chunks "
            f"WHERE document_id IN ({', '.join('?' * len(ids))}) GROUP BY document_id",
            ids,
        ).fetchall()
    return {int(row[0]): DocumentExtent(row[1], row[2]) for row in rows}
