"""How an answer was produced, in words, the same on the terminal and in the window: its length,
the time to its first token and its speed; and an answer folded into one line of a given width."""

from __future__ import annotations


def speed_parts(tokens: int | None, ttft_s: float | None, tokens_per_s: float | None) -> list[str]:
    """["42 tokens", "0.31 s to first token", "95 tok/s"], each left out when it is unknown."""
    parts = []
    if tokens is not None:
        parts.append(f"{tokens} tokens")
    if ttft_s is not None:
        parts.append(f"{ttft_s:.2f} s to first token")
    if tokens_per_s:
        parts.append(f"{tokens_per_s:.0f} tok/s")
    return parts


def one_line(text: str, width: int = 160) -> str:
    """`text` on one line (whitespace collapsed), cut with "…" to `width` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
