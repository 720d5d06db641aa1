"""The chat model as the voice loop needs it: the `respond` callable of the voice loop on a database
of the caller's choosing (the person's own for `longwit voice`, a temporary one for the benchmark, so
that it never writes to their history), and the same model asked one question on its own, for the
benchmark's sequential baseline and floor.

The voice loop lives in `media/`, which never imports the engine; this is the engine half it is
handed. `respond` runs on the loop's responder thread, which gets its own SQLite connection (one
connection per thread): the user's words and their timings are saved there, in one transaction, and,
when asked for, the conversation's pinned documents are read there and searched for each question."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from engine.chat_session import ChatSession, DocumentContext, Reply
from engine.document_context import document_context
from engine.generation import GenerationOptions
from engine.model_host import ModelHost
from storage import ConversationStore, DocumentStore, WordTiming, longwit_home, open_database

VOICE_SYSTEM_PROMPT = (
    "You are Longwit, talking with the user by voice. Answer in one to three short spoken "
    "sentences, without lists, tables, code or markup."
)


class HeardTurn(Protocol):
    """A turn the voice loop heard (`media.duplex_loop.UserTurn`; the engine does not import media,
    so this names only what it reads)."""

    @property
    def text(self) -> str: ...

    def word_timings(self) -> list[WordTiming]: ...


class VoiceChat:
    """Replies from the loaded model, saved to the database at `db_path`, in the conversation
    `conversation_id` (a new one when not given). With `documents`, questions are answered over the
    documents pinned to the conversation, as `longwit chat --doc` does (their citation marks are not
    spoken: the loop's speakable text drops them)."""

    def __init__(self, host: ModelHost, db_path: Path, system_prompt: str,
                 options: GenerationOptions, conversation_id: int | None = None, *,
                 documents: bool = False) -> None:
        self.host, self.db_path = host, db_path
        self.system_prompt, self.options = system_prompt, options
        self.documents = documents
        self._local = threading.local()
        self.last_message_id: int | None = None  # the latest answer saved
        self.last_reply: Reply | None = None  # the latest answer, with the context it was given
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
                                                    self.system_prompt, self.options,
                                                    documents=self.pinned_documents(conversation_id))
        return sessions[conversation_id]

    def pinned_documents(self, conversation_id: int) -> DocumentContext | None:
        """The documents pinned to the conversation when its first turn on this thread begins, read
        through this thread's connection; None when documents were not asked for or none are pinned."""
        if not self.documents:
            return None
        documents = DocumentStore(self.store().db)
        pinned = [document.id for document in documents.pinned(conversation_id)]
        model_key = str(self.host.card.path) if self.host.card else None
        return document_context(documents, pinned, longwit_home(), self.db_path, model_key)

    def new_conversation(self) -> int:
        """Later `respond` calls go to a new, empty conversation."""
        self.conversation_id = self.store().create("Voice conversation")
        return self.conversation_id

    def respond(self, turn: HeardTurn, cancel: threading.Event) -> Iterator[str]:
        """The reply to what was heard in the current conversation, streamed; stops when `cancel` is
        set. The user's message is saved with the timings of its words."""
        return self._reply(self.conversation_id, turn.text, cancel, turn.word_timings())

    def alone(self, text: str, cancel: threading.Event) -> Iterator[str]:
        """The reply to `text` asked on its own, after the system prompt only (which the model's prefix
        cache keeps from one call to the next)."""
        return self._reply(self.store().create("Voice benchmark, one question"), text, cancel)

    def _reply(self, conversation_id: int, text: str, cancel: threading.Event,
               words: Sequence[WordTiming] = ()) -> Iterator[str]:
        reply = self.session(conversation_id).ask(text, words)
        self.last_reply = reply
        try:
            yield from reply.until(cancel)
        finally:
            self.last_message_id = reply.message_id
