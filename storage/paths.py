"""Where Longwit keeps its data: one user folder, from platformdirs unless LONGWIT_HOME says otherwise."""

from __future__ import annotations

import os
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
