"""What the window wears around its parts: the top bar (the model's pill in the middle, the voice
call's toggle at the right), icons on the menus' entries, names for screen readers where Qt gives
none, and the keyboard's path through the window: the conversation list, the conversation, the
composer and its buttons, the documents, then the top bar.

It only arranges widgets the window already made; nothing here reads or writes anything.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QToolButton, QWidget

from desktop.window.icons import themed

if TYPE_CHECKING:
    from desktop.window.main_window import MainWindow

# A menu entry's name → its icon (icons.GLYPHS).
ACTION_ICONS = {
    "New conversation": "new-conversation", "Add documents…": "add-documents",
    "Open GGUF model…": "open-model", "Export conversation…": "export",
    "Import conversation…": "import", "Quit": "quit", "Stop answer": "stop",
    "Regenerate answer": "regenerate", "Edit last message": "rename",
    "Search conversations": "search", "Rename conversation": "rename",
    "Deliberate answers": "deliberate", "Choose model…": "model",
    "Measure compression of a document…": "compression", "Settings…": "settings",
    "Keyboard shortcuts": "shortcuts", "Voice call": "voice-call",
}


def top_bar(window: MainWindow) -> tuple[QWidget, QToolButton]:
    """The model's pill, centred as in other local-model apps, and the voice call's toggle."""
    bar = QWidget(window)
    bar.setObjectName("top-bar")
    voice = window.actions_by_name["Voice call"]
    voice.setToolTip("Start or end a voice call (Ctrl+Shift+V)")
    voice_button = QToolButton(bar)
    voice_button.setObjectName("voice-call")
    voice_button.setDefaultAction(voice)
    voice_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    voice_button.setAccessibleName("Voice call")
    layout = QHBoxLayout(bar)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addStretch(1)
    layout.addWidget(window.model_status)
    layout.addStretch(1)
    layout.addWidget(voice_button)
    return bar, voice_button


def name_line_edit_buttons(line_edit: QLineEdit, clear_name: str) -> None:
    """Qt's own buttons inside a line edit (the clear button, an icon) come without names."""
    for button in line_edit.findChildren(QToolButton):
        action = button.defaultAction()
        if action is not None and not action.text():
            button.setAccessibleName(clear_name if action.objectName().endswith("clearaction")
                                     else line_edit.accessibleName())


def install_chrome(window: MainWindow) -> QToolButton:
    """Add the top bar above the panes, icons to the menus, names and the focus order; returns the
    voice call's button."""
    for name, glyph in ACTION_ICONS.items():
        action = window.actions_by_name.get(name)
        if action is not None:
            themed(action, glyph)
    bar, voice_button = top_bar(window)
    layout = window.centralWidget().layout()
    layout.insertWidget(layout.indexOf(window.splitter), bar)
    window.model_status.choose_requested.connect(window.models.choose_model)
    name_line_edit_buttons(window.sidebar.search, "Clear the search")
    more = window.menuBar().findChild(QToolButton, "qt_menubar_ext_button")
    if more is not None:  # shown when the menus do not fit the window's width
        more.setAccessibleName("More menus")
    set_focus_order(window, voice_button)
    window.pane.composer.box.setFocus()  # where a person starts: typing
    return voice_button


def set_focus_order(window: MainWindow, voice_button: QToolButton) -> None:
    """Tab goes list → conversation → composer → its buttons → documents → top bar (the document
    chips slot in after the documents' buttons as they are shown)."""
    pane, sidebar = window.pane, window.sidebar
    chain = [sidebar.new_button, sidebar.search, sidebar.items, pane.view, pane.composer.box,
             pane.composer.action, pane.composer.again, pane.document_panel.add_button,
             pane.document_panel.measure_button, pane.voice_panel.mute, pane.voice_panel.hang_up,
             window.model_status.choose, voice_button]
    for first, second in pairwise(chain):
        QWidget.setTabOrder(first, second)
