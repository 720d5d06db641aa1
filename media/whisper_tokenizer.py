"""Parsing a Whisper model's tokenizer ahead of loading the model.

faster-whisper parses `tokenizer.json` with the Rust `tokenizers` library inside WhisperModel's
constructor, and that parse holds the GIL for 70–90 ms (measured on two cores). Loaded on a worker
thread while the window runs, it stalls the window's event loop by as much. `parse_ahead` does the
parse on the calling thread at a moment of its choosing (the window: before its event loop starts),
and `parsed_ahead` hands that result to the constructor in place of a second parse.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_parsed: dict[Path, Any] = {}  # tokenizer.json path → tokenizers.Tokenizer
_lock = threading.Lock()


def parse_ahead(model_folder: Path) -> None:
    """Parse the model's tokenizer now and keep it for the model's load (once per process)."""
    import tokenizers

    file = (model_folder / "tokenizer.json").resolve()
    with _lock:
        if file not in _parsed and file.is_file():
            _parsed[file] = tokenizers.Tokenizer.from_file(str(file))


class _Tokenizers:
    """Stands in for the `tokenizers` module inside faster_whisper.transcribe while a model is
    constructed: a file parsed ahead is handed back, anything else goes to the real library."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.Tokenizer = self

    def from_file(self, path: str) -> Any:
        parsed = _parsed.get(Path(path).resolve())
        return parsed if parsed is not None else self._real.Tokenizer.from_file(path)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real.Tokenizer, name)


@contextmanager
def parsed_ahead(model_folder: Path) -> Iterator[None]:
    """While constructing a WhisperModel for `model_folder`, use its tokenizer parsed ahead, if any.
    The caller holds the model-loading lock, so no other construction sees the stand-in."""
    import faster_whisper.transcribe as transcribe

    if (model_folder / "tokenizer.json").resolve() not in _parsed:
        yield
        return
    real = transcribe.tokenizers
    transcribe.tokenizers = _Tokenizers(real)
    try:
        yield
    finally:
        transcribe.tokenizers = real
