"""Where the remote engine's key is found: Longwit's own variable first, then OpenAI's; never the key
of `longwit serve` (LONGWIT_API_KEY), which is for others to send to this machine; and a key's
repr and str never show it."""

from __future__ import annotations

import importlib.util

from engine.remote.api_key import ApiKey, find_api_key, from_keyring, keyring_user

URL = "http://gpu-box:8080/v1"


def test_longwit_s_own_variable_comes_before_openai_s() -> None:
    both = {"LONGWIT_ENGINE_API_KEY": "sk-own", "OPENAI_API_KEY": "sk-openai"}
    assert find_api_key(URL, both) == ApiKey("sk-own", "LONGWIT_ENGINE_API_KEY")
    assert find_api_key(URL, {"OPENAI_API_KEY": " sk-openai "}) == ApiKey("sk-openai", "OPENAI_API_KEY")


def test_the_serve_key_is_not_sent_to_another_server() -> None:
    key = find_api_key(URL, {"LONGWIT_API_KEY": "sk-for-my-own-server"})
    assert key is None or key.source.startswith("the keyring")


def test_a_key_never_shows_itself() -> None:
    key = ApiKey("sk-secret-123", "OPENAI_API_KEY")
    assert "sk-secret-123" not in repr(key) + str(key) + f"{key}"
    assert str(key) == "the API key from OPENAI_API_KEY"


def test_the_keyring_entry_is_the_server_not_the_path() -> None:
    assert keyring_user("https://gpu-box:8443/llm/v1") == "https://gpu-box:8443"
    if importlib.util.find_spec("keyring") is None:  # not a dependency: no keyring, no key
        assert from_keyring(URL) is None
