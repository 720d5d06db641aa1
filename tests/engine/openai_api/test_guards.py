"""Reading the Host header's name the way the loopback check needs it."""

from __future__ import annotations

import pytest

from engine.openai_api.guards import host_name


@pytest.mark.parametrize(("header", "name"), [
    ("localhost", "localhost"), ("localhost:8080", "localhost"), ("127.0.0.1:80", "127.0.0.1"),
    ("[::1]:8080", "::1"), ("[::1]", "::1"), ("::1", "::1"), ("evil.example:8080", "evil.example"),
])
def test_the_name_in_a_host_header(header: str, name: str) -> None:
    assert host_name(header) == name
