"""What must hold in a Longwit folder after any kill: the database opens through the app's own
open_database (migrations included) with `PRAGMA integrity_check` ok, no dangling foreign keys and
full-text indexes that match their tables; the schema is the current one; every message and
document that was there before, or that the child committed before it died, is there; every
document has all its chunks; every saved model state in the index is whole; and every `.gguf` in
the models folder is a complete model. A document whose removal committed is gone, an accepted
memory is there, an imported conversation has all its messages. Each check returns the problems it
found, as lines."""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from desktop.benchmarks.crash.journal import CommittedMessage, Journal
from engine.partial_download import PART_SUFFIX, SIDECAR_SUFFIX
from engine.state_cache import file_checksum
from storage import StorageError, open_database
from storage.crash_points import text_digest
from storage.paths import DATABASE_NAME

SHOWN = 3  # problems of one kind listed before "and N more"
FTS_TABLES = ("messages_fts", "chunks_fts")


@dataclass(frozen=True)
class ServedFile:
    """The one model file a download may produce: anything else named `.gguf` is a torn file."""

    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class Baseline:
    """What the folder held before the child ran (read with plain SQL: an old schema is fine)."""

    messages: dict[int, CommittedMessage] = field(default_factory=dict)
    documents: dict[int, tuple[str, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, database: Path) -> Baseline:
        if not database.exists():
            return cls()
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
            messages = {} if "messages" not in tables else {
                row[0]: CommittedMessage(text_digest(row[1]), text_digest(row[2]))
                for row in connection.execute("SELECT id, role, content FROM messages")
            }
            documents = {} if "documents" not in tables else {
                row[0]: (text_digest(row[1]), row[2])
                for row in connection.execute("SELECT id, sha256, chunk_count FROM documents")
            }
        finally:
            connection.close()
        return cls(messages, documents)


def listed(kind: str, items: list[str]) -> list[str]:
    """One problem line for a list of like failures."""
    if not items:
        return []
    more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return [f"{kind}: {', '.join(items[:SHOWN])}{more}"]


def current_schema() -> set[tuple]:
    """The schema a new database gets today, to compare a migrated one with."""
    with tempfile.TemporaryDirectory(prefix="longwit-schema-") as folder:
        db = open_database(Path(folder) / DATABASE_NAME)
        try:
            return schema_of(db.conn)
        finally:
            db.conn.close()


def schema_of(connection: sqlite3.Connection) -> set[tuple]:
    return set(connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())


def check_database(home: Path, baseline: Baseline, journal: Journal, schema: set[tuple]) -> list[str]:
    """Open the folder's database as the app does, then check it whole."""
    try:
        db = open_database(home / DATABASE_NAME)
    except StorageError as error:
        return [f"the app cannot open its database: {' '.join(str(error).split())}"]
    connection = db.conn
    try:
        problems = check_integrity(connection)
        if schema_of(connection) != schema:
            problems.append("the schema differs from a new database's (a migration half-applied)")
        problems += check_messages(connection, {**baseline.messages, **journal.messages()})
        removed = journal.removed_documents()
        kept = {i: d for i, d in {**baseline.documents, **journal.documents()}.items() if i not in removed}
        problems += check_documents(connection, kept, removed)
        problems += check_state_rows(connection, journal.states())
        problems += check_memories(connection, journal.accepted_memories())
        problems += check_imports(connection, journal.imports())
    finally:
        connection.close()
    return problems


def check_integrity(connection: sqlite3.Connection) -> list[str]:
    problems = []
    verdict = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    if verdict != ["ok"]:
        problems += listed("integrity_check", verdict)
    dangling = connection.execute("PRAGMA foreign_key_check").fetchall()
    problems += listed("rows pointing at rows that are gone", [f"{r[0]} row {r[1]}" for r in dangling])
    for fts in FTS_TABLES:
        try:  # rank 1: also compare the index with its content table
            connection.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as error:
            problems.append(f"{fts} does not match its table: {error}")
    return problems


def check_messages(connection: sqlite3.Connection, expected: dict[int, CommittedMessage]) -> list[str]:
    stored = {row[0]: CommittedMessage(text_digest(row[1]), text_digest(row[2]))
              for row in connection.execute("SELECT id, role, content FROM messages")}
    lost = [f"#{i}" for i in sorted(expected) if i not in stored]
    changed = [f"#{i}" for i in sorted(expected) if i in stored and stored[i] != expected[i]]
    return listed("committed messages lost", lost) + listed("committed messages changed", changed)


def check_documents(connection: sqlite3.Connection, expected: dict[int, tuple[str, int]],
                    removed: set[int] = frozenset()) -> list[str]:
    """Committed documents are there, those whose removal was committed are not, and no document
    lacks a chunk (or has a stray one)."""
    rows = connection.execute(
        "SELECT d.id, d.sha256, d.chunk_count, d.char_count, COUNT(c.id), "
        "COALESCE(SUM(LENGTH(c.text)), 0), COALESCE(MAX(c.ordinal), -1) "
        "FROM documents d LEFT JOIN chunks c ON c.document_id = d.id GROUP BY d.id"
    ).fetchall()
    stored = {row[0]: (text_digest(row[1]), row[2]) for row in rows}
    torn = [f"#{r[0]} ({r[4]} of {r[2]} chunks)" for r in rows
            if r[2] < 1 or r[4] != r[2] or r[5] != r[3] or r[6] != r[2] - 1]
    lost = [f"#{i}" for i in sorted(expected) if i not in stored]
    changed = [f"#{i}" for i in sorted(expected) if i in stored and stored[i] != expected[i]]
    back = [f"#{i}" for i in sorted(removed) if i in stored]
    return (listed("half-stored documents", torn) + listed("committed documents lost", lost)
            + listed("committed documents changed", changed)
            + listed("removed documents still stored", back))


def check_state_rows(connection: sqlite3.Connection, committed: set[str]) -> list[str]:
    keys = {text_digest(row[0]) for row in connection.execute("SELECT key FROM model_states")}
    return listed("saved states whose index row was lost", sorted(committed - keys))


def check_memories(connection: sqlite3.Connection,
                   accepted: dict[int, tuple[str, list[int]]]) -> list[str]:
    """An accepted proposal is there, accepted, with its text; the memories it replaced are gone."""
    rows = {row[0]: (text_digest(row[1]), row[2])
            for row in connection.execute("SELECT id, text, status FROM memories")}
    lost = [f"#{i}" for i in sorted(accepted) if rows.get(i) != (accepted[i][0], "accepted")]
    kept = [f"#{old}" for i in sorted(accepted) for old in accepted[i][1] if old in rows]
    return listed("accepted memories lost or changed", lost) + listed("replaced memories kept", kept)


def check_imports(connection: sqlite3.Connection, imported: dict[int, int]) -> list[str]:
    """An imported conversation is there with every message it was imported with."""
    counts = dict(connection.execute(
        "SELECT c.id, COUNT(m.id) FROM conversations c LEFT JOIN messages m "
        "ON m.conversation_id = c.id GROUP BY c.id").fetchall())
    torn = [f"#{i} ({counts.get(i, 'no conversation')} of {n} messages)"
            for i, n in sorted(imported.items()) if counts.get(i) != n]
    return listed("imported conversations lost or torn", torn)


def check_states(home: Path) -> tuple[list[str], list[str]]:
    """(problems, leftovers): an index row must name a whole file (its size and checksum); files
    that no row names are leftovers, never loaded but never removed either."""
    folder = home / "states"
    database = home / DATABASE_NAME
    if not database.exists():
        return [], []
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT file_name, size_bytes, checksum FROM model_states").fetchall()
    except sqlite3.OperationalError:  # a database older than the states index
        rows = []
    finally:
        connection.close()
    problems = []
    for name, size, checksum in rows:
        path = folder / name
        if not path.is_file():
            problems.append(f"states/{name} is in the index but not on disk")
        elif path.stat().st_size != size or file_checksum(path) != checksum:
            problems.append(f"states/{name} is in the index but is not the file that was saved")
    named = {row[0] for row in rows}
    leftovers = sorted(f"states/{p.name}" for p in folder.glob("*") if p.name not in named) \
        if folder.is_dir() else []
    return problems, leftovers


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(4 << 20):
            digest.update(block)
    return digest.hexdigest()


def is_prefix_of(part: Path, source: Path) -> bool:
    with part.open("rb") as partial, source.open("rb") as whole:
        while block := partial.read(4 << 20):
            if whole.read(len(block)) != block:
                return False
    return True


def check_models(home: Path, served: ServedFile | None) -> tuple[list[str], list[str]]:
    """(problems, leftovers): a `.gguf` must be the complete file and a `.part` the start of it;
    leftovers are a download's scratch files that nothing will use again."""
    folder = home / "models"
    if not folder.is_dir():
        return [], []
    problems, leftovers = [], []
    for path in sorted(folder.iterdir()):
        name = path.name
        if name.endswith(".gguf"):
            if served is None or path.stat().st_size != served.size or file_sha256(path) != served.sha256:
                problems.append(f"models/{name} is not a complete model")
        elif name.endswith(PART_SUFFIX):
            if served is None or path.stat().st_size > served.size or not is_prefix_of(path, served.path):
                problems.append(f"models/{name} is not the start of the file being downloaded")
        elif name.endswith(SIDECAR_SUFFIX):
            if not path.with_name(name.removesuffix(".json")).exists():
                leftovers.append(f"models/{name}")
        else:
            leftovers.append(f"models/{name}")
    return problems, leftovers
