"""The conversation list's reads and writes, done on the window's DatabaseThread: the list, search,
rename, and delete with time to undo it (hidden at once, deleted when the offer expires or the
window closes). Results arrive as signals on the GUI thread, without the hidden conversations."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop.window.database_thread import DatabaseThread
from storage import Conversation, ConversationStore, SearchHit

LIST_LIMIT = 500


class ConversationController(QObject):
    listed = Signal(object)  # list[Conversation]
    found = Signal(str, object)  # the search text, list[SearchHit]

    def __init__(self, db_thread: DatabaseThread, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_thread = db_thread
        self.hidden: set[int] = set()  # deleted, waiting for undo

    def refresh(self) -> None:
        self.db_thread.run("reading the conversation list",
                           lambda db: ConversationStore(db).list(limit=LIST_LIMIT), self._listed)

    def _listed(self, conversations: list[Conversation]) -> None:
        self.listed.emit([c for c in conversations if c.id not in self.hidden])

    def search(self, text: str) -> None:
        def found(hits: list[SearchHit]) -> None:
            self.found.emit(text, [h for h in hits if h.conversation_id not in self.hidden])

        self.db_thread.run("searching the conversations", lambda db: ConversationStore(db).search(text),
                           found)

    def rename(self, conversation_id: int, title: str) -> None:
        """Rename, then list again (jobs run in order: the list shows the new title)."""
        self.db_thread.run("renaming a conversation",
                           lambda db: ConversationStore(db).rename(conversation_id, title))
        self.refresh()

    def hide(self, conversation_id: int) -> None:
        self.hidden.add(conversation_id)

    def restore(self, conversation_id: int) -> None:
        """Undo: the conversation is listed again."""
        self.hidden.discard(conversation_id)
        self.refresh()

    def delete_hidden(self, conversation_id: int) -> None:
        """Delete for good, unless it was restored; it stays hidden until it is gone, so a list read
        meanwhile does not bring it back."""
        if conversation_id in self.hidden:
            self.db_thread.run("deleting a conversation",
                               lambda db: ConversationStore(db).delete(conversation_id),
                               lambda _none: self.hidden.discard(conversation_id))
