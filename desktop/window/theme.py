"""Light and dark themes: follow the system, or force one.

"system" keeps the platform's own style and palette and follows the OS as it switches between light
and dark (Qt ≥ 6.5 reports the scheme and signals changes). Where the platform style has no dark
palette of its own (Linux without a desktop theme, the older Windows style), a dark system gets the
Fusion style with the dark palette below, the same as forcing "dark". Forcing a theme uses Fusion
with an explicit palette on every platform, because native styles ignore palettes in places, and
also tells Qt the scheme (QStyleHints.setColorScheme, Qt ≥ 6.8) so title bars and native dialogs match
where the platform allows it.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from desktop.window import chrome_style
from desktop.window.icons import refresh_icons

THEMES = ("system", "light", "dark")

Role = QPalette.ColorRole
Group = QPalette.ColorGroup

DARK_COLORS = {
    Role.Window: "#2d2d30", Role.WindowText: "#e8e8e8", Role.Base: "#1e1e1e",
    Role.AlternateBase: "#2a2a2d", Role.ToolTipBase: "#3c3c40", Role.ToolTipText: "#e8e8e8",
    Role.PlaceholderText: "#8a8a8a", Role.Text: "#e8e8e8", Role.Button: "#37373b",
    Role.ButtonText: "#e8e8e8", Role.BrightText: "#ff6b6b", Role.Light: "#505055",
    Role.Midlight: "#424246", Role.Mid: "#2a2a2d", Role.Dark: "#1b1b1d", Role.Shadow: "#0d0d0e",
    Role.Highlight: "#2f7fd1", Role.HighlightedText: "#ffffff", Role.Link: "#6cb6ff",
    Role.LinkVisited: "#b58cff",
}
LIGHT_COLORS = {
    Role.Window: "#efefef", Role.WindowText: "#1a1a1a", Role.Base: "#ffffff",
    Role.AlternateBase: "#f5f5f5", Role.ToolTipBase: "#ffffdc", Role.ToolTipText: "#1a1a1a",
    Role.PlaceholderText: "#7a7a7a", Role.Text: "#1a1a1a", Role.Button: "#efefef",
    Role.ButtonText: "#1a1a1a", Role.BrightText: "#ffffff", Role.Light: "#ffffff",
    Role.Midlight: "#f7f7f7", Role.Mid: "#b8b8b8", Role.Dark: "#9f9f9f", Role.Shadow: "#767676",
    Role.Highlight: "#308cc6", Role.HighlightedText: "#ffffff", Role.Link: "#0b57d0",
    Role.LinkVisited: "#7b3fb8",
}
DISABLED_TEXT = {"dark": "#7a7a7a", "light": "#a0a0a0"}


def palette_for(scheme: str) -> QPalette:
    """The explicit palette for "light" or "dark"."""
    palette = QPalette()
    for role, color in (DARK_COLORS if scheme == "dark" else LIGHT_COLORS).items():
        palette.setColor(role, QColor(color))
    for role in (Role.WindowText, Role.Text, Role.ButtonText):
        palette.setColor(Group.Disabled, role, QColor(DISABLED_TEXT[scheme]))
    chrome_style.tint_palette(palette, scheme)
    return palette


@dataclass
class ThemeState:
    """What apply_theme remembers per application."""

    theme: str  # the theme last applied, read when the OS scheme changes
    native_style: str  # the platform's style, to go back to for "system"


_states: weakref.WeakKeyDictionary[QApplication, ThemeState] = weakref.WeakKeyDictionary()


def is_dark(palette: QPalette) -> bool:
    return palette.color(Role.Window).lightness() < 128


def system_scheme(app: QApplication) -> Qt.ColorScheme:
    return app.styleHints().colorScheme()


def apply_theme(app: QApplication, theme: str) -> None:
    """Apply "system", "light" or "dark" (anything else counts as "system") to the whole app."""
    theme = theme if theme in THEMES else "system"
    hints = app.styleHints()
    state = _states.get(app)
    if state is None:  # first call for this application: remember its style, follow the OS from now on
        state = _states[app] = ThemeState(theme, app.style().name())
        hints.colorSchemeChanged.connect(lambda scheme: _system_scheme_changed(app, scheme))
    state.theme = theme
    if hasattr(hints, "setColorScheme"):  # Qt 6.8: ask the platform for this scheme (or its own)
        requested = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}
        hints.setColorScheme(requested.get(theme, Qt.ColorScheme.Unknown))
    if theme == "system":
        _follow_system(app, system_scheme(app))
    else:
        _force(app, theme)
    apply_chrome(app)


def _force(app: QApplication, scheme: str) -> None:
    app.setStyle("Fusion")
    app.setPalette(palette_for(scheme))


def _follow_system(app: QApplication, scheme: Qt.ColorScheme) -> None:
    native = _states[app].native_style
    if app.style().name().lower() != native.lower():
        app.setStyle(native)
    # An empty palette resolves to the platform's own (or the style's standard one) in full.
    app.setPalette(QPalette())
    wants_dark = scheme == Qt.ColorScheme.Dark
    if wants_dark != is_dark(app.palette()) and scheme != Qt.ColorScheme.Unknown:
        _force(app, "dark" if wants_dark else "light")  # the platform style has no palette for it


def _system_scheme_changed(app: QApplication, scheme: Qt.ColorScheme) -> None:
    state = _states.get(app)
    if state is not None and state.theme == "system":
        _follow_system(app, scheme)
        apply_chrome(app)


def apply_chrome(app: QApplication) -> None:
    """The window chrome's style sheet and icons, in the colours of the palette just applied."""
    app.setStyleSheet(chrome_style.style_sheet(app.palette()))
    refresh_icons()


def current_theme(app: QApplication) -> str:
    """The theme last applied ("system" if none was)."""
    state = _states.get(app)
    return state.theme if state is not None else "system"
