"""The chat model as the voice benchmark needs it: the `respond` callable of the voice loop on a database
of the caller's choosing (a temporary one, so a benchmark never writes to the person's history), and
the same model asked one question on its own, for the sequential baseline and the floor.

The voice loop lives in `media/`, which never imports the engine; this is the engine half it is
handed. Each thread gets its own SQLite connection (one connection per thread), as in
`desktop.voice_cli.VoiceConversation`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from engine.chat_session import ChatSession
from engine.generation import GenerationOptions
from engine.model_host import ModelHost
from storage import ConversationStore, open_database

VOICE_SYSTEM_PROMPT = (
    "You are Longwit, talking with the user by voice. Answer in one to three short spoken "
    "sentences, without lists, tables, code or markup."
)


class VoiceChat:
    """Replies from the loaded model, saved to the database at `db_path`, in the conversation
    `conversation_id` (a new one when not given)."""

    def __init__(self, host: ModelHost, db_path: Path, system_prompt: str,
                 options: GenerationOptions, conversation_id: int | None = None) -> None:
        self.host, self.db_path = host, db_path
        self.system_prompt, self.options = system_prompt, options
        self._local = threading.local()
        self.last_message_id: int | None = None  # the latest answer saved
        self.conversation_id = conversation_id or self.new_conversation()

    def store(self) -> ConversationStore:
        if not hasattr(self._local, "store"):
            self._local.store = ConversationStore(open_database(self.db_path))
        return self._local.store

    def session(self, conversation_id: int) -> ChatSession:
        """One session per conversation and thread, so its window keeps its place across turns."""
        sessions = self._local.__dict__.setdefault("sessions", {})
        if conversation_id not in sessions:
            sessions[conversation_id] = ChatSession(self.host, self.store(), conversation_id,
                                                    self.system_prompt, self.options)
        return sessions[conversation_id]

    def new_conversation(self) -> int:
        """Later `respond` calls go to a new, empty conversation."""
        self.conversation_id = self.store().create("Voice conversation")
        return self.conversation_id

    def respond(self, text: str, cancel: threading.Event) -> Iterator[str]:
        """The reply to `text` in the current conversation, streamed; stops when `cancel` is set."""
        return self._reply(self.conversation_id, text, cancel)

    def alone(self, text: str, cancel: threading.Event) -> Iterator[str]:
        """The reply to `text` asked on its own, after the system prompt only (which the model's prefix
        cache keeps from one call to the next)."""
        return self._reply(self.store().create("Voice benchmark, one question"), text, cancel)

    def _reply(self, conversation_id: int, text: str, cancel: threading.Event) -> Iterator[str]:
        reply = self.session(conversation_id).ask(text)
        try:
            yield from reply.until(cancel)
        finally:
            self.last_message_id = reply.message_id
