"""The strip shown while a voice call runs: the microphone's level, what the call is doing, the last
thing each side said, and Mute and Hang up. It only shows what the VoiceController signals and hands
the two buttons back to it."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from desktop.window.controllers.voice_controller import (
    LISTENING,
    SPEAKING,
    STARTING,
    STOPPED,
    THINKING,
    VoiceController,
)
from desktop.window.icons import themed

STATE_TEXT = {
    STARTING: "Starting the call…",
    LISTENING: "Listening",
    THINKING: "Thinking…",
    SPEAKING: "Speaking — talk to interrupt",
    STOPPED: "Call ended",
}
CAPTION_CHARS = 240  # a long answer shows its latest words, not a growing wall of text


def caption(who: str, text: str) -> str:
    if len(text) > CAPTION_CHARS:
        text = "…" + text[-CAPTION_CHARS:].split(" ", 1)[-1]
    return f"{who}: {text}" if text else f"{who}: …"


class VoicePanel(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("voicePanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.meter = QProgressBar(self)
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.meter.setFixedSize(110, 10)
        self.meter.setToolTip("Microphone level")
        self.state = QLabel(STATE_TEXT[STOPPED], self)
        self.you = QLabel(caption("You", ""), self)
        self.longwit = QLabel(caption("Longwit", ""), self)
        for label in (self.you, self.longwit):
            label.setWordWrap(True)
        self.meter.setAccessibleName("Microphone level")
        self.mute = themed(QPushButton("Mute", self), "mute")
        self.mute.setCheckable(True)
        self.mute.setToolTip("Stop sending the microphone to the call")
        self.hang_up = themed(QPushButton("Hang up", self), "hang-up")
        self.hang_up.setToolTip("End the call (Ctrl+Shift+V)")
        top = QHBoxLayout()
        top.addWidget(self.meter)
        top.addWidget(self.state, 1)
        top.addWidget(self.mute)
        top.addWidget(self.hang_up)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.you)
        layout.addWidget(self.longwit)
        self.hide()

    def connect_to(self, voice: VoiceController) -> None:
        voice.state_changed.connect(self.show_state)
        voice.level_changed.connect(self.show_level)
        voice.user_said.connect(lambda text: self.you.setText(caption("You", text)))
        voice.assistant_said.connect(lambda text: self.longwit.setText(caption("Longwit", text)))
        voice.muted_changed.connect(self.show_muted)
        self.mute.toggled.connect(voice.set_muted)
        self.hang_up.clicked.connect(voice.hang_up)

    def show_state(self, state: str) -> None:
        self.state.setText(STATE_TEXT.get(state, state))
        if state == STARTING:
            self.you.setText(caption("You", ""))
            self.longwit.setText(caption("Longwit", ""))
        self.setVisible(state != STOPPED)

    def show_level(self, level: float) -> None:
        self.meter.setValue(round(level * 100))

    def show_muted(self, muted: bool) -> None:
        self.mute.setChecked(muted)
        self.mute.setText("Unmute" if muted else "Mute")
        themed(self.mute, "microphone" if muted else "mute")
        self.meter.setEnabled(not muted)
