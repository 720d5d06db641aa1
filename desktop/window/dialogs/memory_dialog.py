"""The Memory view, in a window of its own (not modal, so the conversation stays usable): the
memories the open conversation's prompt holds (pinned first, then the newest, as the prompt orders
them) with their scope, pin and token cost, the budget line, the ones left out for want of room
marked as such; what can be done with the chosen one (edit it in place, pin or unpin it, forget it
after asking, read its earlier texts); a line to add one, everywhere or in the open conversation;
the proposals waiting, each with Accept and Reject; and the two settings (save proposals without
asking, the budget in tokens).

It shows what the MemoryController reports and asks it for everything; it runs no SQL and counts
no tokens.
"""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.window.controllers.memory_controller import (
    MemoryController,
    MemoryListing,
    MemoryMeasure,
    quoted,
)
from desktop.window.dialogs.memory_list import MemoryList
from desktop.window.dialogs.memory_text import (
    COUNTING,
    EMPTY,
    ROOM_HINT,
    budget_line,
    history_html,
    tokenizer_note,
)
from desktop.window.dialogs.proposal_list import ProposalList
from storage.memory_store import Memory, MemoryVersion

STRETCH = None  # in a row: the space that pushes what follows to the right
GAUGE_WIDTH = 120
WARNING = "#8a6d00"  # the banner's colour for warnings
BUDGET_DELAY_MS = 700  # a pause after the budget's last change before it is saved
MAX_BUDGET = 8192


def row(*parts: QWidget | tuple[QWidget, int] | None) -> QHBoxLayout:
    """Widgets side by side; a (widget, stretch) pair stretches, STRETCH is empty space."""
    line = QHBoxLayout()
    for part in parts:
        if part is None:
            line.addStretch(1)
        elif isinstance(part, tuple):
            line.addWidget(*part)
        else:
            line.addWidget(part)
    return line


def rule(parent: QWidget) -> QFrame:
    line = QFrame(parent)
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


