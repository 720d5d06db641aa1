"""The window's chrome: a calm palette with one accent colour for the forced themes, and a small
application style sheet (buttons, text fields, the conversation list, splitters, progress bars,
the document chips and the pills) whose colours are worked out from whatever palette is in force, so
"system", light and dark all get the same shapes: padding, rounded corners, visible focus rings.

Sizes are in pixels only for borders, radii and padding; fonts are never sized here, so the person's
font size and scaling stay in charge of the text. The message view is left to its own module.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

Role = QPalette.ColorRole
Group = QPalette.ColorGroup

# The forced themes' palettes, over theme.py's base ones: soft greys and an indigo accent.
CALM_LIGHT = {
    Role.Window: "#f5f6f8", Role.WindowText: "#1f2329", Role.Base: "#ffffff",
    Role.AlternateBase: "#f0f2f5", Role.Text: "#1f2329", Role.Button: "#ffffff",
    Role.ButtonText: "#1f2329", Role.PlaceholderText: "#7d838c", Role.Light: "#ffffff",
    Role.Midlight: "#eceef2", Role.Mid: "#d3d7de", Role.Dark: "#a9afb9", Role.Shadow: "#868c96",
    Role.Highlight: "#3e63dd", Role.HighlightedText: "#ffffff", Role.Link: "#3451b2",
    Role.ToolTipBase: "#1f2329", Role.ToolTipText: "#f5f6f8",
}
CALM_DARK = {
    Role.Window: "#1b1c20", Role.WindowText: "#e4e6ea", Role.Base: "#141518",
    Role.AlternateBase: "#1f2025", Role.Text: "#e4e6ea", Role.Button: "#25272d",
    Role.ButtonText: "#e4e6ea", Role.PlaceholderText: "#868b94", Role.Light: "#3a3d44",
    Role.Midlight: "#2c2e34", Role.Mid: "#34373e", Role.Dark: "#111214", Role.Shadow: "#0a0a0c",
    Role.Highlight: "#4c6ef5", Role.HighlightedText: "#ffffff", Role.Link: "#91a7ff",
    Role.ToolTipBase: "#2c2e34", Role.ToolTipText: "#e4e6ea",
}
# The two modes of the documents pill: green when the model reads them whole, amber for passages.
MODE_HUES = {"full": "#2f9e44", "passages": "#e8890c"}


def tint_palette(palette: QPalette, scheme: str) -> None:
    """Lay the calm colours over a forced theme's palette."""
    for role, color in (CALM_DARK if scheme == "dark" else CALM_LIGHT).items():
        palette.setColor(Group.Active, role, QColor(color))
        palette.setColor(Group.Inactive, role, QColor(color))
        if role not in (Role.WindowText, Role.Text, Role.ButtonText):
            palette.setColor(Group.Disabled, role, QColor(color))


def mix(a: QColor, b: QColor, share_of_b: float) -> str:
    """`a` moved `share_of_b` of the way towards `b`, as #rrggbb."""
    t = max(0.0, min(1.0, share_of_b))
    return QColor(round(a.red() + (b.red() - a.red()) * t), round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t)).name()


def chrome_colors(palette: QPalette) -> dict[str, str]:
    """The style sheet's colours, named by use, from the palette in force."""
    window, base = palette.color(Role.Window), palette.color(Role.Base)
    text, accent = palette.color(Role.WindowText), palette.color(Role.Highlight)
    dark = window.lightness() < 128
    return {
        "window": window.name(), "base": base.name(), "text": text.name(),
        "button": palette.color(Role.Button).name(), "button_text": palette.color(Role.ButtonText).name(),
        "muted": mix(text, window, 0.4),
        "border": mix(window, text, 0.22 if dark else 0.16),
        "hover": mix(palette.color(Role.Button), text, 0.08),
        "pressed": mix(palette.color(Role.Button), text, 0.16),
        "sidebar": mix(window, text, 0.03) if dark else mix(window, text, 0.025),
        "accent": accent.name(), "on_accent": palette.color(Role.HighlightedText).name(),
        "accent_hover": mix(accent, text if dark else QColor("#000000"), 0.12),
        "accent_soft": mix(base, accent, 0.28 if dark else 0.14),
        "track": mix(base, text, 0.1),
        "disabled": palette.color(Group.Disabled, Role.ButtonText).name(),
        "full_bg": mix(base, QColor(MODE_HUES["full"]), 0.22 if dark else 0.14),
        "full_fg": mix(QColor(MODE_HUES["full"]), text, 0.35 if dark else 0.3),
        "passages_bg": mix(base, QColor(MODE_HUES["passages"]), 0.22 if dark else 0.16),
        "passages_fg": mix(QColor(MODE_HUES["passages"]), text, 0.35 if dark else 0.4),
    }


