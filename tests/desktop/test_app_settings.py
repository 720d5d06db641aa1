"""AppSettings survive a QSettings round trip with their types, and bad stored values fall back."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from desktop.window.app_settings import SETTINGS_GROUP, AppSettings, load_settings, save_settings
from engine.chat_session import DEFAULT_SYSTEM_PROMPT
from engine.generation import GenerationOptions
from engine.loader import LoadOptions

EDITED = AppSettings(
    system_prompt='Line one, with a comma; and "quotes".\nLine two = é 字 \\ end',
    model_sampling=False,
    temperature=0.25,
    top_p=0.5,
    top_k=7,
    min_p=0.0,
    repeat_penalty=1.3,
    max_tokens=77,
    model="/models/qwen3, 4b.gguf",
    n_ctx=4096,
    gpu_layers=12,
    n_threads=3,
    kv_type="q8_0",
    voice_path="/voices/en_GB-alan.onnx",
    speech_model="base",
    data_folder="/data/longwit",
    theme="dark",
)


def ini_settings(path: Path) -> QSettings:
    return QSettings(str(path), QSettings.Format.IniFormat)


def reopened(path: Path) -> QSettings:
    """The file as a later run reads it: Qt caches a file's typed values per name within a process,
    so a copy under a new name is parsed from its text, where every value is a string."""
    copy = path.with_name(f"reopened-{path.name}")
    shutil.copyfile(path, copy)
    return ini_settings(copy)


def test_defaults_are_documented_values() -> None:
    settings = AppSettings()
    assert settings.system_prompt == DEFAULT_SYSTEM_PROMPT
    assert settings.temperature == GenerationOptions.temperature
    assert settings.max_tokens == 1024
    assert settings.model is None and settings.n_ctx is None and settings.n_threads is None
    assert settings.gpu_layers == "auto"
    assert settings.theme == "system"


def test_empty_store_gives_defaults(qtbot, tmp_path: Path) -> None:
    assert load_settings(ini_settings(tmp_path / "empty.ini")) == AppSettings()


@pytest.mark.parametrize("settings", [EDITED, AppSettings(), dataclasses.replace(EDITED, gpu_layers=-1)])
def test_round_trip_keeps_values_and_types(qtbot, tmp_path: Path, settings: AppSettings) -> None:
    path = tmp_path / "longwit.ini"
    save_settings(ini_settings(path), settings)
    assert load_settings(ini_settings(path)) == settings  # typed values, as the registry and plists give
    loaded = load_settings(reopened(path))  # strings, as INI files give
    assert loaded == settings
    for field in dataclasses.fields(AppSettings):
        assert type(getattr(loaded, field.name)) is type(getattr(settings, field.name)), field.name


def test_saving_none_after_a_value_clears_it(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "longwit.ini"
    save_settings(ini_settings(path), EDITED)
    save_settings(ini_settings(path), dataclasses.replace(EDITED, model=None, n_ctx=None, n_threads=None))
    loaded = load_settings(reopened(path))
    assert (loaded.model, loaded.n_ctx, loaded.n_threads) == (None, None, None)


def test_corrupt_values_fall_back_to_defaults(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "longwit.ini"
    save_settings(ini_settings(path), EDITED)
    store = ini_settings(path)
    store.beginGroup(SETTINGS_GROUP)
    corrupt = {
        "temperature": "warm", "top_p": "1.5", "top_k": "-3", "min_p": "nan", "repeat_penalty": "inf",
        "max_tokens": "0", "n_ctx": "12", "gpu_layers": "many", "n_threads": "2.5", "kv_type": "q3_x",
        "theme": "purple", "speech_model": "  ",
    }
    for key, value in corrupt.items():
        store.setValue(key, value)
    store.endGroup()
    store.sync()
    loaded = load_settings(reopened(path))
    defaults = AppSettings()
    for key in corrupt:
        assert getattr(loaded, key) == getattr(defaults, key), key
    assert loaded.system_prompt == EDITED.system_prompt  # untouched values survive
    assert loaded.model == EDITED.model


def test_hand_edited_ini_is_parsed_or_ignored(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "hand.ini"
    path.write_text(
        "[settings]\ntemperature=0.9\ntop_k= 12 \ngpu_layers=auto\nn_ctx=none\n"
        "system_prompt=Be brief, be kind\nmodel=@Invalid()\ntheme=light\n"
    )
    loaded = load_settings(ini_settings(path))
    assert loaded.temperature == 0.9 and loaded.top_k == 12
    assert loaded.gpu_layers == "auto" and loaded.n_ctx is None
    assert loaded.system_prompt == "Be brief, be kind"  # INI splits unquoted commas into a list
    assert loaded.model is None
    assert loaded.theme == "light"


def test_engine_options_carry_the_settings() -> None:
    generation = EDITED.generation_options()
    assert generation == GenerationOptions(
        max_tokens=77, temperature=0.25, top_p=0.5, top_k=7, min_p=0.0, repeat_penalty=1.3
    )
    load = EDITED.load_options()
    assert isinstance(load, LoadOptions)
    assert (load.n_ctx, load.gpu_layers, load.n_threads, load.kv_type) == (4096, 12, 3, "q8_0")
    assert AppSettings().load_options().gpu_layers == "auto"


def test_default_data_folder_follows_longwit_home(longwit_home: Path) -> None:
    assert AppSettings().data_path() == longwit_home
    assert AppSettings(data_folder="/elsewhere").data_path() == Path("/elsewhere")


def test_voice_and_speech_options() -> None:
    assert AppSettings().voice_options().model_path is None
    assert EDITED.voice_options().model_path == Path("/voices/en_GB-alan.onnx")
    assert EDITED.speech_options().model == "base"
