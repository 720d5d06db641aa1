"""How much of a document a model reads reliably, for the packer: the probe's measurement of this
model file when there is one (`longwit probe`), else the figure measured for a bundled model on the
development machine, else a conservative default until the person probes it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from engine.catalog import BUNDLED_USABLE_TOKENS
from engine.probe_records import DEFAULT_USABLE_TOKENS
from storage.model_probes import ProbeStore


@dataclass(frozen=True)
class UsableContext:
    tokens: int
    source: str  # what the figure rests on, for the person


def usable_context(db: sqlite_utils.Database, model_path: str | Path) -> UsableContext:
    record = ProbeStore(db).get(model_path)
    if record is not None:
        return UsableContext(record.usable_tokens, f"probed {record.probed_date}")
    measured = BUNDLED_USABLE_TOKENS.get(Path(model_path).name)
    if measured is not None:
        return UsableContext(measured, "measured for this bundled model")
    return UsableContext(DEFAULT_USABLE_TOKENS, "a conservative default until `longwit probe`")