STYLE_SHEET = """
QPushButton {{ padding: 5px 12px; border: 1px solid {border}; border-radius: 7px;
    background: {button}; color: {button_text}; }}
QPushButton:hover {{ background: {hover}; }}
QPushButton:pressed, QPushButton:checked {{ background: {pressed}; }}
QPushButton:focus {{ border: 2px solid {accent}; padding: 4px 11px; }}
QPushButton:disabled {{ color: {disabled}; }}
QPushButton:flat {{ border: 1px solid transparent; background: transparent; }}
QPushButton:flat:hover {{ background: {hover}; }}
QPushButton:flat:focus {{ border: 2px solid {accent}; }}
QPushButton#send {{ background: {accent}; color: {on_accent}; border: 1px solid {accent}; }}
QPushButton#send:hover {{ background: {accent_hover}; }}
QPushButton#send:focus {{ border: 2px solid {text}; padding: 4px 11px; }}
QToolButton {{ border: 1px solid transparent; border-radius: 7px; padding: 4px; }}
QToolButton:hover {{ background: {hover}; border-color: {border}; }}
QToolButton:checked {{ background: {accent_soft}; border-color: {accent}; }}
QToolButton:focus {{ border: 2px solid {accent}; padding: 3px; }}
QLineEdit {{ border: 1px solid {border}; border-radius: 7px; padding: 5px 8px; background: {base}; }}
QLineEdit:focus {{ border: 2px solid {accent}; padding: 4px 7px; }}
QPlainTextEdit#composer {{ border: 1px solid {border}; border-radius: 10px; padding: 6px 8px;
    background: {base}; }}
QPlainTextEdit#composer:focus {{ border: 2px solid {accent}; padding: 5px 7px; }}
QWidget#sidebar {{ background: {sidebar}; }}
QListView#conversations {{ border: 2px solid transparent; border-radius: 8px; background: {sidebar};
    padding: 2px; }}
QListView#conversations:focus {{ border-color: {accent}; }}
QSplitter::handle {{ background: transparent; }}
QSplitter::handle:hover {{ background: {accent_soft}; }}
QSplitter::handle:horizontal {{ width: 6px; }}
QSplitter::handle:vertical {{ height: 6px; }}
QProgressBar {{ border: none; border-radius: 5px; background: {track}; text-align: center;
    color: {text}; }}
QProgressBar::chunk {{ border-radius: 5px; background: {accent}; }}
QFrame#document-chip {{ border: 1px solid {border}; border-radius: 9px; background: {base}; }}
QFrame#document-chip:focus {{ border: 2px solid {accent}; }}
QLabel#chip-meta, QLabel#chip-type {{ color: {muted}; }}
QScrollArea#chip-row QScrollBar:horizontal {{ height: 6px; border: none; background: transparent; }}
QScrollArea#chip-row QScrollBar::handle:horizontal {{ background: {border}; border-radius: 3px;
    min-width: 24px; }}
QScrollArea#chip-row QScrollBar::add-line:horizontal, QScrollArea#chip-row QScrollBar::sub-line:horizontal {{
    width: 0; border: none; background: none; }}
QScrollArea#chip-row QScrollBar::add-page:horizontal, QScrollArea#chip-row QScrollBar::sub-page:horizontal {{
    background: none; }}
QLabel#mode-pill {{ border-radius: 11px; padding: 3px 10px; }}
QLabel#mode-pill[mode="full"] {{ background: {full_bg}; color: {full_fg}; }}
QLabel#mode-pill[mode="passages"] {{ background: {passages_bg}; color: {passages_fg}; }}
QFrame#model-pill {{ border: 1px solid {border}; border-radius: 14px; background: {base}; }}
QFrame#model-pill QLabel {{ padding: 0 2px; }}
QLabel#model-name {{ font-weight: 600; }}
QLabel#model-detail, QLabel#gauge-text {{ color: {muted}; }}
QToolTip {{ border: 1px solid {border}; padding: 4px 6px; }}
"""


def style_sheet(palette: QPalette) -> str:
    """The application style sheet for this palette."""
    return STYLE_SHEET.format(**chrome_colors(palette))
