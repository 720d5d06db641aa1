"""The window's remote engine choice in the settings table: kept whole under one key, read back the
same, never with a key in it, and a value it cannot use read as no engine (the local model)."""

from __future__ import annotations

import json

import pytest

from engine.remote.client import EngineTimeouts
from engine.remote.errors import EngineAddressInvalid
from engine.remote.remote_model import RemoteEngine
from engine.remote.stored_engine import ENGINE_KEY, engine_of, store_engine, stored_engine
from storage import ConversationStore
from storage.settings import SettingsStore


def test_a_choice_is_read_back_as_it_was_stored_and_forgotten(store: ConversationStore) -> None:
    settings = SettingsStore(store.db)
    assert stored_engine(settings) is None
    engine = RemoteEngine("gpu-box:8080/v1", "qwen3-8b", 16384, EngineTimeouts(read_s=300))
    store_engine(settings, engine)
    assert stored_engine(settings) == RemoteEngine("http://gpu-box:8080", "qwen3-8b", 16384,
                                                   EngineTimeouts(read_s=300))
    store_engine(settings, None)
    assert stored_engine(settings) is None and settings.get(ENGINE_KEY) is None


def test_an_address_with_credentials_is_refused_not_stored(store: ConversationStore) -> None:
    settings = SettingsStore(store.db)
    with pytest.raises(EngineAddressInvalid):
        store_engine(settings, RemoteEngine("http://me:secret@gpu-box:8080"))
    assert settings.get(ENGINE_KEY) is None


@pytest.mark.parametrize("value", [
    "not json", "[]", "{}", '{"url": 8080}', '{"url": "ftp://gpu-box"}', '{"url": "http://u:p@h:1"}',
])
def test_a_value_it_cannot_use_is_no_engine(value: str) -> None:
    assert engine_of(value) is None


def test_odd_fields_fall_back_to_their_defaults() -> None:
    value = json.dumps({"url": "http://h:1", "model": 3, "n_ctx": True, "read_s": -1})
    assert engine_of(value) == RemoteEngine("http://h:1")
    assert engine_of('{"url": "http://h:1", "read_s": Infinity}') == RemoteEngine("http://h:1")
