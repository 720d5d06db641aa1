"""The Memory view's proposals: what Longwit proposed to remember and waits for a yes or no, one row
each with its text, what it would cost in the prompt, and Accept and Reject buttons (reached with
Tab, each named for the screen reader with the fact it answers)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from desktop.window.controllers.memory_controller import MemoryMeasure, quoted
from desktop.window.dialogs.memory_text import NO_PROPOSALS, proposal_cost
from storage.memory_store import Memory

MAX_HEIGHT = 150  # about four rows; more scroll


class ProposalList(QWidget):
    accepted = Signal(int)  # memory id
    rejected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("memory-proposals")
        self.heading = QLabel(self)
        self.rows = QWidget(self)
        self.rows_layout = QVBoxLayout(self.rows)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.scroll = scroll = QScrollArea(self)
        scroll.setWidget(self.rows)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(scroll)
        self.proposals: list[Memory] = []
        self.buttons: dict[int, tuple[QPushButton, QPushButton]] = {}
        self.costs: dict[int, QLabel] = {}
        self.show_proposals([], None)

    def show_proposals(self, proposals: list[Memory], measured: MemoryMeasure | None) -> None:
        while self.rows_layout.count():
            widget = self.rows_layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.proposals, self.buttons, self.costs = proposals, {}, {}
        waiting = f" ({len(proposals)} waiting)" if proposals else ""
        self.heading.setText(f"<b>Proposed by Longwit</b>{waiting}")
        rows = [self._row(memory, measured) for memory in proposals] or [
            QLabel(NO_PROPOSALS, self.rows)]
        for row in rows:
            self.rows_layout.addWidget(row)
        self.rows_layout.addStretch(1)
        # As tall as the rows (they are not shown yet, so the layout cannot say), up to MAX_HEIGHT.
        spacing = self.rows_layout.spacing() * (len(rows) - 1)
        self.scroll.setFixedHeight(min(MAX_HEIGHT, sum(r.sizeHint().height() for r in rows) + spacing))

    def _row(self, memory: Memory, measured: MemoryMeasure | None) -> QWidget:
        row = QWidget(self.rows)
        text = QLabel(memory.text, row)
        text.setWordWrap(True)
        cost = QLabel(proposal_cost(memory, measured), row)
        accept = QPushButton("Accept", row)
        accept.setAccessibleName(f"Accept the proposal {quoted(memory.text)}")
        reject = QPushButton("Reject", row)
        reject.setAccessibleName(f"Reject the proposal {quoted(memory.text)}")
        for button in (accept, reject):
            button.setAutoDefault(False)
            button.setToolTip(button.accessibleName())
        accept.clicked.connect(lambda _checked=False: self.accepted.emit(memory.id))
        reject.clicked.connect(lambda _checked=False: self.rejected.emit(memory.id))
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(text, 1)
        line.addWidget(cost)
        line.addWidget(accept)
        line.addWidget(reject)
        self.buttons[memory.id] = (accept, reject)
        self.costs[memory.id] = cost
        return row

    def show_costs(self, measured: MemoryMeasure) -> None:
        for memory in self.proposals:
            self.costs[memory.id].setText(proposal_cost(memory, measured))
