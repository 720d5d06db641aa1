"""The app's log: one rotating file, LONGWIT_HOME/logs/longwit.log (1 MB, then five older copies),
that keeps the traceback of every unexpected error (and of every uncaught one, through
sys.excepthook and threading.excepthook), one line for each error a person was shown, and
llama.cpp's own warnings and errors.

What people read and write (documents, questions, answers, transcripts) is only ever logged at
DEBUG, and Longwit's loggers stop at INFO unless debug logging is on (LONGWIT_DEBUG=1, or the
window's setting); with it on, llama.cpp's info lines and the text of each turn are written too.

The command line and the window each call `start_log` once, the window after its settings chose
the data folder. Calling it again for the same file adds nothing; for another file (LONGWIT_HOME
changed) the log moves there. A log folder that cannot be written does not stop the app: the
caller learns why and says so, and the app goes on without a log.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import TextIO

from storage import log_path
from storage.paths import private_file, private_folder

DEBUG_VARIABLE = "LONGWIT_DEBUG"
FORMAT = "%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s"
# Longwit's own loggers: its packages (logging.getLogger(__name__)) and the "longwit." ones
# (longwit.llama, longwit.errors). Other libraries' loggers keep Python's WARNING.
PROJECT_LOGGERS = ("longwit", "desktop", "engine", "media", "storage")
LLAMA_LOGGER = "longwit.llama"  # engine/llama_log.py

logger = logging.getLogger("longwit.uncaught")
logger.addHandler(logging.NullHandler())  # with no log file, the original hooks print as before

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]
ThreadHook = Callable[[threading.ExceptHookArgs], object]


@dataclass(frozen=True)
class LogOptions:
    max_bytes: int = 1_000_000  # the file rotates at this size…
    backups: int = 5  # …into longwit.log.1 to .5, the oldest dropped
    debug: bool = False  # also documents', questions' and answers' text, and llama.cpp's info lines

    @classmethod
    def from_environment(cls, debug: bool = False) -> LogOptions:
        """Debug logging when asked for here (the window's setting) or by LONGWIT_DEBUG."""
        return cls(debug=debug or bool(os.environ.get(DEBUG_VARIABLE)))


@dataclass(frozen=True)
class LogStart:
    """Where the log is written, or why it cannot be."""

    path: Path
    problem: str | None = None

    @property
    def writing(self) -> bool:
        return self.problem is None

    def notice(self) -> str | None:
        """The one line to tell a person when there is no log; None when there is one."""
        if self.problem is None:
            return None
        return (f"Longwit cannot write its log in {shown_path(self.path.parent)} ({self.problem}); "
                "it goes on without one. Make that folder writable, or set LONGWIT_HOME.")


class LogFileHandler(RotatingFileHandler):
    """The app's own handler, told apart from others on the root logger (pytest's, a library's).
    Each file it starts (the first and every one after a rotation) is the owner's only."""

    def _open(self) -> TextIO:
        private_file(Path(self.baseFilename))
        return super()._open()


class NoLogFile(logging.NullHandler):
    """Stands in for a log that cannot be written, so that warnings do not reach the terminal
    through Python's last-resort handler in its place (the person was told once there is no log)."""


def start_log(options: LogOptions | None = None, path: Path | None = None) -> LogStart:
    """Write the log to `path` (default: LONGWIT_HOME/logs/longwit.log); never raises."""
    options = options or LogOptions.from_environment()
    path = Path(path or log_path()).absolute()
    current = active_handler()
    if current is not None and Path(current.baseFilename) == path and (
            current.maxBytes, current.backupCount) == (options.max_bytes, options.backups):
        set_debug(options.debug)
        return LogStart(path)
    try:
        private_folder(path.parent)
        handler = LogFileHandler(path, maxBytes=options.max_bytes, backupCount=options.backups,
                                 encoding="utf-8")
    except OSError as error:
        _replace_handler(NoLogFile())
        return LogStart(path, error.strerror or str(error))
    handler.setFormatter(logging.Formatter(FORMAT))
    _replace_handler(handler)
    set_debug(options.debug)
    _install_hooks()
    return LogStart(path)


def _replace_handler(handler: logging.Handler | None) -> None:
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, LogFileHandler | NoLogFile)]:
        root.removeHandler(old)
        old.close()
    if handler is not None:
        root.addHandler(handler)


def stop_log() -> None:
    """Close the log and put back the hooks and levels it changed (each test ends with this; at exit
    Python closes the log itself)."""
    _replace_handler(None)
    for name in (*PROJECT_LOGGERS, LLAMA_LOGGER):
        logging.getLogger(name).setLevel(logging.NOTSET)
    _remove_hooks()


def set_debug(debug: bool) -> None:
    """Turn debug logging on or off for what follows."""
    for name in PROJECT_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.INFO)
    # llama.cpp's info lines: hundreds per model load (every metadata key, every tensor).
    logging.getLogger(LLAMA_LOGGER).setLevel(logging.DEBUG if debug else logging.WARNING)


def active_handler() -> LogFileHandler | None:
    return next((h for h in logging.getLogger().handlers if isinstance(h, LogFileHandler)), None)


def active_log_path() -> Path | None:
    """The file being written, None when there is no log."""
    handler = active_handler()
    return Path(handler.baseFilename) if handler is not None else None


def shown_path(path: Path) -> str:
    """A path as a person reads it: under the home folder it starts with ~."""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except (ValueError, RuntimeError):  # not under home, or no home to be found
        return str(path)


# Uncaught errors --------------------------------------------------------------------------------

DEFAULT_HOOKS: tuple[ExceptHook, ThreadHook] = (sys.__excepthook__, threading.__excepthook__)
_previous_hooks: tuple[ExceptHook, ThreadHook] | None = None  # what ours pass each error on to


def _log_uncaught(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    if not issubclass(kind, KeyboardInterrupt):
        logger.error("Uncaught %s", kind.__name__, exc_info=(kind, error, trace))
    (_previous_hooks or DEFAULT_HOOKS)[0](kind, error, trace)


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None and not issubclass(args.exc_type, (SystemExit, KeyboardInterrupt)):
        name = args.thread.name if args.thread is not None else "a thread"
        logger.error("Uncaught %s in %s", args.exc_type.__name__, name,
                     exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
    (_previous_hooks or DEFAULT_HOOKS)[1](args)


def _install_hooks() -> None:
    global _previous_hooks
    if _previous_hooks is None:
        _previous_hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = _log_uncaught
        threading.excepthook = _log_uncaught_in_thread


def _remove_hooks() -> None:
    """Put back the hooks found, unless something has replaced ours since (then it chains to them)."""
    global _previous_hooks
    if _previous_hooks is None:
        return
    if sys.excepthook is _log_uncaught:
        sys.excepthook = _previous_hooks[0]
    if threading.excepthook is _log_uncaught_in_thread:
        threading.excepthook = _previous_hooks[1]
    _previous_hooks = None
