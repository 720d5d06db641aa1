"""Themes: forced light and dark give matching palettes; "system" follows the OS scheme as it changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QWidget

from desktop.window.theme import apply_theme, current_theme

WINDOW = QPalette.ColorRole.Window
TEXT = QPalette.ColorRole.WindowText


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    """The test application, put back to the system theme afterwards for the tests that follow."""
    yield qapp
    apply_theme(qapp, "system")


def window_lightness(app: QApplication, qtbot) -> tuple[int, int]:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget.palette().color(WINDOW).lightness(), app.palette().color(TEXT).lightness()


def test_dark_gives_a_dark_window_with_light_text(app, qtbot) -> None:
    apply_theme(app, "dark")
    window, text = window_lightness(app, qtbot)
    assert window < 80 and text > 180
    assert app.style().name().lower() == "fusion"
    assert current_theme(app) == "dark"


def test_light_gives_a_light_window_with_dark_text(app, qtbot) -> None:
    apply_theme(app, "dark")
    apply_theme(app, "light")
    window, text = window_lightness(app, qtbot)
    assert window > 200 and text < 80


def test_system_follows_the_color_scheme_as_it_changes(app, qtbot) -> None:
    apply_theme(app, "system")
    hints = app.styleHints()
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # what the OS does when it turns dark
    assert window_lightness(app, qtbot)[0] < 80
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert window_lightness(app, qtbot)[0] > 200


def test_forced_theme_ignores_the_system(app, qtbot) -> None:
    apply_theme(app, "light")
    app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert window_lightness(app, qtbot)[0] > 200


def test_unknown_theme_counts_as_system(app) -> None:
    apply_theme(app, "purple")
    assert current_theme(app) == "system"
