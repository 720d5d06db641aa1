"""Starting the window: `longwit app`, and `longwit` (or `make run`) when there is a display.

The settings choose the data folder before anything opens the database or the log (LONGWIT_HOME,
when set, still wins: tests and scripts rely on it); the window appears first and the model loads
behind it.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.diagnostics.error_report import log_error
from desktop.diagnostics.log_file import LogOptions, LogStart, start_log
from desktop.window.app_settings import AppSettings, load_settings
from desktop.window.main_window import MainWindow, start_when_shown
from desktop.window.qt_messages import route_qt_messages, stop_routing_qt_messages
from desktop.window.theme import apply_theme
from storage import StorageError, database_path, longwit_home

ORGANIZATION = APPLICATION = "Longwit"


def has_display() -> bool:
    """Whether a window can be shown: always on Windows and macOS; on Linux, an X or Wayland
    display, or a Qt platform chosen explicitly (offscreen, for tests and screenshots)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


GIL_SWITCH_S = 0.001  # Python's default is 0.005


def application(argv: list[str] | None = None) -> QApplication:
    # The window's Python handlers share the GIL with the model's, the documents' and the voice
    # loop's threads; a shorter switch interval lets the GUI thread in sooner when several of them
    # are busy at once (bench ui: a voice turn over a large document).
    sys.setswitchinterval(GIL_SWITCH_S)
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    return app  # type: ignore[return-value]


def choose_data_folder(settings: AppSettings) -> None:
    if settings.data_folder and not os.environ.get("LONGWIT_HOME"):
        os.environ["LONGWIT_HOME"] = settings.data_folder


def start_window_log(settings: AppSettings) -> LogStart:
    """The log in the chosen data folder, with Qt's warnings routed to it."""
    started = start_log(LogOptions.from_environment(settings.debug_logging))
    if started.writing:
        route_qt_messages()
    return started


def open_window(qsettings: QSettings | None = None) -> MainWindow:
    """The window on this machine's settings (or the ones given), shown, with its model loading."""
    app = application()
    qsettings = qsettings or QSettings()
    settings = load_settings(qsettings)
    choose_data_folder(settings)
    log = start_window_log(settings)
    apply_theme(app, settings.theme)
    window = MainWindow(settings, qsettings, database_path(), longwit_home())
    window.show()
    notice = log.notice()
    if notice is not None:
        window.banner.show_message(notice, "warning")
    start_when_shown(window)
    return window


def run_window() -> int:
    app = application()
    try:
        window = open_window()
    except StorageError as error:
        log_error(error, "opening the window")
        QMessageBox.critical(None, "Longwit cannot start", str(error))
        return 1
    code = app.exec()
    stop_routing_qt_messages()
    del window
    return code
