"""The window: conversations on the left, the open conversation in the middle, a banner for what
went wrong, menus and shortcuts for everything frequent, and files dropped anywhere on it.

It wires widgets to controllers and remembers its geometry; reading, answering and loading happen
in the controllers, off the GUI thread, and so does every SQL statement (`DatabaseThread`). Closing
it joins every thread it started, each owner with a bounded wait.
"""

from __future__ import annotations

import contextlib
import gc
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.diagnostics.log_file import LogOptions, set_debug
from desktop.window.app_settings import AppSettings, save_settings
from desktop.window.background import TaskRunner
from desktop.window.banner import Banner
from desktop.window.chat_pane import ChatPane
from desktop.window.controllers.chat_controller import ChatController
from desktop.window.controllers.compression_controller import CompressionController
from desktop.window.controllers.conversation_controller import ConversationController
from desktop.window.controllers.document_controller import DocumentController
from desktop.window.controllers.library_controller import LibraryController
from desktop.window.controllers.memory_controller import (
    MemoryController,
    proposals_line,
    waiting_line,
)
from desktop.window.controllers.shared_audio import CALL, SharedAudio
from desktop.window.controllers.transfer_controller import (
    TransferController,
    ask_export_target,
    ask_import_path,
    export_notice,
    import_notice,
)
from desktop.window.controllers.voice_controller import STOPPED, VoiceController
from desktop.window.conversation_list import ConversationList
from desktop.window.database_thread import DatabaseThread
from desktop.window.dialogs.library_dialog import LibraryDialog
from desktop.window.dialogs.memory_dialog import MemoryDialog
from desktop.window.dialogs.settings_dialog import SettingsDialog
from desktop.window.dialogs.shortcuts_dialog import ShortcutsDialog
from desktop.window.dictation_and_reading import DICTATE, READ_LAST, DictationAndReading
from desktop.window.model_choice import ModelChoice
from desktop.window.model_status import ModelStatus
from desktop.window.source_views import SourceViews
from desktop.window.theme import apply_theme
from desktop.window.window_chrome import install_chrome
from media.speech_to_text import parse_tokenizer_ahead
from storage import ConversationStore
from storage.conversation_import import ImportedConversation
from storage.memory_store import Saved

UNDO_MS = 8000  # how long a deleted conversation can be brought back
COPIED_MS = 3000  # how long the status bar says something was copied
MODEL_SUFFIX = ".gguf"


def prepare_speech(settings: AppSettings) -> None:
    """Parse the speech model's tokenizer now, before the event loop runs: parsed later, on a call's
    starting thread, it would hold the GIL and stall the window for 70–90 ms (bench ui)."""
    with contextlib.suppress(Exception):  # a missing model is reported when a call starts
        parse_tokenizer_ahead(settings.speech_options())


