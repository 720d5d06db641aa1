"""Qt's own warnings (a missing font, a bad style sheet, a widget misused) written to the app's log
as `longwit.qt` lines, where a report of something odd in the window can find them, rather than to a
terminal the person never sees."""

from __future__ import annotations

import logging

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,  # Qt aborts once the handler returns
}

logger = logging.getLogger("longwit.qt")


def log_qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    category = context.category or "qt"
    logger.log(LEVELS.get(kind, logging.WARNING), "%s: %s", category, message)


def route_qt_messages() -> None:
    """From now on Qt's messages go to the log (call once a log is being written)."""
    qInstallMessageHandler(log_qt_message)


def stop_routing_qt_messages() -> None:
    """Qt's own handler again: what Qt says while the app is torn down must not call into a Python
    that is shutting down."""
    qInstallMessageHandler(None)
