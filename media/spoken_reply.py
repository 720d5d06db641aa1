"""A reply as the voice loop speaks it: the clauses queued for playback and where each starts, the
clauses synthesized before the turn was sure to have ended (held until it is, thrown away if the person
goes on), and what of it was heard when it stopped."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

VOICED_LEVEL = 0.01  # below this, a sample is the silence Piper puts around a clause


@dataclass
class Spoken:
    """A clause queued for playback: where it starts in the playback count, and its length. With
    `word_lengths` (phonemes per word) and `voiced` (where in its samples speech begins and ends),
    the share of it that was heard is mapped to words by how long each takes to say, not by count:
    "nineteen hundred" takes longer than "a"."""

    text: str
    start: int
    samples: int
    word_lengths: tuple[int, ...] = ()
    voiced: tuple[int, int] | None = None


def voiced_span(audio: np.ndarray) -> tuple[int, int] | None:
    """The first and last sample above the silence level (None: all silence)."""
    loud = np.flatnonzero(np.abs(audio) > VOICED_LEVEL)
    return (int(loud[0]), int(loud[-1]) + 1) if len(loud) else None


@dataclass
class SpokenReply:
    """One reply in progress. `released` says whether its clauses may play yet: a reply begun at a
    short pause holds them in `held` until the listener confirms the turn. The loop changes it under
    its playback lock."""

    released: bool
    cancel: threading.Event = field(default_factory=threading.Event)
    spoken: list[Spoken] = field(default_factory=list)
    held: list[tuple[str, np.ndarray, tuple[int, ...]]] = field(default_factory=list)
    first_audio_s: float | None = None  # stream time the first clause was queued to play
    announced: int = 0  # clauses of `spoken` already handed to the loop's on_clause


def heard_words(clause: Spoken, played: int) -> list[str]:
    """The words of `clause` said within its first `played` samples: those whose middle falls in
    the played share of its speech (weighted by phonemes when known, else each word alike)."""
    words = clause.text.split()
    lengths = clause.word_lengths if len(clause.word_lengths) == len(words) else (1,) * len(words)
    low, high = clause.voiced or (0, clause.samples)
    share = min(max((played - low) / max(high - low, 1), 0.0), 1.0)
    total, said, kept = sum(lengths), 0, []
    for word, length in zip(words, lengths, strict=True):
        if said + length / 2 > share * total:
            break
        kept.append(word)
        said += length
    return kept


def heard_text(spoken: list[Spoken], position: int) -> str:
    """The reply as far as it was played: whole clauses, then the played share of the last one."""
    parts = []
    for clause in spoken:
        played = min(max(position - clause.start, 0), clause.samples)
        if played >= clause.samples:
            parts.append(clause.text)
        elif played > 0:
            kept = heard_words(clause, played)
            if kept:
                parts.append(" ".join(kept) + "…")
            break
        else:
            break
    return " ".join(parts)
