"""A reply as the voice loop speaks it: the clauses queued for playback and where each starts, the
clauses synthesized before the turn was sure to have ended (held until it is, thrown away if the person
goes on), and what of it was heard when it stopped."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Spoken:
    """A clause queued for playback: where it starts in the playback count, and its length."""

    text: str
    start: int
    samples: int


@dataclass
class SpokenReply:
    """One reply in progress. `released` says whether its clauses may play yet: a reply begun at a
    short pause holds them in `held` until the listener confirms the turn. The loop changes it under
    its playback lock."""

    released: bool
    cancel: threading.Event = field(default_factory=threading.Event)
    spoken: list[Spoken] = field(default_factory=list)
    held: list[tuple[str, np.ndarray]] = field(default_factory=list)
    first_audio_s: float | None = None  # stream time the first clause was queued to play
    announced: int = 0  # clauses of `spoken` already handed to the loop's on_clause


def heard_text(spoken: list[Spoken], position: int) -> str:
    """The reply as far as it was played: whole clauses, then the played share of the last one."""
    parts = []
    for clause in spoken:
        played = min(max(position - clause.start, 0), clause.samples)
        if played >= clause.samples:
            parts.append(clause.text)
        elif played > 0:
            words = clause.text.split()
            kept = words[: round(len(words) * played / clause.samples)]
            if kept:
                parts.append(" ".join(kept) + "…")
            break
        else:
            break
    return " ".join(parts)
