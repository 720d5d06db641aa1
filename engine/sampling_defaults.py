"""Sampling settings per model, and the near-greedy ones for answers about documents.

A model's authors know how it should be sampled: GGUF files converted by recent llama.cpp carry
their recommendation under `general.sampling.*`, which wins. Otherwise what the download catalogue
says for that very file (`model_catalogue.json`, from its model card), then a small table of known
families (also from their model cards; a family is a guess from the architecture and name, which
takes DeepSeek's R1 distills for plain Qwen 2), else a conservative default: small models drift at
0.7.
Answers about documents are greedy whatever the model: they should repeat what the passages say,
and at temperature 0.7 SmolLM2 135M invented dates and names the passages did not hold (DESIGN.md).
Their repeat penalty is off, because llama.cpp applies it to the prompt's last tokens too, where
the passage being quoted sits; runaway repetition is stopped by the generator instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from engine.generation import GenerationOptions
from engine.loader import LoadedModel
from engine.model_catalogue import entry_for_file
from engine.model_host import ModelHost
from engine.prompt_model import PromptModel

METADATA_KEYS = {
    "temperature": ("general.sampling.temp", float),
    "top_k": ("general.sampling.top_k", int),
    "top_p": ("general.sampling.top_p", float),
    "min_p": ("general.sampling.min_p", float),
    "repeat_penalty": ("general.sampling.penalty_repeat", float),
}

# What each family's model card recommends; matched against the GGUF's architecture and name.
FAMILIES: dict[str, dict[str, float]] = {
    "smollm": {"temperature": 0.2, "top_p": 0.9},
    "qwen3": {"temperature": 0.6, "top_k": 20, "top_p": 0.95, "min_p": 0.0},
    "qwen2": {"temperature": 0.7, "top_k": 20, "top_p": 0.8, "repeat_penalty": 1.05},
    "gemma3": {"temperature": 1.0, "top_k": 64, "top_p": 0.95, "min_p": 0.0},
    "llama": {"temperature": 0.6, "top_p": 0.9},
    "mistral": {"temperature": 0.15},
    "phi3": {"temperature": 0.0},
}
CONSERVATIVE = {"temperature": 0.3, "top_p": 0.9}
DOCUMENT_ANSWER = {"temperature": 0.0, "top_k": 1, "repeat_penalty": 1.0, "repetition_tokens": 16}


@dataclass(frozen=True)
class SamplingChoice:
    settings: dict[str, float]
    source: str  # "the model file", "the <family> model card", "a conservative default"


def from_metadata(metadata: dict[str, str]) -> dict[str, float]:
    found: dict[str, float] = {}
    for field, (key, kind) in METADATA_KEYS.items():
        try:
            found[field] = kind(float(metadata[key]))
        except (KeyError, ValueError):
            continue
    return found


def family_of(architecture: str, name: str) -> str | None:
    haystack = f"{architecture} {name}".lower().replace("-", "").replace("_", "")
    return next((family for family in FAMILIES if family in haystack), None)


def sampling_choice(metadata: dict[str, str], architecture: str, name: str,
                    file_name: str | None = None) -> SamplingChoice:
    own = from_metadata(metadata)
    if "temperature" in own:
        return SamplingChoice(own, "the model file")
    entry = entry_for_file(Path(file_name)) if file_name else None
    if entry is not None:
        return SamplingChoice(dict(entry.sampling), f"the {entry.title} model card (the catalogue)")
    family = family_of(architecture, metadata.get("general.name", "") + " " + name)
    if family is not None:
        return SamplingChoice(FAMILIES[family], f"the {family} model card")
    return SamplingChoice(CONSERVATIVE, "a conservative default")


def model_sampling(model: LoadedModel | PromptModel) -> SamplingChoice:
    if not isinstance(model, LoadedModel):  # a remote engine's: no file to read, only its name
        return sampling_choice({}, "", model.name, "")
    metadata = dict(model.llama.metadata or {})
    return sampling_choice(metadata, metadata.get("general.architecture", ""), model.name,
                           model.info.path.name)


def for_documents(options: GenerationOptions) -> GenerationOptions:
    """The same options, greedy and without a repeat penalty, for an answer about documents."""
    return replace(options, **DOCUMENT_ANSWER)


def generation_options_for(host: ModelHost, documents: bool, max_tokens: int = 512,
                           temperature: float | None = None) -> GenerationOptions:
    """Options for the loaded model: its own sampling for chat, greedy for document answers; an
    explicit `temperature` (the person's setting) wins over both."""
    choice = host.call(model_sampling)
    settings = dict(choice.settings)
    if documents:
        settings |= DOCUMENT_ANSWER
    if temperature is not None:
        settings["temperature"] = temperature
    return replace(GenerationOptions(max_tokens=max_tokens), **settings)
