"""An error on its way to a person and to the log, the same from the command line and the window.

Errors the packages raise for people (engine/, media/ and storage/errors.py, and the audio ones)
are expected: the person reads their message and the log keeps it as one WARNING line. Anything
else is a bug: its traceback goes to the log at ERROR, and the person is told what it was and where
the log is, so that it can be reported.
"""

from __future__ import annotations

import logging

from desktop.diagnostics.log_file import active_log_path, shown_path
from engine.errors import EngineError
from media.audio_errors import AudioError
from media.errors import DocumentError
from storage import StorageError

EXPECTED_ERRORS: tuple[type[Exception], ...] = (EngineError, StorageError, DocumentError, AudioError)

logger = logging.getLogger("longwit.errors")
logger.addHandler(logging.NullHandler())  # with no log file, the person's line is all there is


def is_expected(error: BaseException) -> bool:
    return isinstance(error, EXPECTED_ERRORS)


def log_error(error: BaseException, doing: str) -> None:
    """Record `error`, met while `doing` something ("reading documents"): a line, or a traceback."""
    if is_expected(error):
        logger.warning("%s: %s", doing, one_line(str(error)))
    else:
        logger.error("%s: unexpected %s", doing, type(error).__name__,
                     exc_info=(type(error), error, error.__traceback__))


def error_message(error: BaseException) -> str:
    """What a person reads: an expected error's own message, else what happened and where the
    log with the details is."""
    if is_expected(error):
        return str(error)
    text = one_line(str(error))
    what = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return f"something unexpected went wrong ({what}){details_hint()}"


def report_error(error: BaseException, doing: str) -> str:
    """Log `error` and return the message for a person."""
    log_error(error, doing)
    return error_message(error)


def details_hint() -> str:
    """"; details in ~/…/longwit.log" while a log is being written, else nothing."""
    path = active_log_path()
    return f"; details in {shown_path(path)}" if path is not None else ""


def one_line(text: str) -> str:
    return " ".join(text.split())
