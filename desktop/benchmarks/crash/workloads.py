"""The eight things the crash harness kills Longwit in the middle of, each a real `longwit` command
(or, for the window's own writes, the real window driven by desktop/window/crash_session.py) on a
prepared folder: what the folder holds before (its template), the command, the commands that must
then finish the job, and what must hold once they have."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from desktop.benchmarks.crash.checks import file_sha256
from desktop.benchmarks.crash.materials import Materials
from engine.memory_subjects import subject_of
from media.ingest import ingest_file
from storage import ConversationStore, open_database
from storage.conversation_export import export_conversation
from storage.conversations import now
from storage.memory_store import MemoryStore
from storage.migrations import apply_migrations
from storage.paths import DATABASE_NAME

DOWNLOAD_NAME = "crash-test.gguf"
OLD_SCHEMA = 1  # the migration workload's database: conversations and messages, nothing later
OLD_CONVERSATIONS = 3
CHAT_QUESTIONS = ("Name a colour.", "Name a fruit.", "Name an animal.")
Args = list[str]


@dataclass(frozen=True)
class Workload:
    name: str
    what: str  # one line for the table and the JSON
    prepare: Callable[[Path, Materials], None]  # makes the template folder
    command: Callable[[Path, Materials], Args]  # (the folder, the materials) → longwit's arguments
    resume: Callable[[Path, Materials], list[Args]]  # must each exit 0 after the kill
    settle: Callable[[Path, Materials], list[str]]  # problems once they have
    timed_share: float  # of the points, killed at a moment rather than at a named point
    focus: tuple[str, ...] = ()  # the crash points this workload is about, tried first
    stdin: str | None = None
    module: str = "desktop"  # what `python -m` runs the command with: `longwit`, or the window's
    model: bool = False  # its command loads the model (and takes --threads)


def some_history(home: Path) -> None:
    """A conversation that was there before the workload, and must still be after it."""
    store = ConversationStore(open_database(home / DATABASE_NAME))
    try:
        conversation = store.create("Before the crash")
        store.add_message(conversation, "user", "What should survive a crash?")
        store.add_message(conversation, "assistant", "Everything that was committed.")
    finally:
        store.db.conn.close()


def with_document(home: Path, materials: Materials) -> None:
    some_history(home)
    ingest_file(materials.question_document, home / DATABASE_NAME)


def old_database(home: Path, _materials: Materials) -> None:
    """A database as the first Longwit left it: its first schema, conversations and messages."""
    home.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(home / DATABASE_NAME), isolation_level=None)
    try:
        db = sqlite_utils.Database(connection)
        db.execute("PRAGMA journal_mode = WAL")
        apply_migrations(db, upto=OLD_SCHEMA)
        with connection:
            connection.execute("BEGIN")
            for number in range(1, OLD_CONVERSATIONS + 1):
                stamp = now()
                conversation = connection.execute(
                    "INSERT INTO conversations (title, model, created, updated) VALUES (?, ?, ?, ?)",
                    [f"Old conversation {number}", "smollm2-135m-instruct", stamp, stamp]).lastrowid
                for turn in range(2):
                    for role, text in (("user", f"Question {turn} of {number}?"),
                                       ("assistant", f"Answer {turn} of {number}.")):
                        connection.execute(
                            "INSERT INTO messages (conversation_id, role, content, created) "
                            "VALUES (?, ?, ?, ?)", [conversation, role, text, stamp])
    finally:
        connection.close()


def nothing(home: Path, _materials: Materials) -> None:
    home.mkdir(parents=True, exist_ok=True)


def history_then(home: Path, _materials: Materials) -> None:
    nothing(home, _materials)
    some_history(home)


def no_more(_home: Path, _materials: Materials) -> list[Args]:
    return []


def no_problems(_home: Path, _materials: Materials) -> list[str]:
    return []


def add_documents(_home: Path, materials: Materials) -> Args:
    return ["docs", "add", str(materials.documents)]


def add_documents_again(home: Path, materials: Materials) -> list[Args]:
    return [add_documents(home, materials)]


def all_documents_stored(home: Path, materials: Materials) -> list[str]:
    connection = sqlite3.connect(str(home / DATABASE_NAME))
    try:
        stored = {row[0] for row in connection.execute("SELECT sha256 FROM documents")}
    finally:
        connection.close()
    missing = [path.name for path in sorted(materials.documents.iterdir())
               if file_sha256(path) not in stored]
    return [f"not stored after `docs add` ran again: {', '.join(missing)}"] if missing else []


def chat(_home: Path, _materials: Materials) -> Args:
    return ["chat", "--continue", "--max-tokens", "24", "--temperature", "0"]


def ask_again(_home: Path, _materials: Materials) -> list[Args]:
    return [["ask", "--continue", "--max-tokens", "8", "--temperature", "0", "Name a number."]]


def answered_last(home: Path, _materials: Materials) -> list[str]:
    store = ConversationStore(open_database(home / DATABASE_NAME))
    try:
        messages = store.messages(store.latest_id() or 0)
    finally:
        store.db.conn.close()
    if not messages or messages[-1].role != "assistant" or not messages[-1].content.strip():
        return ["the conversation did not go on: its last message is not an answer"]
    return []


def ask_document(_home: Path, materials: Materials) -> Args:
    return ["ask", "--doc", str(materials.question_document), "--max-tokens", "8", "--temperature", "0",
            materials.question]


def ask_document_again(home: Path, materials: Materials) -> list[Args]:
    return [ask_document(home, materials)]


def state_saved(home: Path, _materials: Materials) -> list[str]:
    connection = sqlite3.connect(str(home / DATABASE_NAME))
    try:
        rows = connection.execute("SELECT COUNT(*) FROM model_states").fetchone()[0]
    finally:
        connection.close()
    return [] if rows else ["no model state was saved when the question was asked again"]


def download(_home: Path, materials: Materials) -> Args:
    return ["models", "get", materials.model_url, "--sha256", materials.model.sha256,
            "--name", DOWNLOAD_NAME]


def download_again(home: Path, materials: Materials) -> list[Args]:
    return [download(home, materials)]


def downloaded(home: Path, _materials: Materials) -> list[str]:
    models = home / "models"
    problems = [] if (models / DOWNLOAD_NAME).is_file() else ["the model is not there after `get` ran again"]
    if (models / f"{DOWNLOAD_NAME}.part").exists():
        problems.append("the .part file is still there after the download finished")
    return problems


def history(_home: Path, _materials: Materials) -> Args:
    return ["history"]


def old_conversations_listed(home: Path, _materials: Materials) -> list[str]:
    store = ConversationStore(open_database(home / DATABASE_NAME))
    try:
        count = len(store.list())
    finally:
        store.db.conn.close()
    return [] if count >= OLD_CONVERSATIONS else [f"{count} of {OLD_CONVERSATIONS} old conversations listed"]


def voice_call(home: Path, materials: Materials) -> Args:
    assert materials.voice_script is not None
    return ["voice", "--mic", str(materials.voice_script), "--speaker", str(home / "speaker.wav"),
            "--max-tokens", "24", "--temperature", "0"]


EXPORT_NAME = "before-the-crash.json"
PROPOSAL = "I live in Leeds"


def window_material(home: Path, materials: Materials) -> None:
    """History and a document (ids 1), a memory proposed (id 1) and an export of the history to
    import, in the folder itself."""
    with_document(home, materials)
    db = open_database(home / DATABASE_NAME)
    try:
        MemoryStore(db).propose(PROPOSAL, subject=subject_of(PROPOSAL))
        export_conversation(db, 1, home / EXPORT_NAME, "json")
    finally:
        db.conn.close()


def window_session(home: Path, _materials: Materials) -> Args:
    return [str(home / EXPORT_NAME), "1", "1"]


WORKLOADS = {
    workload.name: workload
    for workload in (
        Workload("ingest", "`docs add` of 4 articles (txt, pdf, epub, docx) and a 6 MB text",
                 with_document, add_documents, add_documents_again,
                 all_documents_stored, timed_share=0.4,
                 focus=("document.chunk", "document.begun", "document.committed")),
        Workload("answer", "`chat --continue`, three questions answered and saved",
                 history_then, chat, ask_again, answered_last, timed_share=0.5,
                 focus=("message.written", "message.committed"),
                 stdin="".join(f"{question}\n" for question in CHAT_QUESTIONS)),
        Workload("state-save", "`ask --doc`: the document pre-filled and its model state saved",
                 with_document, ask_document, ask_document_again, state_saved, timed_share=0.4,
                 focus=("state.written", "state.renamed", "state.indexed")),
        Workload("download", "`models get URL --sha256`: 98 MB from a local server, resumed after",
                 nothing, download, download_again, downloaded, timed_share=0.5,
                 focus=("download.chunk", "download.verified", "download.renamed")),
        Workload("migration", f"`history` on a database at schema {OLD_SCHEMA}: eight migrations",
                 old_database, history, no_more, old_conversations_listed, timed_share=0.2,
                 focus=("migration.applied", "migration.committed")),
        Workload("first-start", "`history` in an empty folder: the database created, all migrations",
                 nothing, history, no_more, no_problems, timed_share=0.2,
                 focus=("migration.applied", "migration.committed")),
        Workload("voice", "`voice --mic`: a two-turn call on files, turns saved as they happen",
                 history_then, voice_call, no_more, no_problems, timed_share=0.5,
                 focus=("message.written", "message.committed")),
        Workload("window", "the window: an answer saved, a memory accepted, a conversation "
                 "imported, a document removed", window_material, window_session, no_more,
                 no_problems, timed_share=0.25,
                 focus=("document.removing", "document.removed", "import.writing",
                        "import.committed", "memory.accepting", "memory.accepted",
                        "message.written", "message.committed"),
                 module="desktop.window.crash_session", model=True),
    )
}
