"""The shortcuts dialog lists each action with its key in the platform's own notation."""

from __future__ import annotations

import sys

from PySide6.QtGui import QKeySequence

from desktop.window.dialogs.shortcuts_dialog import NO_SHORTCUT, ShortcutsDialog

NATIVE = QKeySequence.SequenceFormat.NativeText


def test_lists_actions_with_native_key_text(qtbot) -> None:
    dialog = ShortcutsDialog([
        ("New conversation", "Ctrl+N"),
        ("Voice mode", QKeySequence("Ctrl+Shift+V")),
        ("Copy", QKeySequence.StandardKey.Copy),
        ("Nothing here", QKeySequence.StandardKey.UnknownKey),
    ])
    qtbot.addWidget(dialog)
    rows = dialog.rows()
    assert [action for action, _ in rows] == ["New conversation", "Voice mode", "Copy", "Nothing here"]
    assert rows[0][1] == QKeySequence("Ctrl+N").toString(NATIVE)
    if sys.platform != "darwin":  # macOS writes ⌘N
        assert rows[0][1] == "Ctrl+N" and rows[1][1] == "Ctrl+Shift+V"
    copy_bindings = QKeySequence.keyBindings(QKeySequence.StandardKey.Copy)
    copy_keys = [sequence.toString(NATIVE) for sequence in copy_bindings]
    assert rows[2][1] == ", ".join(copy_keys) and copy_keys
    assert rows[3][1] == NO_SHORTCUT
    assert dialog.table.editTriggers() == dialog.table.EditTrigger.NoEditTriggers
