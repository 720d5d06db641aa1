"""Where the remote engine's API key comes from: the environment, else the OS keyring when the
`keyring` package happens to be installed (it is not a dependency: it would bring `cryptography`
and seven more packages for one lookup). The key is held in an object whose repr hides it, sent
only in the Authorization header, and never written to the database or the log.

`LONGWIT_API_KEY` is not read here: it is the key other tools must send to `longwit serve`, and
sending it on to whatever server `--engine` names would hand it to a third party."""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ENV_NAMES = ("LONGWIT_ENGINE_API_KEY", "OPENAI_API_KEY")
KEYRING_SERVICE = "longwit-engine"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApiKey:
    """A key and where it was found; its value never appears in a repr, a log line or a message."""

    value: str = field(repr=False)
    source: str

    def __str__(self) -> str:
        return f"the API key from {self.source}"


def keyring_user(url: str) -> str:
    """The keyring entry's user name: the server's scheme, host and port (`http://gpu-box:8080`),
    so one key serves every path on that server."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def from_keyring(url: str) -> ApiKey | None:
    """The key stored with `keyring set longwit-engine http://host:port`, if keyring is installed
    and has a backend; any keyring failure means no key, never an error."""
    try:
        import keyring  # optional: see the module's docstring
    except ImportError:
        return None
    user = keyring_user(url)
    value = None
    with contextlib.suppress(Exception):  # no backend, a locked store, a D-Bus error: no key
        value = keyring.get_password(KEYRING_SERVICE, user)
    return ApiKey(value, f"the keyring ({KEYRING_SERVICE}, {user})") if value else None


def find_api_key(url: str, environ: dict[str, str] | None = None) -> ApiKey | None:
    """The first key found: LONGWIT_ENGINE_API_KEY, OPENAI_API_KEY, then the keyring."""
    env = os.environ if environ is None else environ
    for name in ENV_NAMES:
        value = env.get(name, "").strip()
        if value:
            return ApiKey(value, name)
    return from_keyring(url)
