"""The remote engine a person chose in the window, kept in the database's settings table so that the
next start uses it again: the server's address, its model, the window where the server does not say
it, and how long to wait for the server. One JSON value under one key, so that a crash never leaves
half of a choice. The API key is never stored: it is found again on every connect
(engine/remote/api_key), from the environment or the OS keyring."""

from __future__ import annotations

import json
import math
from typing import Any

from engine.remote.client import EngineTimeouts, engine_root
from engine.remote.errors import RemoteEngineError
from engine.remote.remote_model import RemoteEngine
from storage.settings import SettingsStore

ENGINE_KEY = "window.remote_engine"


def engine_value(engine: RemoteEngine) -> str:
    """The stored form: the address as the client uses it, never a key (the address holds none:
    engine_root refuses one with credentials)."""
    return json.dumps({"url": engine_root(engine.url), "model": engine.model, "n_ctx": engine.n_ctx,
                       "read_s": engine.timeouts.read_s})


def engine_of(value: str) -> RemoteEngine | None:
    """The engine a stored value names; None for one that cannot be used (edited by hand, or from a
    later version), so that the window starts on its local model rather than not at all."""
    try:
        fields: Any = json.loads(value)
        url = fields["url"] if isinstance(fields, dict) else None
        if not isinstance(url, str):
            return None
        url = engine_root(url)
    except (ValueError, KeyError, RemoteEngineError):
        return None
    model, n_ctx, read_s = fields.get("model"), fields.get("n_ctx"), fields.get("read_s")
    return RemoteEngine(
        url,
        model if isinstance(model, str) and model else None,
        n_ctx if positive(n_ctx) and isinstance(n_ctx, int) else None,
        EngineTimeouts(read_s=float(read_s)) if positive(read_s) else EngineTimeouts(),
    )


def positive(value: Any) -> bool:
    """A finite number above 0 (JSON's true is not one, nor Infinity)."""
    return (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            and value > 0)


def stored_engine(settings: SettingsStore) -> RemoteEngine | None:
    """The engine the window used last, or None when it used a local model."""
    value = settings.get(ENGINE_KEY)
    return None if value is None else engine_of(value)


def store_engine(settings: SettingsStore, engine: RemoteEngine | None) -> None:
    """Remember `engine` (None: the local model answers, forget any engine)."""
    if engine is None:
        settings.clear(ENGINE_KEY)
    else:
        settings.set(ENGINE_KEY, engine_value(engine))
