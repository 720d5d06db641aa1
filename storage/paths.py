"""Where Longwit keeps its data: one user folder, from platformdirs unless LONGWIT_HOME says otherwise."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import platformdirs

HOME_VARIABLE = "LONGWIT_HOME"
DATABASE_NAME = "longwit.db"
LOG_FOLDER = "logs"
LOG_NAME = "longwit.log"
STATES_FOLDER = "states"


def longwit_home() -> Path:
    """The folder for everything Longwit writes (the tests point it at a temporary folder)."""
    override = os.environ.get(HOME_VARIABLE)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path("longwit", appauthor=False)


def database_path() -> Path:
    return longwit_home() / DATABASE_NAME


def states_path() -> Path:
    """Where saved model states (KV caches of document prefixes) are kept as files."""
    return longwit_home() / STATES_FOLDER


def log_path() -> Path:
    """The app's log file (desktop/diagnostics/log_file.py writes it; rotated copies end .1 to .5)."""
    return longwit_home() / LOG_FOLDER / LOG_NAME


def private_folder(path: Path) -> None:
    """Create `path` (and missing parents) readable by its owner only: conversations, documents and
    logs are nobody else's. A folder that exists already keeps its mode: the person chose it."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for folder in missing:
        with contextlib.suppress(OSError):
            folder.chmod(0o700)


def private_file(path: Path) -> None:
    """Create `path` empty, readable and writable by its owner only, unless it exists (SQLite gives
    a database's -wal and -shm files the database file's mode)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def disk_free_bytes(folder: Path) -> int:
    """Free bytes on the disk that holds `folder`, or would hold it (its nearest existing parent):
    what a download or a saved state may still take."""
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path.cwd())
    return shutil.disk_usage(existing).free