class MainWindow(QMainWindow):
    def __init__(self, settings: AppSettings, qsettings: QSettings, database: Path, home: Path) -> None:
        super().__init__()
        self.setWindowTitle("Longwit")
        self.setAcceptDrops(True)
        self.settings, self.qsettings = settings, qsettings
        self.database, self.home = database, home
        self.db_thread = DatabaseThread(database, self)  # the window's only connection
        prepare_speech(settings)
        self.runner = TaskRunner(self)
        self.dialog_runners: list[TaskRunner] = []  # dialogs' own tasks, joined when the window closes
        self.conversations = ConversationController(self.db_thread, self)
        self.chat = ChatController(database, home, self.db_thread, self)
        self.audio = SharedAudio(parent=self)  # a call, dictation and reading aloud open sound through it
        self.voice = VoiceController(self.chat.host, database, self.audio, parent=self)
        self.chat.system_prompt = settings.system_prompt
        self.chat.options = settings.generation_options()
        self.chat.model_sampling = settings.model_sampling
        self.documents = DocumentController(database, self.runner, self)
        self.transfer = TransferController(database, self.runner, self)
        self.compression = CompressionController(database, self.chat.host, self.runner, parent=self)
        self.library = LibraryController(database, self.db_thread, self.runner, home / "states", self)
        self.library.guard = self._library_must_wait
        self.library_view: LibraryDialog | None = None
        self.memory = MemoryController(self.db_thread, self.chat.host, self.runner, home / "models", self)
        self.memory.model = settings.model
        self.memory_view: MemoryDialog | None = None
        self.banner = Banner(self)
        self.sidebar = ConversationList(self)
        self.pane = ChatPane(self.db_thread, self.chat, self.documents, self)
        self.settings_dialog: SettingsDialog | None = None
        self.model_status = ModelStatus(self)  # a pill in the top bar (window_chrome)
        self.models = ModelChoice(self)
        self.sources = SourceViews(self)
        self.speech = DictationAndReading(self)
        self.dictation, self.reading = self.speech.dictation, self.speech.reading
        self._build_layout()
        self.actions_by_name: dict[str, QAction] = {}
        self._build_menus()
        self.voice_button = install_chrome(self)
        self._connect()
        self._restore_state()
        self.refresh_sidebar()
        self.library.list_folders(scan=True)  # what came while the window was closed, then watch
        self.memory.count_waiting(lambda count: self._offer_review(waiting_line(count)) if count
                                  else None)
        self.closed_cleanly: bool | None = None

    # Building ----------------------------------------------------------------------------------

    def _build_layout(self) -> None:
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.pane)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 740])
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

    def _action(self, menu, name: str, slot, shortcut=None) -> QAction:
        action = QAction(name, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        # `triggered` hands a slot its `checked` flag; a slot with an optional first argument
        # (choose_model's path) would take False for it.
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self.addAction(action)  # shortcuts work wherever the focus is
        self.actions_by_name[name] = action
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "New conversation", self.new_conversation, QKeySequence.StandardKey.New)
        self._action(file, "Add documents…", self.choose_documents, "Ctrl+O")
        self._action(file, "Open GGUF model…", self.models.choose_model_file, "Ctrl+Shift+O")
        self._action(file, "Document library…", self.open_library, "Ctrl+Shift+L")
        file.addSeparator()
        self._action(file, "Export conversation…", self.export_conversation)
        self._action(file, "Import conversation…", self.import_conversation)
        file.addSeparator()
        self._action(file, "Quit", self.close, QKeySequence.StandardKey.Quit)
        chat = bar.addMenu("&Conversation")
        self._action(chat, "Stop answer", self.stop, "Esc")
        self._action(chat, "Regenerate answer", self.pane.regenerate, "Ctrl+R")
        self._action(chat, "Edit last message", self.pane.bring_back_last, "Ctrl+E")
        self._action(chat, "Search conversations", self.focus_search, QKeySequence.StandardKey.Find)
        self._action(chat, "Rename conversation", self.sidebar.rename_current, "F2")
        self._action(chat, "Focus message box", self.pane.composer.box.setFocus, "Ctrl+L")
        deliberate = self._action(chat, "Deliberate answers", lambda: self.pane.set_deliberate(
            deliberate.isChecked()), "Ctrl+Shift+D")
        deliberate.setCheckable(True)
        recall = self._action(chat, "Recall other conversations",
                              lambda: self.pane.set_recall(recall.isChecked()))
        recall.setCheckable(True)
        recall.setChecked(True)
        self._action(chat, "Memories…", self.open_memories, "Ctrl+Shift+M")
        model = bar.addMenu("&Model")
        self._action(model, "Choose model…", self.models.choose_model, "Ctrl+M")
        self._action(model, "Measure compression of a document…", self.sources.measure_compression)
        self._action(model, "Settings…", self.open_settings, QKeySequence.StandardKey.Preferences)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "Keyboard shortcuts", self.show_shortcuts,
                     QKeySequence.StandardKey.HelpContents)
        self._action(chat, "Voice call", self.toggle_voice_call, "Ctrl+Shift+V").setCheckable(True)
        self._action(chat, DICTATE, self.speech.toggle_dictation, "Ctrl+Shift+Space").setCheckable(True)
        self._action(chat, READ_LAST, self.speech.read_last_answer, "Ctrl+Shift+R").setCheckable(True)

    def _connect(self) -> None:
        self.sidebar.chosen.connect(self.open_conversation)
        self.sidebar.new_requested.connect(self.new_conversation)
        self.sidebar.rename_requested.connect(self.conversations.rename)
        self.sidebar.delete_requested.connect(self.delete_conversation)
        self.sidebar.search_changed.connect(self.search)
        self.conversations.listed.connect(
            lambda listed: self.sidebar.show_conversations(listed, self.pane.conversation_id))
        self.conversations.found.connect(self.sidebar.show_hits)
        self.db_thread.failed.connect(lambda message: self.banner.show_message(message, "error"))
        self.pane.notice.connect(lambda message, kind: self.banner.show_message(message, kind))
        self.pane.conversations_changed.connect(self.refresh_sidebar)
        self.pane.switched.connect(lambda left, opened: (self._leave_conversation(left),
                                                         self.memory.follow(opened)))
        self.chat.reply_done.connect(lambda done: self._memories_proposed(list(done.memories)))
        self.memory.proposed.connect(self._memories_proposed)
        self.memory.notice.connect(self._memory_notice)
        self.pane.recall_shown.connect(self.actions_by_name["Recall other conversations"].setChecked)
        self.pane.view.message_action.connect(self.message_action)
        self.pane.view.welcome_action.connect(lambda way: {
            "documents": self.choose_documents, "voice": self.toggle_voice_call,
            "model": self.models.choose_model}[way]())
        self.pane.view.code_copied.connect(
            lambda *_block: self.statusBar().showMessage("Copied the code.", COPIED_MS))
        self.pane.document_panel.add_requested.connect(self.choose_documents)
        self.pane.voice_panel.connect_to(self.voice)
        self.voice.state_changed.connect(
            lambda state: self.actions_by_name["Voice call"].setChecked(state != STOPPED))
        self.voice.failed.connect(lambda message: self.banner.show_message(message, "error"))
        self.voice.turn_saved.connect(self._voice_turn_saved)
        self.voice.call_ended.connect(self._call_ended)
        self.transfer.exported.connect(lambda written: self.banner.show_message(
            export_notice(written), "info"))
        self.transfer.imported.connect(self._imported)
        self.transfer.failed.connect(lambda message: self.banner.show_message(message, "error"))
        self.library.documents_changed.connect(self._library_changed)
        self.library.notice.connect(self._library_notice)
        self.library.progress.connect(lambda _share, message: self.statusBar().showMessage(
            f"Library: {message}", 4000))

    # Conversations -----------------------------------------------------------------------------

    def refresh_sidebar(self) -> None:
        if not self.sidebar.searching():  # search results refresh when the search changes
            self.conversations.refresh()

    def open_conversation(self, conversation_id: int, message_id: int | None = None) -> None:
        """Open a conversation, at `message_id` when given (a search hit, a recalled message)."""
        if conversation_id != self.pane.conversation_id:
            self.pane.open_conversation(conversation_id, message_id)
        elif message_id is not None:
            self.pane.view.scroll_to_message(message_id)

    def new_conversation(self) -> None:
        self.pane.open_conversation(None)
        self.pane.composer.box.setFocus()
        self.sidebar.items.clearSelection()

    def delete_conversation(self, conversation_id: int) -> None:
        """Hidden at once, deleted when the undo offer expires (or the window closes)."""
        title = self.sidebar.title_of(conversation_id) or "The conversation"
        self.conversations.hide(conversation_id)
        self.sidebar.remove_conversation(conversation_id)
        if self.pane.conversation_id == conversation_id:
            self.pane.open_conversation(None)
        self.banner.show_message(f"“{title}” was deleted.", "info", "Undo",
                                 lambda: self.conversations.restore(conversation_id), UNDO_MS,
                                 lambda: self.conversations.delete_hidden(conversation_id))

    def search(self, text: str) -> None:
        if text:
            self.conversations.search(text)
        else:
            self.refresh_sidebar()

    def focus_search(self) -> None:
        self.sidebar.search.setFocus()
        self.sidebar.search.selectAll()

    def export_conversation(self, target: tuple[Path, str] | None = None) -> None:
        """The open conversation to a file, written off the GUI thread; `target` (path, format)
        stands in for the save dialog."""
        conversation_id = self.pane.conversation_id
        if conversation_id is None:
            self.banner.show_message("Open a conversation to export it.", "warning")
            return

        def export(title: str) -> None:
            chosen = target or ask_export_target(self, title)
            if chosen is not None:
                self.transfer.export(conversation_id, *chosen)

        self.db_thread.run("reading a conversation's title",
                           lambda db: ConversationStore(db).get(conversation_id).title, export)

    def import_conversation(self, path: Path | None = None) -> None:
        """A JSON export read in as a new conversation, off the GUI thread; `path` stands in for
        the open dialog."""
        path = path or ask_import_path(self)
        if path is not None:
            self.transfer.import_file(path)

    def _imported(self, imported: ImportedConversation) -> None:
        self.pane.open_conversation(imported.conversation_id)
        self.refresh_sidebar()
        self.banner.show_message(import_notice(imported), "info")

    def message_action(self, action: str, message_id: int) -> None:
        """An action under a message: copy its Markdown, read it aloud (or stop reading it),
        regenerate the last answer, or bring the last question back to be edited (the same paths
        as Ctrl+Shift+R, Ctrl+R and Up)."""
        if action == "read":
            self.read_aloud(message_id)
        elif action == "copy":
            text = self.pane.view.message_text(message_id)
            if text is not None:
                QApplication.clipboard().setText(text)
                self.statusBar().showMessage("Copied the message.", COPIED_MS)
        elif action == "regenerate":
            self.pane.regenerate()
        elif action == "edit":
            self.pane.bring_back_last()
            self.pane.composer.box.setFocus()

    # Memories ------------------------------------------------------------------------------------

    def open_memories(self) -> None:
        """The Memory view (not modal): the open conversation's memories, their budget, proposals."""
        if self.memory_view is None:
            self.memory_view = MemoryDialog(self.memory, self)
        self.memory_view.open_memories()

    def _leave_conversation(self, conversation_id: int | None) -> None:
        """Leaving a conversation (not one being deleted) proposes what the person said about
        themselves in it."""
        if conversation_id is not None and conversation_id not in self.conversations.hidden:
            self.memory.conversation_ended(conversation_id)

    def _memories_proposed(self, found: list[Saved]) -> None:
        line = proposals_line(found)
        if line:
            self._offer_review(line)
            self.memory.refresh_if_watching()

    def _offer_review(self, line: str) -> None:
        self.banner.show_message(line, "info", "Review", self.open_memories)

    def _memory_notice(self, message: str, kind: str) -> None:
        if self.memory_view is None or not self.memory_view.isVisible():
            self.banner.show_message(message, kind)

    # Documents and citations ---------------------------------------------------------------------

    def choose_documents(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add documents")
        if paths:
            self.pane.add_documents([Path(p) for p in paths])

    def open_library(self) -> None:
        """The document library (not modal): every stored document, search, watched folders."""
        if self.library_view is None:
            self.library_view = LibraryDialog(self.library, self)
            self.library_view.attach_requested.connect(lambda document_id: self.pane.attach_document(
                document_id, lambda _id: (self.library.refresh(), self.refresh_sidebar())))
            self.library_view.conversation_chosen.connect(self.open_conversation)
        self.library_view.open_library()

    def _library_must_wait(self) -> str | None:
        """Why a document cannot be removed or read again now (the model is reading it), or None."""
        if self.chat.busy or self.voice.active:
            return ("The model is answering or reading documents: wait for it to finish (or stop "
                    "it with Esc, or hang up), then try again.")
        return None

    def _library_changed(self, _document_id: int) -> None:
        """A document was removed or read again: the open conversation reads its documents anew."""
        self.chat.forget_documents()
        if self.pane.conversation_id is not None:
            self.pane.show_pinned(self.pane.conversation_id)
            self.pane.prefill_if_pinned()

    def _library_notice(self, message: str, kind: str) -> None:
        if self.library_view is None or not self.library_view.isVisible():
            self.banner.show_message(message, kind)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        event.acceptProposedAction()
        self.drop_paths(paths)

    def drop_paths(self, paths: list[Path]) -> None:
        """A dropped .gguf opens the model picker on it (with its memory estimate); anything else
        is read as a document."""
        models = [p for p in paths if p.suffix.lower() == MODEL_SUFFIX and p.is_file()]
        documents = [p for p in paths if p not in models]
        if models:
            self.models.choose_model(models[0])
        if documents:
            self.pane.add_documents(documents)
        if not paths:
            self.banner.show_message("Only files and folders on this computer can be dropped here.",
                                     "warning")

    # Settings ------------------------------------------------------------------------------------

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        dialog.settings_chosen.connect(self.apply_settings)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.settings_dialog = dialog
        dialog.open()

    def apply_settings(self, settings: AppSettings) -> None:
        """Prompt and sampling apply to the next answer, the theme and debug logging at once, the data
        folder after a restart (the database and the log in use stay open until then)."""
        moved = settings.data_folder != self.settings.data_folder
        self.settings = settings
        save_settings(self.qsettings, settings)
        self.chat.system_prompt = settings.system_prompt
        self.chat.options = settings.generation_options()
        self.chat.model_sampling = settings.model_sampling
        set_debug(LogOptions.from_environment(settings.debug_logging).debug)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, settings.theme)
        if moved:
            self.banner.show_message("The new data folder is used from the next start of Longwit.",
                                     "info")

    def show_shortcuts(self) -> None:
        rows = [(name, action.shortcut()) for name, action in self.actions_by_name.items()
                if not action.shortcut().isEmpty()]
        rows += [("Send message", "Enter"), ("New line in a message", "Shift+Enter"),
                 ("Edit last message (empty box)", "Up"), ("Stop dictating or reading aloud", "Esc")]
        ShortcutsDialog(rows, self).open()

    # Voice ---------------------------------------------------------------------------------------

    def toggle_voice_call(self) -> None:
        """Start a call in the open conversation (a new one when none is open), or hang up."""
        if self.voice.active:
            self.voice.hang_up()
        elif self.chat.card is None:
            self.banner.show_message("Voice mode needs a model: wait for it to load, or open one "
                                     "(Ctrl+Shift+O).", "warning")
        elif self.compression.measuring is not None:
            self.banner.show_message("The model is measuring a document: cancel the measurement "
                                     "to start a call.", "warning")
        else:  # dictation and reading aloud stop first
            self.audio.take(CALL, lambda: self.pane.ensure_conversation(
                lambda conversation_id: self.voice.start(conversation_id, self.settings)))
        self.actions_by_name["Voice call"].setChecked(self.voice.active)

    def read_aloud(self, message_id: int) -> None:
        """Read a shown answer aloud, or stop reading it (the per-message action)."""
        self.speech.read_aloud(message_id)

    def stop(self) -> None:
        """Esc: stop dictating or reading aloud, else the answer being written."""
        if not self.speech.stop():
            self.pane.stop()

    def _call_ended(self, conversation_id: int, questions: tuple[int, ...]) -> None:
        """A call that heard the person proposes what they said in it, as leaving a typed
        conversation does; one that failed to start keeps its banner."""
        if questions and conversation_id not in self.conversations.hidden:
            self.memory.call_ended(conversation_id, questions)

    def _voice_turn_saved(self, conversation_id: int) -> None:
        """A spoken turn was saved: show it, unless a typed answer is streaming into the view."""
        self.refresh_sidebar()
        if conversation_id == self.pane.conversation_id and not self.chat.busy:
            self.pane.open_conversation(conversation_id)

    # State ---------------------------------------------------------------------------------------

    def _restore_state(self) -> None:
        geometry = self.qsettings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1100, 760)
        splitter = self.qsettings.value("window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop what runs, finish pending deletions, remember the window; no thread outlives it."""
        self.qsettings.setValue("window/geometry", self.saveGeometry())
        self.qsettings.setValue("window/splitter", self.splitter.saveState())
        save_settings(self.qsettings, self.settings)
        self.qsettings.sync()
        self.banner.dismiss()
        self.pane.stop()
        self._leave_conversation(self.pane.conversation_id)
        with contextlib.suppress(RuntimeError):  # a picker closed earlier is deleted already
            if self.models.picker is not None:
                self.models.picker.close()  # stops a model download, keeping its part for Resume
        voice_stopped = self.voice.close()  # before the model it talks through is released
        speech_stopped = self.speech.close()
        left = [name for runner in (self.runner, *self.dialog_runners) for name in runner.shutdown()]
        chat_stopped = self.chat.close()  # a load under way ends and queues its record first
        self.closed_cleanly = (self.db_thread.close() and chat_stopped and not left and voice_stopped
                               and speech_stopped)
        event.accept()


def start_when_shown(window: MainWindow) -> None:
    """Load the model once the window is on screen, so the window appears at once. What exists by now
    (the imported libraries, the widgets) lives as long as the app: it is frozen out of the garbage
    collector's passes, or a full pass over it, at whatever moment allocations trigger one, holds the
    GIL for 50-60 ms (seen on a voice call's starting thread: the window stalled 52-82 ms)."""
    gc.freeze()
    QTimer.singleShot(0, window.models.start_model)
