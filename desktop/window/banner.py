"""Messages that never block: a bar across the top of the window saying what happened and what to
do, with at most one action ("Undo", "Open settings") and a close button. Errors never become
modal dialogs or crashes."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from desktop.window.icons import themed

KIND_COLOURS = {"error": "#b3261e", "warning": "#8a6d00", "info": "#1f5fa8"}


class Banner(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.action = QPushButton(self)
        self.action.setAccessibleName("Act on the message")  # named after the action once shown
        self.close_button = themed(QPushButton(self), "remove")
        self.close_button.setFlat(True)
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAccessibleName("Dismiss")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.action)
        layout.addWidget(self.close_button)
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._expire)
        self._on_action: Callable[[], None] | None = None
        self._on_expire: Callable[[], None] | None = None
        self.kind = ""
        self.action.clicked.connect(self._act)
        self.close_button.clicked.connect(self.dismiss)
        self.hide()

    def show_message(self, message: str, kind: str = "error", action: str | None = None,
                     on_action: Callable[[], None] | None = None, timeout_ms: int = 0,
                     on_expire: Callable[[], None] | None = None) -> None:
        """Show `message`; a message already showing is settled first (its expiry runs)."""
        self._settle()
        self.kind = kind
        self.text.setText(message)
        colour = KIND_COLOURS.get(kind, KIND_COLOURS["info"])
        self.setStyleSheet(f"#banner {{ border-left: 4px solid {colour}; }} QLabel {{ color: {colour}; }}")
        self.setAutoFillBackground(True)
        self.action.setVisible(action is not None)
        self.action.setText(action or "")
        self.action.setAccessibleName(action or "")
        self._on_action, self._on_expire = on_action, on_expire
        if timeout_ms:
            self._timer.start(timeout_ms)
        self.show()

    def message(self) -> str:
        return self.text.text() if self.isVisible() else ""

    def dismiss(self) -> None:
        self._settle()
        self.hide()

    def _act(self) -> None:
        action, self._on_action, self._on_expire = self._on_action, None, None
        self._timer.stop()
        self.hide()
        if action is not None:
            action()

    def _expire(self) -> None:
        self.dismiss()

    def _settle(self) -> None:
        """A message with an expiry (a deletion waiting for undo) completes when it is replaced."""
        self._timer.stop()
        expire, self._on_expire, self._on_action = self._on_expire, None, None
        if expire is not None:
            expire()
