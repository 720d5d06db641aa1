"""What a child process said it had done before it was killed: the journal its crash points wrote
(storage/crash_points.py), read back into what must still be in the database."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class CommittedMessage:
    role: str  # digests (storage.crash_points.text_digest), as the journal holds them
    content: str


@dataclass
class Journal:
    records: list[dict] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> Journal:
        """The journal's records; none when the child died before its first point. A line cut
        short cannot happen (each is one write to an O_APPEND file), but is skipped if it does."""
        records = []
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            lines = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        return cls(records)

    def counts(self) -> dict[str, int]:
        """How many times each point was reached, in the order the points were first reached."""
        counts: dict[str, int] = {}
        for record in self.records:
            counts[record["at"]] = record["n"]
        return counts

    def last(self) -> str | None:
        """The last point passed, as NAME:N."""
        return f"{self.records[-1]['at']}:{self.records[-1]['n']}" if self.records else None

    def messages(self) -> dict[int, CommittedMessage]:
        """Messages committed and not deleted since, with their latest committed text."""
        kept: dict[int, CommittedMessage] = {}
        for record in self.records:
            at = record["at"]
            if at == "message.committed":
                kept[record["message_id"]] = CommittedMessage(record["role"], record["content"])
            elif at == "message.replaced" and record["message_id"] in kept:
                old = kept[record["message_id"]]
                kept[record["message_id"]] = CommittedMessage(old.role, record["content"])
            elif at == "messages.deleted":
                for message_id in record["message_ids"]:
                    kept.pop(message_id, None)
        return kept

    def documents(self) -> dict[int, tuple[str, int]]:
        """Documents committed: id → (digest of the file's SHA-256, chunk count)."""
        return {r["document_id"]: (r["sha256"], r["chunks"])
                for r in self.records if r["at"] == "document.committed"}

    def removed_documents(self) -> set[int]:
        """Documents whose removal was committed."""
        return {r["document_id"] for r in self.records if r["at"] == "document.removed"}

    def accepted_memories(self) -> dict[int, tuple[str, list[int]]]:
        """Proposals accepted: id → (digest of the text, the older memories it replaced)."""
        return {r["memory_id"]: (r["text"], r["replaced"])
                for r in self.records if r["at"] == "memory.accepted"}

    def imports(self) -> dict[int, int]:
        """Conversations imported: id → how many messages."""
        return {r["conversation_id"]: r["messages"]
                for r in self.records if r["at"] == "import.committed"}

    def states(self) -> set[str]:
        """Digests of the keys of the model states whose index row was committed."""
        return {r["key"] for r in self.records if r["at"] == "state.indexed"}