class MemoryDialog(QDialog):
    def __init__(self, controller: MemoryController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("memories")
        self.setWindowTitle("Memories")
        self.setModal(False)
        self.resize(820, 600)
        self.listing: MemoryListing | None = None
        self.measured: MemoryMeasure | None = None
        self.forget_box: QMessageBox | None = None
        self._filling = False
        self._build()
        self._budget_timer = QTimer(self, singleShot=True, interval=BUDGET_DELAY_MS)
        self._budget_timer.timeout.connect(self._save_budget)
        self.tree.itemSelectionChanged.connect(self._chosen_changed)
        self.tree.edited.connect(self._edited)
        self.edit_button.clicked.connect(self.tree.edit_chosen)
        self.pin_button.clicked.connect(self.toggle_pin)
        self.forget_button.clicked.connect(self.ask_forget)
        self.history_button.clicked.connect(self.show_history)
        self.add_text.returnPressed.connect(self.add)
        self.add_text.textChanged.connect(lambda text: self.add_button.setEnabled(bool(text.strip())))
        self.add_button.clicked.connect(self.add)
        self.auto_save.toggled.connect(self._auto_save_chosen)
        self.budget.valueChanged.connect(lambda _value: None if self._filling
                                         else self._budget_timer.start())
        self.budget.editingFinished.connect(self._save_budget)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.tree, self.ask_forget,
                  context=Qt.ShortcutContext.WidgetShortcut)
        self.proposals.accepted.connect(controller.accept)
        self.proposals.rejected.connect(controller.reject)
        controller.listed.connect(self.show_listing)
        controller.measured.connect(self.show_measure)
        controller.measure_failed.connect(self._measure_failed)
        controller.history_read.connect(self._history_read)
        controller.notice.connect(self.show_notice)

    def _build(self) -> None:
        self._build_list()
        self._build_editing()
        self.proposals = ProposalList(self)
        self.auto_save = QCheckBox("Save what Longwit proposes without asking", self)
        self.auto_save.setAccessibleName("Save proposed memories without asking")
        self.budget = QSpinBox(self)
        self.budget.setAccessibleName("Memory budget in tokens")
        self.budget.setRange(0, MAX_BUDGET)
        self.budget.setSingleStep(32)
        self.budget.setSuffix(" tokens")
        self.status = QLabel(self)
        self.status.setObjectName("memory-status")
        self.status.setAccessibleName("Memory status")
        self.status.setWordWrap(True)
        self._lay_out()

    def _build_list(self) -> None:
        """The memories in the prompt, their budget line and gauge, and the empty state."""
        self.budget_label = QLabel(COUNTING, self)
        self.budget_label.setObjectName("memory-budget")
        self.budget_label.setAccessibleName("Memory budget used")
        self.gauge = QProgressBar(self)
        self.gauge.setAccessibleName("Share of the memory budget used")
        self.gauge.setTextVisible(False)
        self.gauge.setFixedWidth(GAUGE_WIDTH)
        self.gauge.setMaximumHeight(10)
        self.tree = MemoryList(self)
        self.empty = QLabel(EMPTY, self)
        self.empty.setObjectName("memory-empty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setMargin(24)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.tree)
        self.stack.addWidget(self.empty)
        self.room_hint = QLabel(ROOM_HINT, self)
        self.room_hint.setObjectName("memory-room")
        self.room_hint.setWordWrap(True)
        self.room_hint.setStyleSheet(f"color: {WARNING};")
        self.room_hint.hide()

    def _build_editing(self) -> None:
        """What can be done with the chosen memory, its history, and the line that adds one."""
        self.edit_button = self._button("&Edit", "Edit the chosen memory (F2)")
        self.pin_button = self._button("&Pin", "Pin the chosen memory: it goes into the prompt first")
        self.forget_button = self._button("&Forget…", "Forget the chosen memory and its history")
        self.history_button = self._button("&History", "Show the chosen memory's earlier texts")
        self.history = QLabel(self)
        self.history.setObjectName("memory-history")
        self.history.setAccessibleName("The chosen memory's earlier texts")
        self.history.setWordWrap(True)
        self.history.setTextFormat(Qt.TextFormat.RichText)
        self.history.hide()
        self.add_text = QLineEdit(self)
        self.add_text.setObjectName("memory-add")
        self.add_text.setPlaceholderText("A fact to remember, such as “I prefer short answers”")
        self.add_text.setAccessibleName("A new memory's text")
        self.add_scope = QComboBox(self)
        self.add_scope.setAccessibleName("Where the new memory applies")
        self.add_scope.addItems(["Everywhere", "This conversation"])
        self.add_button = self._button("&Add", "Remember the new memory")
        self.add_button.setEnabled(False)

    def _lay_out(self) -> None:
        heading = QLabel("<b>In every prompt</b>", self)
        heading.setBuddy(self.tree)
        budget_name = QLabel("Memory &budget:", self)
        budget_name.setBuddy(self.budget)
        add_name = QLabel("&New memory:", self)
        add_name.setBuddy(self.add_text)
        close = self._button("Close", "Close the Memory view")
        close.clicked.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(row(heading, STRETCH, self.budget_label, self.gauge))
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.room_hint)
        layout.addLayout(row(self.edit_button, self.pin_button, self.forget_button,
                             self.history_button, STRETCH))
        layout.addWidget(self.history)
        layout.addLayout(row(add_name, (self.add_text, 1), self.add_scope, self.add_button))
        layout.addWidget(rule(self))
        layout.addWidget(self.proposals)
        layout.addWidget(rule(self))
        layout.addLayout(row(self.auto_save, STRETCH, budget_name, self.budget))
        layout.addLayout(row((self.status, 1), close))

    def _button(self, text: str, name: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(name)
        button.setToolTip(name)
        button.setAutoDefault(False)  # Enter in the add line adds, not the first button
        return button

    def open_memories(self) -> None:
        """Show it, reading the memories as they stand."""
        self.controller.watching = True
        self.controller.refresh()
        self.show()
        self.raise_()
        self.activateWindow()
        self.tree.setFocus()

    def hideEvent(self, event: QHideEvent) -> None:
        self.controller.watching = False
        super().hideEvent(event)

    # What the controller reports -----------------------------------------------------------------

    def show_listing(self, listing: MemoryListing) -> None:
        self.listing, self.measured = listing, None
        self.tree.show_memories(listing.memories)
        self._filling = True
        self.add_scope.model().item(1).setEnabled(listing.conversation_id is not None)
        if listing.conversation_id is None:
            self.add_scope.setCurrentIndex(0)
        self.auto_save.setChecked(listing.settings.auto_save)
        if not self.budget.hasFocus() and not self._budget_timer.isActive():
            self.budget.setValue(listing.settings.budget_tokens)
        self._filling = False
        self.stack.setCurrentWidget(self.tree if listing.memories else self.empty)
        self.budget_label.setText(COUNTING if listing.memories else "")
        self.gauge.setVisible(bool(listing.memories))
        self.gauge.setRange(0, 0)  # busy until counted
        self.room_hint.hide()
        self.proposals.show_proposals(listing.proposals, None)
        self._order_tabs()
        self._chosen_changed()

    def _order_tabs(self) -> None:
        """Tab goes through the proposals' buttons where they are shown (they are made afresh with
        each listing, which would put them last)."""
        chain = [self.add_button, *(b for pair in self.proposals.buttons.values() for b in pair),
                 self.auto_save]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def show_measure(self, measured: MemoryMeasure) -> None:
        self.measured = measured
        self.tree.show_costs(measured)
        count = len(self.tree.memories)
        self.budget_label.setText(budget_line(measured, count) if count else "")
        for widget in (self.budget_label, self.gauge):
            widget.setToolTip(tokenizer_note(measured))
        block = measured.block
        self.gauge.setRange(0, max(1, block.budget))
        self.gauge.setValue(block.budget if block.left_out else min(block.used, block.budget))
        self.room_hint.setVisible(bool(measured.block.left_out))
        self.proposals.show_costs(measured)

    def _measure_failed(self, message: str) -> None:
        self.budget_label.setText("Tokens not counted")
        self.gauge.hide()
        self.show_notice(f"The memories could not be measured: {message}", "warning")

    def show_notice(self, message: str, kind: str) -> None:
        self.status.setText(message)
        self.status.setProperty("kind", kind)

    # The chosen memory ---------------------------------------------------------------------------

    def _chosen_changed(self) -> None:
        memory = self.tree.chosen()
        for button in (self.edit_button, self.pin_button, self.forget_button, self.history_button):
            button.setEnabled(memory is not None)
        pinned = memory is not None and memory.pinned
        self.pin_button.setText("Un&pin" if pinned else "&Pin")
        self.pin_button.setAccessibleName("Unpin the chosen memory" if pinned else
                                          "Pin the chosen memory: it goes into the prompt first")
        if memory is None or self.history.property("memory") != memory.id:
            self.history.hide()

    # What the person asks for --------------------------------------------------------------------

    def _edited(self, memory_id: int, text: str) -> None:
        """A memory's text changed in place: the store keeps the old one in its history."""
        if text:
            self.controller.edit(memory_id, text)
            return
        self.tree.put_back(memory_id)
        self.show_notice("A memory needs some text; to delete one, use Forget.", "warning")

    def toggle_pin(self) -> None:
        memory = self.tree.chosen()
        if memory is not None:
            self.controller.pin(memory.id, not memory.pinned)

    def ask_forget(self) -> None:
        """Ask first: forgetting deletes the memory and its earlier texts."""
        memory = self.tree.chosen()
        if memory is None:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Forget memory",
                          f"Forget {quoted(memory.text)}?", QMessageBox.StandardButton.Cancel, self)
        box.setInformativeText("It leaves every prompt, and its earlier texts are deleted with it.")
        forget = box.addButton("Forget", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(lambda button: self.controller.forget(memory.id)
                                  if button is forget else None)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.forget_box = box
        box.open()

    def show_history(self) -> None:
        memory_id = self.tree.chosen_id()
        if memory_id is not None:
            self.controller.history(memory_id)

    def _history_read(self, memory: Memory, versions: list[MemoryVersion]) -> None:
        if memory.id != self.tree.chosen_id():
            return
        self.history.setProperty("memory", memory.id)
        self.history.setText(history_html(memory, versions))
        self.history.show()

    def add(self) -> None:
        text = self.add_text.text().strip()
        if not text:
            return
        self.controller.add(text, this_conversation=self.add_scope.currentIndex() == 1)
        self.add_text.clear()

    def _auto_save_chosen(self, on: bool) -> None:
        if not self._filling:
            self.controller.change_settings(auto_save=on)

    def _save_budget(self) -> None:
        self._budget_timer.stop()
        if self.listing is not None and self.budget.value() != self.listing.settings.budget_tokens:
            self.controller.change_settings(budget_tokens=self.budget.value())
