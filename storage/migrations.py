"""Numbered schema migrations; `PRAGMA user_version` records how many have been applied.

Each migration is a small function that takes the database and changes its schema. They run in one
transaction each, so a crash in the middle of an upgrade leaves the previous schema intact.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from storage import crash_points


def external_fts(db: sqlite_utils.Database, table: str, column: str) -> None:
    """An FTS5 index over one text column of `table`, kept in step by triggers.

    By hand rather than enable_fts(): that uses executescript(), which commits the migration's
    transaction half-way. External content: the text is stored once, in `table`.
    """
    fts = f"{table}_fts"
    db.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5("
        f"{column}, content='{table}', content_rowid='id', tokenize='porter unicode61')"
    )
    insert = f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); "
    delete = f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
    db.execute(f"CREATE TRIGGER {table}_ai AFTER INSERT ON {table} BEGIN {insert}END")
    db.execute(f"CREATE TRIGGER {table}_ad AFTER DELETE ON {table} BEGIN {delete}END")
    db.execute(f"CREATE TRIGGER {table}_au AFTER UPDATE ON {table} BEGIN {delete}{insert}END")


def m001_initial(db: sqlite_utils.Database) -> None:
    """Conversations, their messages with timings, full-text search over messages, models used."""
    db["conversations"].create(
        {"id": int, "title": str, "model": str, "created": str, "updated": str},
        pk="id",
        not_null={"created", "updated"},
    )
    db["messages"].create(
        {
            "id": int,
            "conversation_id": int,
            "role": str,
            "content": str,
            "model": str,
            "prompt_tokens": int,
            "completion_tokens": int,
            "ttft_s": float,
            "tokens_per_s": float,
            "duration_s": float,
            "cut": int,
            "created": str,
        },
        pk="id",
        foreign_keys=[("conversation_id", "conversations", "id")],
        not_null={"conversation_id", "role", "content", "created"},
        defaults={"cut": 0},
    )
    # sqlite-utils declares the foreign key without ON DELETE; deleting a conversation deletes its
    # messages explicitly in ConversationStore.delete, inside one transaction.
    db["messages"].create_index(["conversation_id", "id"])
    external_fts(db, "messages", "content")
    db["model_uses"].create(
        {"path": str, "name": str, "n_ctx": int, "last_used": str, "uses": int},
        pk="path",
        not_null={"last_used"},
        defaults={"uses": 0},
    )


def m002_documents(db: sqlite_utils.Database) -> None:
    """Documents, their chunks with locations and full-text search, token counts per model, and
    the documents pinned to each conversation."""
    db["documents"].create(
        {
            "id": int,
            "title": str,
            "path": str,
            "sha256": str,
            "kind": str,
            "size_bytes": int,
            "char_count": int,
            "chunk_count": int,
            "created": str,
        },
        pk="id",
        not_null={"title", "sha256", "kind", "created"},
    )
    # The same bytes are stored once: ingest looks a file up by its hash before reading it.
    db["documents"].create_index(["sha256"], unique=True)
    db["chunks"].create(
        {
            "id": int,
            "document_id": int,
            "ordinal": int,
            "text": str,
            "page": int,
            "section": str,
            "line": int,
            "start_s": float,
            "end_s": float,
            "char_start": int,
        },
        pk="id",
        foreign_keys=[("document_id", "documents", "id")],
        not_null={"document_id", "ordinal", "text", "char_start"},
    )
    db["chunks"].create_index(["document_id", "ordinal"], unique=True)
    external_fts(db, "chunks", "text")
    db["document_tokens"].create(
        {"document_id": int, "model_key": str, "tokens": int},
        pk=("document_id", "model_key"),
        foreign_keys=[("document_id", "documents", "id")],
        not_null={"tokens"},
    )
    db["conversation_documents"].create(
        {"conversation_id": int, "document_id": int, "added": str},
        pk=("conversation_id", "document_id"),
        foreign_keys=[("conversation_id", "conversations", "id"), ("document_id", "documents", "id")],
        not_null={"added"},
    )
    # Found from the document's side when it is removed.
    db["conversation_documents"].create_index(["document_id"])



def apply_migrations(db: sqlite_utils.Database, upto: int | None = None) -> int:
    """Bring the schema up to date (or only up to version `upto`, to make a database as an older
    Longwit left it); returns the schema version now in force."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    wanted = MIGRATIONS[:upto] if upto is not None else MIGRATIONS
    for number, migration in enumerate(wanted[version:], start=version + 1):
        with db.conn:
            db.execute("BEGIN IMMEDIATE")
            # Another process may have migrated while we waited for the write lock.
            if db.execute("PRAGMA user_version").fetchone()[0] >= number:
                continue
            migration(db)
            crash_points.reached("migration.applied", number=number)
            db.execute(f"PRAGMA user_version = {number}")
        crash_points.reached("migration.committed", number=number)
    return max(version, len(wanted))


