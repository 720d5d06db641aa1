"""Deterministic, varied English filler text measured in a model's tokens.

Benchmarks need prompts of a given token length that read like text (repeating one sentence lets
the model and its cache behave unlike real material); seeded random sentences give that, the same
on every run.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from engine.loader import LoadedModel

# Words for filler sentences ("subject verb object ending."), varied enough to read as text.
# fmt: off
SUBJECTS = (
    "The old lighthouse keeper", "A curious student", "The river pilot", "Our neighbour's cat",
    "The town committee", "A travelling musician", "The forest ranger", "The village baker",
    "An engineer from the north", "The night porter", "A retired sailor", "The school librarian",
)
VERBS = (
    "described", "noticed", "carried", "repaired", "painted", "remembered", "measured",
    "followed", "explained", "collected", "photographed", "questioned",
)
OBJECTS = (
    "the broken clock", "a map of the coast", "three baskets of apples", "the history of the town",
    "a letter from abroad", "the path along the cliffs", "an unusual blue stone",
    "the plans for a new bridge", "a box of faded photographs", "the price of winter coal",
    "the sound of distant bells", "a recipe for plum cake",
)
ENDINGS = (
    "before the storm arrived", "during the long winter", "with great care", "after breakfast",
    "for the spring fair", "without telling anyone", "in the harbour office", "late at night",
    "while the tide was low", "to everyone's surprise", "on the first warm day of the year",
    "as the bells rang noon",
)
# fmt: on


def sentences(rng: random.Random) -> Iterator[str]:
    while True:
        parts = (rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(ENDINGS))
        yield " ".join(parts) + "."


def filler_text(model: LoadedModel, target_tokens: int, rng: random.Random) -> str:
    """Varied English sentences adding up to about `target_tokens` tokens."""
    chosen: list[str] = []
    total = 0
    source = sentences(rng)
    while total < target_tokens:
        sentence = next(source)
        chosen.append(sentence)
        total += model.count_tokens(" " + sentence)
    return " ".join(chosen)
