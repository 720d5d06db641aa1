"""The person's memories: short facts about them and their preferences that Longwit keeps in every
prompt (engine/memory_context renders them), which the person can see, edit, pin and forget.

A memory is proposed (Longwit heard "remember that…" and waits for a yes), accepted (it goes into the
prompt) or rejected; it applies everywhere or in one conversation, and is deleted with it. A fact
about the same subject as an older one in the same scope replaces it: the older text moves into the
newer memory's history, as an edited text does, so nothing the person said is lost until they forget
the memory (which deletes its history too). What a subject is, is the engine's business
(engine/memory_subjects); here it is an opaque key. Every write is one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from storage import crash_points
from storage.conversations import now
from storage.database import database_file, translated_errors
from storage.errors import ConversationNotFound, MemoryEmpty, MemoryNotFound, MemoryNotProposed
from storage.settings import SettingsStore

PROPOSED, ACCEPTED, REJECTED = "proposed", "accepted", "rejected"
EDITED, REPLACED = "edited", "replaced"
AUTO_SAVE_KEY = "memory.auto_save"
BUDGET_KEY = "memory.budget_tokens"
# Tokens of the prompt the memories may take: about a dozen short facts, small beside a 2K window.
DEFAULT_BUDGET_TOKENS = 256
COLUMNS = "id, text, conversation_id, pinned, status, subject, source_message_id, created, updated"
# In the prompt: pinned first, then the most recently written.
PROMPT_ORDER = "pinned DESC, updated DESC, id DESC"


@dataclass(frozen=True)
class Memory:
    id: int
    text: str
    conversation_id: int | None  # None: everywhere
    pinned: bool
    status: str  # PROPOSED, ACCEPTED or REJECTED
    subject: str | None  # what the fact is about, when known (a newer one replaces it)
    source_message_id: int | None  # the message it was proposed from
    created: str
    updated: str

    @property
    def scope(self) -> str:
        return "everywhere" if self.conversation_id is None else f"conversation {self.conversation_id}"


@dataclass(frozen=True)
class MemoryVersion:
    """An earlier text of a memory: when it was written, and when and how it was replaced."""

    text: str
    written: str
    replaced: str
    how: str  # EDITED or REPLACED (by a newer fact about the same subject)


@dataclass(frozen=True)
class MemorySettings:
    auto_save: bool = False  # save what Longwit proposes without asking
    budget_tokens: int = DEFAULT_BUDGET_TOKENS


@dataclass(frozen=True)
class Saved:
    """A memory as written, and the older ones it replaced (their texts are now in its history)."""

    memory: Memory
    replaced: list[Memory]
    new: bool = True  # False: the same fact was already there, and nothing was written


def same_text(one: str, other: str) -> bool:
    return " ".join(one.split()).casefold() == " ".join(other.split()).casefold()


def clean(text: str) -> str:
    text = text.strip()
    if not text:
        raise MemoryEmpty()
    return text


class MemoryStore:
    """Reads and writes memories; one per connection (per thread), like the other stores."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = database_file(db)

    def add(self, text: str, *, conversation_id: int | None = None, pinned: bool = False,
            subject: str | None = None, replaces: Iterable[int] = ()) -> Saved:
        """Save a memory the person wrote; it replaces the ones named in `replaces` and any accepted
        one with the same subject in the same scope."""
        text = clean(text)
        replaces = list(replaces)
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            self._check_scope(conversation_id)
            for old_id in replaces:
                self._get(old_id)
            memory_id = self._insert(text, conversation_id, pinned, ACCEPTED, subject, None)
            replaced = self._replace(memory_id, [*replaces, *self._same_subject(memory_id)])
            return Saved(self._get(memory_id), replaced)

    def propose(self, text: str, *, conversation_id: int | None = None, subject: str | None = None,
                source_message_id: int | None = None, accept: bool = False) -> Saved:
        """A memory Longwit heard: proposed, or accepted at once with `accept` (the person chose to
        save without asking). The same fact already proposed or accepted in this scope is returned
        as it is, so saying it twice does not ask twice."""
        text = clean(text)
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            self._check_scope(conversation_id)
            known = self.db.execute(
                f"SELECT {COLUMNS} FROM memories WHERE status IN (?, ?) AND conversation_id IS ?",
                [PROPOSED, ACCEPTED, conversation_id],
            ).fetchall()
            for memory in map(memory_from, known):
                if same_text(memory.text, text):
                    if accept and memory.status == PROPOSED:
                        return self._accept(memory.id)
                    return Saved(memory, [], new=False)
            memory_id = self._insert(text, conversation_id, False, PROPOSED, subject,
                                     source_message_id)
            if not accept:
                return Saved(self._get(memory_id), [])
            return self._accept(memory_id)

    def accept(self, memory_id: int) -> Saved:
        """The person said yes to a proposal (or changed their mind about one they rejected)."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            if self._get(memory_id).status == ACCEPTED:
                return Saved(self._get(memory_id), [], new=False)
            saved = self._accept(memory_id)
            crash_points.reached("memory.accepting")
        crash_points.reached("memory.accepted", memory_id=memory_id, text=saved.memory.text,
                             replaced=[old.id for old in saved.replaced])
        return saved

    def reject(self, memory_id: int) -> Memory:
        """The person said no to a proposal; it stays, rejected, until forgotten."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            memory = self._get(memory_id)
            if memory.status != PROPOSED:
                raise MemoryNotProposed(memory_id, memory.status)
            self.db.execute("UPDATE memories SET status = ?, updated = ? WHERE id = ?",
                            [REJECTED, now(), memory_id])
            return self._get(memory_id)

    def edit(self, memory_id: int, text: str, subject: str | None = None) -> Memory:
        """New text for a memory; the old text is kept in its history."""
        text = clean(text)
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            old = self._get(memory_id)
            if old.text == text:
                return old
            stamp = now()
            self._keep(memory_id, old, stamp, EDITED)
            self.db.execute("UPDATE memories SET text = ?, subject = ?, updated = ? WHERE id = ?",
                            [text, subject, stamp, memory_id])
            return self._get(memory_id)

    def pin(self, memory_id: int, pinned: bool = True) -> Memory:
        """A pinned memory goes into the prompt before any other."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            self._get(memory_id)
            self.db.execute("UPDATE memories SET pinned = ? WHERE id = ?", [int(pinned), memory_id])
            return self._get(memory_id)

    def forget(self, memory_id: int) -> Memory:
        """Delete a memory and its history; returns what was forgotten."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            memory = self._get(memory_id)
            self.db.execute("DELETE FROM memories WHERE id = ?", [memory_id])
            return memory

    def get(self, memory_id: int) -> Memory:
        with translated_errors(self.path):
            return self._get(memory_id)

    def in_effect(self, conversation_id: int | None) -> list[Memory]:
        """The accepted memories a conversation's prompt holds (those for everywhere and its own),
        in prompt order; with None, the ones for everywhere."""
        with translated_errors(self.path):
            rows = self.db.execute(
                f"SELECT {COLUMNS} FROM memories WHERE status = ? "
                f"AND (conversation_id IS NULL OR conversation_id = ?) ORDER BY {PROMPT_ORDER}",
                [ACCEPTED, conversation_id],
            ).fetchall()
        return [memory_from(row) for row in rows]

    def proposals(self) -> list[Memory]:
        """What Longwit proposed and the person has not answered yet, oldest first."""
        with translated_errors(self.path):
            rows = self.db.execute(
                f"SELECT {COLUMNS} FROM memories WHERE status = ? ORDER BY id", [PROPOSED]
            ).fetchall()
        return [memory_from(row) for row in rows]

    def everything(self) -> list[Memory]:
        """Every memory of every scope and status, by id."""
        with translated_errors(self.path):
            rows = self.db.execute(f"SELECT {COLUMNS} FROM memories ORDER BY id").fetchall()
        return [memory_from(row) for row in rows]

    def history(self, memory_id: int) -> list[MemoryVersion]:
        """A memory's earlier texts, oldest first."""
        with translated_errors(self.path):
            self._get(memory_id)
            rows = self.db.execute(
                "SELECT text, written, replaced, how FROM memory_history WHERE memory_id = ? "
                "ORDER BY replaced, id",
                [memory_id],
            ).fetchall()
        return [MemoryVersion(*row) for row in rows]

    def settings(self) -> MemorySettings:
        stored = SettingsStore(self.db)
        auto_save = stored.get(AUTO_SAVE_KEY)
        budget = stored.get(BUDGET_KEY)
        return MemorySettings(
            auto_save=auto_save == "1",
            budget_tokens=int(budget) if budget and budget.isdigit() else DEFAULT_BUDGET_TOKENS,
        )

    def change_settings(self, *, auto_save: bool | None = None,
                        budget_tokens: int | None = None) -> MemorySettings:
        stored = SettingsStore(self.db)
        if auto_save is not None:
            stored.set(AUTO_SAVE_KEY, "1" if auto_save else "0")
        if budget_tokens is not None:
            stored.set(BUDGET_KEY, str(max(0, budget_tokens)))
        return self.settings()

    # Inside a transaction from here on.

    def _get(self, memory_id: int) -> Memory:
        row = self.db.execute(f"SELECT {COLUMNS} FROM memories WHERE id = ?", [memory_id]).fetchone()
        if row is None:
            raise MemoryNotFound(memory_id)
        return memory_from(row)

    def _check_scope(self, conversation_id: int | None) -> None:
        if conversation_id is None:
            return
        if self.db.execute("SELECT 1 FROM conversations WHERE id = ?", [conversation_id]).fetchone() is None:
            raise ConversationNotFound(conversation_id)

    def _insert(self, text: str, conversation_id: int | None, pinned: bool, status: str,
                subject: str | None, source_message_id: int | None) -> int:
        stamp = now()
        cursor = self.db.execute(
            "INSERT INTO memories (text, conversation_id, pinned, status, subject, source_message_id, "
            "created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [text, conversation_id, int(pinned), status, subject, source_message_id, stamp, stamp],
        )
        return int(cursor.lastrowid)

    def _accept(self, memory_id: int) -> Saved:
        self.db.execute("UPDATE memories SET status = ?, updated = ? WHERE id = ?",
                        [ACCEPTED, now(), memory_id])
        replaced = self._replace(memory_id, self._same_subject(memory_id))
        return Saved(self._get(memory_id), replaced)

    def _same_subject(self, memory_id: int) -> list[int]:
        """The other accepted memories about the same subject in the same scope."""
        memory = self._get(memory_id)
        if memory.subject is None:
            return []
        rows = self.db.execute(
            "SELECT id FROM memories WHERE status = ? AND subject = ? AND conversation_id IS ? "
            "AND id != ? ORDER BY id",
            [ACCEPTED, memory.subject, memory.conversation_id, memory_id],
        ).fetchall()
        return [row[0] for row in rows]

    def _replace(self, memory_id: int, old_ids: list[int]) -> list[Memory]:
        """Fold older memories into this one: their texts and histories become its history, a pin
        carries over, and the older rows go."""
        replaced = []
        stamp = now()
        for old_id in dict.fromkeys(old_ids):
            if old_id == memory_id:
                continue
            old = self._get(old_id)
            self.db.execute("UPDATE memory_history SET memory_id = ? WHERE memory_id = ?",
                            [memory_id, old_id])
            self._keep(memory_id, old, stamp, REPLACED)
            if old.pinned:
                self.db.execute("UPDATE memories SET pinned = 1 WHERE id = ?", [memory_id])
            self.db.execute("DELETE FROM memories WHERE id = ?", [old_id])
            replaced.append(old)
        return replaced

    def _keep(self, memory_id: int, old: Memory, stamp: str, how: str) -> None:
        self.db.execute(
            "INSERT INTO memory_history (memory_id, text, written, replaced, how) "
            "VALUES (?, ?, ?, ?, ?)",
            [memory_id, old.text, old.updated, stamp, how],
        )


def memory_from(row: tuple) -> Memory:
    return Memory(row[0], row[1], row[2], bool(row[3]), *row[4:])
