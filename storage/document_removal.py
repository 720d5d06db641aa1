"""What goes when a document's contents go (it is removed, or read again): its chunks with their
index rows, its token counts, the saved model states that hold it, and the links of the citations
that pointed into it, which become quoted citations (the passage's words, place and document title
kept in the citation, as an imported answer's are), so an answer keeps showing its sources.

The state files are deleted only after the transaction that dropped their rows has committed: a
crash between the two leaves a file no row names (an orphan, swept later by
`sweep_orphan_state_files`), never a row that names a file that is gone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

logger = logging.getLogger(__name__)

REMOVED_PROBLEM = "removed from the library"  # folder_files.problem: not read again until it changes
STATE_SUFFIX = ".state"
ORPHAN_AGE_S = 3600.0  # younger files may be a save that is about to be indexed


@dataclass(frozen=True)
class ClearedContents:
    quoted_citations: int
    state_files: list[str]  # file names under the states folder, to delete after the commit


def quote_citations(db: sqlite_utils.Database, document_id: int) -> int:
    """Turn the citations of a document's chunks into quoted ones, inside the caller's transaction;
    returns how many."""
    cursor = db.execute(
        "UPDATE message_citations AS mc SET chunk_id = NULL, quoted_title = d.title, "
        "quoted_sha256 = d.sha256, quoted_text = c.text, quoted_page = c.page, "
        "quoted_section = c.section, quoted_line = c.line, quoted_start_s = c.start_s, "
        "quoted_end_s = c.end_s "
        "FROM chunks c JOIN documents d ON d.id = c.document_id "
        "WHERE c.id = mc.chunk_id AND c.document_id = ?",
        [document_id],
    )
    return max(cursor.rowcount, 0)


def drop_states(db: sqlite_utils.Database, document_id: int) -> list[str]:
    """Delete the index rows of the saved states that hold the document (their links go with them);
    returns their files' names."""
    rows = db.execute(
        "SELECT s.key, s.file_name FROM model_states s JOIN model_state_documents l "
        "ON l.state_key = s.key WHERE l.document_id = ?",
        [document_id],
    ).fetchall()
    for key, _name in rows:
        db.execute("DELETE FROM model_states WHERE key = ?", [key])
    return [name for _key, name in rows]


def clear_contents(db: sqlite_utils.Database, document_id: int) -> ClearedContents:
    """Everything a document holds besides its row and pins, inside the caller's transaction."""
    quoted = quote_citations(db, document_id)
    files = drop_states(db, document_id)
    db.execute("DELETE FROM document_tokens WHERE document_id = ?", [document_id])
    db.execute("DELETE FROM chunks WHERE document_id = ?", [document_id])
    return ClearedContents(quoted, files)


def delete_state_files(folder: Path, names: Iterable[str]) -> int:
    """Delete state files whose rows are gone (after the commit); returns how many were there. One
    that cannot be deleted is logged and left for the sweep."""
    deleted = 0
    for name in names:
        path = folder / Path(name).name  # a name, never a path out of the folder
        try:
            path.unlink()
            deleted += 1
        except FileNotFoundError:
            continue
        except OSError as error:
            logger.warning("could not delete the saved state %s: %s", path.name, error)
    return deleted


def sweep_orphan_state_files(db: sqlite_utils.Database, folder: Path,
                             older_than_s: float = ORPHAN_AGE_S) -> int:
    """Delete state files no index row names (left by a crash between a removal's commit and its
    file deletion), if older than `older_than_s`: a younger one may be a state just saved whose row
    is being written. Returns how many were deleted."""
    if not folder.is_dir():
        return 0
    named = {row[0] for row in db.execute("SELECT file_name FROM model_states").fetchall()}
    cutoff = time.time() - older_than_s
    orphans = []
    for path in folder.glob(f"*{STATE_SUFFIX}"):
        try:
            old = path.stat().st_mtime < cutoff
        except OSError:
            continue
        if old and path.name not in named:
            orphans.append(path.name)
    return delete_state_files(folder, orphans)
