"""What each model file can really read: the context length measured by `longwit probe`.

Small models lose what sits deep in a long context well before their trained window ends, so the
packer asks here how many tokens of a document a given model file reads reliably on this machine.
One row per model file, keyed by its resolved path and a fingerprint (size and modification time,
the same notion the saved model states use: cheap, and it changes when the file is replaced or
rewritten), so a result never outlives the file it was measured on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from storage.conversations import now
from storage.database import database_file, translated_errors

COLUMNS = ("path, size_bytes, mtime_ns, usable_tokens, n_ctx, prefill_tokens, prefill_s, "
           "prefill_tokens_per_s, grid_json, probed, llama_cpp_version")


@dataclass(frozen=True)
class ProbeRecord:
    """One stored probe of one model file."""

    path: str  # the model file, resolved
    size_bytes: int
    mtime_ns: int
    usable_tokens: int  # the longest document length the model still answered reliably
    n_ctx: int  # the context window the probe ran with
    prefill_tokens: int  # how many tokens the pre-fill timing covered (a full window when it could)
    prefill_s: float
    prefill_tokens_per_s: float
    grid_json: str  # every cell of the grid, as JSON
    probed: str  # ISO timestamp (UTC)
    llama_cpp_version: str

    @property
    def probed_date(self) -> str:
        return self.probed[:10]

    @property
    def grid(self) -> Any:
        return json.loads(self.grid_json)


def fingerprint(path: Path) -> tuple[str, int, int]:
    """(resolved path, size, mtime in ns) of a model file; OSError when it cannot be read."""
    resolved = Path(path).expanduser().resolve()
    stat = resolved.stat()
    return str(resolved), stat.st_size, stat.st_mtime_ns


class ProbeStore:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = database_file(db)

    def record(
        self,
        model_path: str | Path,
        usable_tokens: int,
        n_ctx: int,
        prefill_tokens: int,
        prefill_s: float,
        grid: Any,
        llama_cpp_version: str,
    ) -> ProbeRecord:
        """Store the probe of the file at `model_path` as it is now, replacing any earlier one."""
        path, size, mtime_ns = fingerprint(Path(model_path))
        speed = prefill_tokens / prefill_s if prefill_s > 0 else 0.0
        record = ProbeRecord(path, size, mtime_ns, usable_tokens, n_ctx, prefill_tokens, prefill_s,
                             speed, json.dumps(grid), now(), llama_cpp_version)
        with translated_errors(self.path), self.db.conn:
            self.db.execute(
                f"INSERT OR REPLACE INTO model_probes ({COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [record.path, record.size_bytes, record.mtime_ns, record.usable_tokens, record.n_ctx,
                 record.prefill_tokens, record.prefill_s, record.prefill_tokens_per_s,
                 record.grid_json, record.probed, record.llama_cpp_version],
            )
        return record

    def get(self, model_path: str | Path) -> ProbeRecord | None:
        """The probe of this file, or None if it was never probed or has changed since."""
        try:
            path, size, mtime_ns = fingerprint(Path(model_path))
        except OSError:
            return None
        with translated_errors(self.path):
            row = self.db.execute(
                f"SELECT {COLUMNS} FROM model_probes WHERE path = ?", [path]
            ).fetchone()
        if row is None:
            return None
        record = ProbeRecord(*row)
        if (record.size_bytes, record.mtime_ns) != (size, mtime_ns):
            return None
        return record
