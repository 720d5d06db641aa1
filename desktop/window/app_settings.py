"""What a person chooses for the app, kept between runs: one frozen AppSettings and its QSettings form.

Every setting the window offers lives here with its default, so the dialogs, the chat controller and
the voice mode read one object instead of scattered QSettings keys. QSettings gives values back as
strings on some platforms (INI files, Linux) and typed on others (the registry, macOS plists), and a
person may edit the file by hand; so each value is parsed and checked on the way in, and anything it
cannot use falls back to its default rather than stopping the app from starting.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import QSettings

from engine.chat_session import DEFAULT_SYSTEM_PROMPT
from engine.generation import GenerationOptions
from engine.gguf_file import KV_TYPE_BYTES
from engine.loader import MIN_CTX, LoadOptions
from media.speech_to_text import SpeechOptions
from media.text_to_speech import VoiceOptions
from storage import longwit_home

THEMES = ("system", "light", "dark")
BUNDLED_SPEECH_MODELS = ("tiny.en", "base")
SETTINGS_GROUP = "settings"  # the window's own state (geometry, splitters) lives beside it
DEFAULT_MAX_TOKENS = 1024  # answers in a window may run longer than the CLI's 512

Theme = Literal["system", "light", "dark"]

# What the sampling settings may be: the settings dialog's spin boxes and the parsers below share these.
SAMPLING_RANGES: dict[str, tuple[float, float]] = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "top_k": (0, 1000),  # 0 turns top-k off
    "min_p": (0.0, 1.0),
    "repeat_penalty": (0.5, 2.0),
    "max_tokens": (1, 131072),
}


@dataclass(frozen=True)
class AppSettings:
    """Everything the settings and model dialogs edit. "" and None mean "the default, found at run time"."""

    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    # Sampling (engine.generation.GenerationOptions). With `model_sampling` on, the loaded model's
    # own recommendation (engine/sampling_defaults.py) is used and the numbers below are not.
    model_sampling: bool = True
    temperature: float = GenerationOptions.temperature
    top_p: float = GenerationOptions.top_p
    top_k: int = GenerationOptions.top_k
    min_p: float = GenerationOptions.min_p
    repeat_penalty: float = GenerationOptions.repeat_penalty
    max_tokens: int = DEFAULT_MAX_TOKENS
    # Model and how to load it (engine.loader.LoadOptions)
    model: str | None = None  # a bundled model's name or a GGUF path; None: the default bundled model
    n_ctx: int | None = None  # None: the model's trained length, capped by memory
    gpu_layers: int | Literal["auto"] = "auto"  # -1 all, 0 none, N layers; auto: all when offload works
    n_threads: int | None = None  # None: every core
    kv_type: str = "f16"
    # Speech
    voice_path: str = ""  # a Piper .onnx voice; "": the bundled joe voice
    speech_model: str = "tiny.en"  # "tiny.en", "base" or a faster-whisper model folder
    # Where data lives and how the window looks
    data_folder: str = ""  # "": storage.longwit_home() (which honours LONGWIT_HOME)
    theme: Theme = "system"
    # Also write documents' text, questions and answers to the log (as LONGWIT_DEBUG=1 does)
    debug_logging: bool = False

    def generation_options(self) -> GenerationOptions:
        return GenerationOptions(
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            min_p=self.min_p,
            repeat_penalty=self.repeat_penalty,
        )

    def load_options(self) -> LoadOptions:
        return LoadOptions(
            n_ctx=self.n_ctx, n_threads=self.n_threads, gpu_layers=self.gpu_layers, kv_type=self.kv_type
        )

    def voice_options(self) -> VoiceOptions:
        return VoiceOptions(model_path=Path(self.voice_path) if self.voice_path else None)

    def speech_options(self) -> SpeechOptions:
        return SpeechOptions(model=self.speech_model)

    def data_path(self) -> Path:
        return Path(self.data_folder).expanduser() if self.data_folder else longwit_home()


# Parsers: stored value → field value, raising ValueError (or TypeError) for anything unusable.
Parser = Callable[[Any], Any]


def _text(value: Any) -> str:
    if isinstance(value, list):  # an INI value with unquoted commas comes back as a list
        return ", ".join(str(part) for part in value)
    if not isinstance(value, str):
        raise TypeError(f"not text: {value!r}")
    return value


def _number(kind: type, low: float | None = None, high: float | None = None) -> Parser:
    def parse(value: Any) -> Any:
        if isinstance(value, bool):
            raise TypeError("a flag is not a number")
        if isinstance(value, list):
            raise TypeError("a list is not a number")
        text = str(value).strip()
        number = kind(text)
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError(f"not a finite number: {text}")
        if (low is not None and number < low) or (high is not None and number > high):
            raise ValueError(f"{number} outside {low}..{high}")
        return number

    return parse


def _optional(parse: Parser) -> Parser:
    """None is stored as an absent key; an empty or "none" value reads back as None too."""

    def parse_optional(value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
            return None
        return parse(value)

    return parse_optional


def _choice(choices: tuple[str, ...]) -> Parser:
    def parse(value: Any) -> str:
        text = _text(value).strip()
        if text not in choices:
            raise ValueError(f"{text!r} is not one of {choices}")
        return text

    return parse


def _non_empty(value: Any) -> str:
    text = _text(value).strip()
    if not text:
        raise ValueError("empty")
    return text


def _flag(value: Any) -> bool:
    """QSettings gives back "true"/"false" from an INI file, a bool from the registry."""
    if isinstance(value, bool):
        return value
    text = _text(value).strip().lower()
    if text not in ("true", "false", "1", "0"):
        raise ValueError(f"not a flag: {text!r}")
    return text in ("true", "1")


def _gpu_layers(value: Any) -> int | str:
    if isinstance(value, str) and value.strip() == "auto":
        return "auto"
    return _number(int, low=-1)(value)


PARSERS: dict[str, Parser] = {
    "system_prompt": _text,
    "model_sampling": _flag,
    **{name: _number(type(getattr(AppSettings, name)), *limits) for name, limits in SAMPLING_RANGES.items()},
    "model": _optional(_non_empty),
    "n_ctx": _optional(_number(int, MIN_CTX)),
    "gpu_layers": _gpu_layers,
    "n_threads": _optional(_number(int, 1)),
    "kv_type": _choice(tuple(KV_TYPE_BYTES)),
    "voice_path": _text,
    "speech_model": _non_empty,
    "data_folder": _text,
    "theme": _choice(THEMES),
    "debug_logging": _flag,
}


def load_settings(qsettings: QSettings) -> AppSettings:
    """The stored settings; a missing, unreadable or out-of-range value gives that field's default."""
    defaults = AppSettings()
    values: dict[str, Any] = {}
    qsettings.beginGroup(SETTINGS_GROUP)
    try:
        for field in dataclasses.fields(AppSettings):
            default = getattr(defaults, field.name)
            if not qsettings.contains(field.name):
                values[field.name] = default
                continue
            try:
                values[field.name] = PARSERS[field.name](qsettings.value(field.name))
            except (TypeError, ValueError):
                values[field.name] = default
    finally:
        qsettings.endGroup()
    return AppSettings(**values)


def save_settings(qsettings: QSettings, settings: AppSettings) -> None:
    """Store every field: numbers and text as they are, None as an absent key."""
    qsettings.beginGroup(SETTINGS_GROUP)
    try:
        for field in dataclasses.fields(AppSettings):
            value = getattr(settings, field.name)
            if value is None:
                qsettings.remove(field.name)
            else:
                qsettings.setValue(field.name, value)
    finally:
        qsettings.endGroup()
    qsettings.sync()