def m003_model_states_and_citations(db: sqlite_utils.Database) -> None:
    """The index of saved model states (files in the user folder), each answer's citations, and how
    many of an answer's prompt tokens came from the cache rather than being read again."""
    db.execute("ALTER TABLE messages ADD COLUMN cached_tokens INTEGER")
    db["model_states"].create(
        {
            "key": str,
            "model_key": str,
            "n_tokens": int,
            "prefix_text_sha256": str,  # the text the prefix tokens came from, to skip re-tokenizing
            "file_name": str,
            "size_bytes": int,
            "checksum": str,
            "created": str,
            "last_used": str,
        },
        pk="key",
        not_null={"model_key", "file_name", "checksum", "last_used"},
    )
    db["model_states"].create_index(["last_used"])
    db["model_states"].create_index(["model_key", "prefix_text_sha256"])
    db["message_citations"].create(
        {"message_id": int, "number": int, "chunk_id": int, "how": str},
        pk=("message_id", "number"),
        foreign_keys=[("message_id", "messages", "id"), ("chunk_id", "chunks", "id")],
        not_null={"how"},
    )


def m004_word_timings(db: sqlite_utils.Database) -> None:
    """When each word of a spoken user message was said (seconds of the voice call's audio stream)
    and how sure the recognizer was. By hand, not with create(): sqlite-utils cannot declare ON DELETE
    CASCADE, and a message's words should go with it however it is deleted."""
    db.execute(
        "CREATE TABLE word_timings ("
        "message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE, "
        "ordinal INTEGER NOT NULL, "
        "word TEXT NOT NULL, "
        "start_s REAL NOT NULL, "
        "end_s REAL NOT NULL, "
        "probability REAL, "
        "PRIMARY KEY (message_id, ordinal))"
    )


def m005_model_probes(db: sqlite_utils.Database) -> None:
    """What `longwit probe` measured for each model file: the context length it reads reliably,
    its pre-fill speed and the whole grid, keyed by the file's path; size and modification time
    tell a result from a file that has changed since."""
    db["model_probes"].create(
        {
            "path": str,
            "size_bytes": int,
            "mtime_ns": int,
            "usable_tokens": int,
            "n_ctx": int,
            "prefill_tokens": int,
            "prefill_s": float,
            "prefill_tokens_per_s": float,
            "grid_json": str,
            "probed": str,
            "llama_cpp_version": str,
        },
        pk="path",
        not_null={"size_bytes", "mtime_ns", "usable_tokens", "n_ctx", "grid_json", "probed"},
    )


def m006_quoted_citations(db: sqlite_utils.Database) -> None:
    """A citation may keep its passage by its words instead of pointing at a stored chunk: an
    imported conversation brings answers whose documents are not in this database, and they should
    still show their sources. Such a row has no chunk_id and holds the document's title (and hash,
    so a later export loses nothing), the passage and its place; the CHECK keeps every citation
    pointing somewhere. Columns rather than a table of their own: one row per citation, so the
    (message, number) key and the deletes that already clear a message's citations cover both."""
    columns = [
        "quoted_title TEXT",
        "quoted_sha256 TEXT",
        "quoted_page INTEGER",
        "quoted_section TEXT",
        "quoted_line INTEGER",
        "quoted_start_s REAL",
        "quoted_end_s REAL",
        "quoted_text TEXT CHECK (chunk_id IS NOT NULL OR (quoted_text IS NOT NULL "
        "AND quoted_title IS NOT NULL))",
    ]
    for column in columns:
        db.execute(f"ALTER TABLE message_citations ADD COLUMN {column}")


def m007_answer_samples(db: sqlite_utils.Database) -> None:
    """The answers a deliberate answer chose from: each sample's text, the group of agreeing
    answers it fell in (0: the chosen group) and whether it is the one shown. They go with their
    message however it is deleted (ON DELETE CASCADE, by hand as in m004)."""
    db.execute(
        "CREATE TABLE answer_samples ("
        "message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE, "
        "ordinal INTEGER NOT NULL, "
        "content TEXT NOT NULL, "
        "answer_group INTEGER NOT NULL, "
        "chosen INTEGER NOT NULL DEFAULT 0, "
        "completion_tokens INTEGER, "
        "PRIMARY KEY (message_id, ordinal))"
    )


def m008_message_reasoning(db: sqlite_utils.Database) -> None:
    """A reasoning model's thinking, kept beside its answer: shown folded, never fed back into later
    turns (only `content` is), so it cannot live in `content`."""
    db.execute("ALTER TABLE messages ADD COLUMN reasoning TEXT")


