"""How long a pre-fill of n tokens will take, from a few shorter ones measured.

Each token's attention reads every token before it, so a token at position p costs a + b·p and a
pre-fill of n tokens costs a·n + b·n²/2. A single 256-token pre-fill sees only `a`: on the
development machine it foretold a 16K-token pre-fill of the 1.5B shape at 4 minutes, and the
pre-fill took 22. Two points at different lengths (a short pre-fill timed in two parts, and any
window already measured) give both terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PrefillForecast:
    per_token_s: float  # a: the cost of a token wherever it stands
    per_position_s: float  # b: what each token before it adds to a token's cost

    def seconds(self, tokens: int) -> float:
        return self.per_token_s * tokens + self.per_position_s * tokens * tokens / 2

    def tokens_per_s(self, tokens: int) -> float:
        return tokens / self.seconds(tokens)

    @classmethod
    def fit(cls, points: Sequence[tuple[int, float]]) -> PrefillForecast:
        """The forecast closest to `points` (tokens, seconds from an empty cache), in relative
        error, neither term negative. One length alone can only give a constant per token."""
        usable = [(n, s) for n, s in points if n > 0 and s > 0]
        if not usable:
            raise ValueError("no pre-fill measured to foretell from")
        lengths = np.array([n for n, _ in usable], dtype=float)
        seconds = np.array([s for _, s in usable], dtype=float)
        terms = np.stack([lengths, lengths * lengths / 2], axis=1) / seconds[:, None]
        target = np.ones(len(usable))
        if len(set(lengths)) >= 2:
            (a, b), *_ = np.linalg.lstsq(terms, target, rcond=None)
            if a >= 0 and b >= 0:
                return cls(float(a), float(b))
        # One term only: whichever of the two fits better (the linear one where they tie).
        a = float(np.linalg.lstsq(terms[:, :1], target, rcond=None)[0][0])
        b = float(np.linalg.lstsq(terms[:, 1:], target, rcond=None)[0][0])
        linear_error = np.sum((terms[:, 0] * a - 1) ** 2)
        quadratic_error = np.sum((terms[:, 1] * b - 1) ** 2)
        return cls(a, 0.0) if linear_error <= quadratic_error + 1e-12 else cls(0.0, b)
