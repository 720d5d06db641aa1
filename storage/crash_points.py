"""Named places in the code where the crash harness (`longwit bench crash`) can stop the process
dead, and a journal of the places it passed, so that it can check afterwards that whatever was
committed before the kill is still there.

Off unless the environment asks for it, and then only for the process it was set for:

- `LONGWIT_CRASH_AT=NAME:N` kills the process with SIGKILL (nothing is flushed, no handler runs:
  as a power cut is to the process, short of the disk) the N-th time it reaches the point NAME
  (N defaults to 1);
- `LONGWIT_CRASH_LOG=PATH` appends one JSON line per point reached: its name, how many times it
  has been reached, the monotonic clock, and the details the caller gave. Text details are written
  as a short SHA-256, so the journal never holds a person's words; numbers as they are.

The points sit where a kill is most likely to tear something: inside a transaction, between a file
being written and its name or its index row, inside a migration. Their names say where:
`message.written`, `message.committed`, `message.replaced`, `messages.deleted`
(storage/conversations.py); `document.begun`, `document.chunk`, `document.committed`,
`document.removing`, `document.removed` (storage/documents.py); `memory.accepting`,
`memory.accepted` (storage/memory_store.py); `import.writing`, `import.committed`
(storage/conversation_import.py); `migration.applied`, `migration.committed` (storage/migrations.py);
`state.written`, `state.renamed`, `state.indexed` (engine/state_cache.py); `download.chunk`
(engine/model_download.py), `download.verified`, `download.renamed` (engine/partial_download.py).

With neither variable set, `reached` is one comparison against None. The journal is written with
os.write on an O_APPEND descriptor, not fsynced: a killed process's writes are already the kernel's,
and the harness kills processes, not the machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time
from dataclasses import dataclass, field

AT_VARIABLE = "LONGWIT_CRASH_AT"
LOG_VARIABLE = "LONGWIT_CRASH_LOG"
Detail = int | str | list[int] | None


def text_digest(text: str) -> str:
    """How the journal records a text: enough to tell it from another, never the text itself."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def parse_target(spec: str) -> tuple[str, int]:
    """`NAME:N` (or `NAME`, meaning the first time) as (NAME, N)."""
    name, _, count = spec.strip().partition(":")
    count = count or "1"
    if not name or not count.isdigit() or int(count) < 1:
        raise ValueError(f"{AT_VARIABLE}={spec!r}: use NAME:N with N a whole number from 1")
    return name, int(count)


@dataclass
class CrashPlan:
    """Where to die (if anywhere) and where to write the journal (if anywhere)."""

    target: tuple[str, int] | None = None
    journal_fd: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reached(self, name: str, detail: dict[str, Detail]) -> None:
        with self.lock:  # points are reached from several threads (the model's, the voice loop's)
            count = self.counts.get(name, 0) + 1
            self.counts[name] = count
            if self.journal_fd is not None:
                record = {"at": name, "n": count, "t": time.monotonic(),
                          **{key: text_digest(value) if isinstance(value, str) else value
                             for key, value in detail.items()}}
                os.write(self.journal_fd, (json.dumps(record) + "\n").encode())
            if self.target == (name, count):
                os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


_plan: CrashPlan | None = None


def configure(at: str | None, journal: str | None) -> None:
    """Set where to die and where to journal (None, None: switch the points off)."""
    global _plan
    if _plan is not None and _plan.journal_fd is not None:
        os.close(_plan.journal_fd)
    if not at and not journal:
        _plan = None
        return
    fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if journal else None
    _plan = CrashPlan(parse_target(at) if at else None, fd)


def reached(name: str, **detail: Detail) -> None:
    """A named point: journal it and, if this is the planned place and time, die here."""
    if _plan is not None:
        _plan.reached(name, detail)


configure(os.environ.get(AT_VARIABLE), os.environ.get(LOG_VARIABLE))