def m009_memories(db: sqlite_utils.Database) -> None:
    """Facts about the person that Longwit keeps in every prompt (`storage/memory_store`), the
    earlier texts of each fact, and a small table of settings that the command line and the engine
    read as well as the window (the first: whether memories are saved without asking).

    A memory applies everywhere (no conversation) or in one conversation, and goes with it. Its
    source message only says where a proposal came from, so deleting that message keeps the memory.
    A fact that is edited, or replaced by a newer one about the same subject, keeps its earlier texts
    in `memory_history`, which goes with the memory when it is forgotten. By hand, for ON DELETE."""
    db.execute(
        "CREATE TABLE memories ("
        "id INTEGER PRIMARY KEY, "
        "text TEXT NOT NULL, "
        "conversation_id INTEGER REFERENCES conversations(id) ON DELETE CASCADE, "
        "pinned INTEGER NOT NULL DEFAULT 0, "
        "status TEXT NOT NULL CHECK (status IN ('proposed', 'accepted', 'rejected')), "
        "subject TEXT, "
        "source_message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL, "
        "created TEXT NOT NULL, "
        "updated TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX memories_status_scope ON memories (status, conversation_id)")
    db.execute("CREATE INDEX memories_source ON memories (source_message_id)")
    db.execute(
        "CREATE TABLE memory_history ("
        "id INTEGER PRIMARY KEY, "
        "memory_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE, "
        "text TEXT NOT NULL, "
        "written TEXT NOT NULL, "
        "replaced TEXT NOT NULL, "
        "how TEXT NOT NULL CHECK (how IN ('edited', 'replaced')))"
    )
    db.execute("CREATE INDEX memory_history_memory ON memory_history (memory_id, id)")
    db.execute(
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated TEXT NOT NULL)"
    )


def m010_conversation_recall(db: sqlite_utils.Database) -> None:
    """Whether earlier conversations and documents may be recalled into a conversation
    (engine/recall): on unless the person turned it off there. A column, not a table: it is one
    flag per conversation and goes with the conversation's row however it is deleted."""
    db.execute("ALTER TABLE conversations ADD COLUMN recall INTEGER NOT NULL DEFAULT 1")


def m011_library(db: sqlite_utils.Database) -> None:
    """What the document library needs. `documents.page_count`: how many pages a document has,
    where its reader knows pages (the highest page of its chunks; filled here for the documents
    already stored), so the library lists it without reading every chunk. `model_state_documents`:
    which documents each saved model state holds, so removing or re-reading a document drops the
    states it is in (states saved before this migration have no such rows and age out of the cache
    as before). `watched_folders`: folders whose new files are read on their own. `folder_files`:
    what a scan of them saw (size and modification time, and the document it became or the one
    line why it did not), so a file is read once, a removed document is not brought back from its
    folder until the file changes, and a file that could not be read is tried again only when it
    changes. By hand, for ON DELETE."""
    db.execute("ALTER TABLE documents ADD COLUMN page_count INTEGER")
    db.execute("UPDATE documents SET page_count = "
               "(SELECT MAX(page) FROM chunks WHERE chunks.document_id = documents.id)")
    db.execute(
        "CREATE TABLE model_state_documents ("
        "state_key TEXT NOT NULL REFERENCES model_states(key) ON DELETE CASCADE, "
        "document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE, "
        "PRIMARY KEY (state_key, document_id))"
    )
    db.execute("CREATE INDEX model_state_documents_document ON model_state_documents (document_id)")
    db.execute(
        "CREATE TABLE watched_folders ("
        "id INTEGER PRIMARY KEY, "
        "path TEXT NOT NULL UNIQUE, "
        "added TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE folder_files ("
        "path TEXT PRIMARY KEY, "
        "folder_id INTEGER NOT NULL REFERENCES watched_folders(id) ON DELETE CASCADE, "
        "size_bytes INTEGER NOT NULL, "
        "mtime_ns INTEGER NOT NULL, "
        "document_id INTEGER REFERENCES documents(id) ON DELETE SET NULL, "
        "problem TEXT, "
        "seen TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX folder_files_folder ON folder_files (folder_id)")
    db.execute("CREATE INDEX folder_files_document ON folder_files (document_id)")


def m012_recalled_sources(db: sqlite_utils.Database) -> None:
    """What recall brought into each answer's prompt (`storage/recalled_sources`), so the window
    shows it under the answer with a link to where it came from, also after the conversation is
    opened again. A row goes with its answer (ON DELETE CASCADE); its source, an earlier message
    or a document's chunk, may go first (a conversation deleted, a document removed or read
    again): the link is then cut (SET NULL) and the row keeps its label, the recalled words and,
    for a passage, its document's title and place, so the passage still opens as a quote. The
    source columns are indexed: a deleted message or chunk looks its rows up. By hand, for ON
    DELETE."""
    db.execute(
        "CREATE TABLE recalled_sources ("
        "message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE, "
        "ordinal INTEGER NOT NULL, "
        "kind TEXT NOT NULL CHECK (kind IN ('message', 'passage')), "
        "label TEXT NOT NULL, "
        "text TEXT NOT NULL, "
        "title TEXT NOT NULL, "
        "place TEXT NOT NULL, "
        "source_message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL, "
        "chunk_id INTEGER REFERENCES chunks(id) ON DELETE SET NULL, "
        "PRIMARY KEY (message_id, ordinal))"
    )
    db.execute("CREATE INDEX recalled_sources_message ON recalled_sources (source_message_id)")
    db.execute("CREATE INDEX recalled_sources_chunk ON recalled_sources (chunk_id)")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    m001_initial,
    m002_documents,
    m003_model_states_and_citations,
    m004_word_timings,
    m005_model_probes,
    m006_quoted_citations,
    m007_answer_samples,
    m008_message_reasoning,
    m009_memories,
    m010_conversation_recall,
    m011_library,
    m012_recalled_sources,
]
