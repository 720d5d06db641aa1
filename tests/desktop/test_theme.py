"""Themes: forced light and dark give matching palettes; "system" follows the OS scheme as it changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from desktop.window.chrome_style import CALM_DARK, CALM_LIGHT
from desktop.window.icons import icon, themed
from desktop.window.theme import apply_theme, current_theme

WINDOW = QPalette.ColorRole.Window
TEXT = QPalette.ColorRole.WindowText
ACCENT = QPalette.ColorRole.Highlight


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    """The test application, put back to the system theme afterwards for the tests that follow."""
    yield qapp
    apply_theme(qapp, "system")


def window_lightness(app: QApplication, qtbot) -> tuple[int, int]:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget.palette().color(WINDOW).lightness(), app.palette().color(TEXT).lightness()


def base_style_name(app: QApplication) -> str:
    """The style under the chrome's style sheet (with a sheet set, Qt's style() is the sheet's own)."""
    sheet = app.styleSheet()
    app.setStyleSheet("")
    name = app.style().name().lower()
    app.setStyleSheet(sheet)
    return name


def test_dark_gives_a_dark_window_with_light_text(app, qtbot) -> None:
    apply_theme(app, "dark")
    window, text = window_lightness(app, qtbot)
    assert window < 80 and text > 180
    assert base_style_name(app) == "fusion"
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



def icon_colours(shown: QIcon | None = None) -> set[str]:
    """The colours an icon (by default the Send icon as it would be made now) is drawn in."""
    image = (shown or icon("send")).pixmap(24, 24).toImage()
    return {image.pixelColor(x, y).name() for x in range(24) for y in range(24)
            if image.pixelColor(x, y).alpha() == 255}  # the glyph's body, not its smoothed edge


def test_both_themes_apply_the_chrome_and_icons_follow_the_text(app) -> None:
    for scheme, calm in (("light", CALM_LIGHT), ("dark", CALM_DARK)):
        apply_theme(app, scheme)
        sheet = app.styleSheet()
        assert "QPushButton:focus" in sheet and "QLabel#mode-pill" in sheet and calm[ACCENT] in sheet
        assert "font-size" not in sheet, "the person's font size stays in charge"
        assert icon_colours() == {calm[QPalette.ColorRole.ButtonText]}


def test_a_button_s_icon_is_drawn_again_in_each_theme(app, qtbot) -> None:
    button = themed(QPushButton("Send"), "send")
    qtbot.addWidget(button)
    for scheme, calm in (("light", CALM_LIGHT), ("dark", CALM_DARK), ("light", CALM_LIGHT)):
        apply_theme(app, scheme)
        assert icon_colours(button.icon()) == {calm[QPalette.ColorRole.ButtonText]}


def test_following_the_system_restyles_the_chrome(app) -> None:
    apply_theme(app, "system")
    app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert CALM_DARK[ACCENT] in app.styleSheet()
    assert icon_colours() == {CALM_DARK[QPalette.ColorRole.ButtonText]}
