"""The chat model as the voice loop needs it: the `respond` callable of the voice loop on a database
of the caller's choosing (the person's own for `longwit voice`, a temporary one for the benchmark, so
that it never writes to their history), and the same model asked one question on its own, for the
benchmark's sequential baseline and floor.

The voice loop lives in `media/`, which never imports the engine; this is the engine half it is
handed. `respond` runs on the loop's responder thread, which gets its own SQLite connection (one
connection per thread): the user's words and their timings are saved there, in one transaction, and,
when asked for, the conversation's pinned documents are read there and searched for each question."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from engine.chat_session import ChatSession, DocumentContext
from engine.document_context import document_context
from engine.errors import EngineError
from engine.generation import GenerationOptions
from engine.model_host import ModelHost, Note
from engine.reply import Reply
from engine.state_cache import StateCache
from storage import ConversationStore, DocumentStore, WordTiming, longwit_home, open_database

# Pieces the model may write ahead of the voice loop: none. While the loop synthesizes a clause it does
# not read, and a model writing on takes the CPU that the synthesis needs: on two cores, bench voice
# put in-loop synthesis at 1.16x its time alone with 0 (two runs) against 1.2-1.42x with 2, and the
# loop at 1.17-1.20x the floor against 1.31-1.37x. The next clause is written while this one plays.
VOICE_READ_AHEAD = 0

# Said while a document question is read more than once (engine/rereading): on two cores the
# readings keep the answer back for about 11 s (SmolLM2), which a call must not spend in silence.
READING_CUE = "Let me check the {documents}. "

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
    spoken: the loop's speakable text drops them). The person's memories are in the prompt as in
    chat, "remember that …" said aloud is proposed like a typed one, and earlier conversations and
    documents are recalled as in chat (`recall`; off where the person turned it off, and for the
    benchmark, whose timings must not depend on what earlier runs left in its database)."""

    def __init__(self, host: ModelHost, db_path: Path, system_prompt: str,
                 options: GenerationOptions, conversation_id: int | None = None, *,
                 documents: bool = False, recall: bool = True) -> None:
        self.host, self.db_path = host, db_path
        self.recall = recall
        self.system_prompt = system_prompt
        self.options = options if options.read_ahead is not None else replace(options,
                                                                              read_ahead=VOICE_READ_AHEAD)
        self.documents = documents
        self._local = threading.local()
        self._states = StateCache(longwit_home() / "states", db_path)  # its connection: the model's
        self.last_message_id: int | None = None  # the latest answer saved
        self.last_reply: Reply | None = None  # the latest answer, with the context it was given
        self._last_turn: HeardTurn | None = None  # the turn last_reply answers
        self.cue_said: str = ""  # the cue said before last_reply's answer, if any
        self.conversation_id = conversation_id or self.new_conversation()

    def store(self) -> ConversationStore:
        if not hasattr(self._local, "store"):
            self._local.store = ConversationStore(open_database(self.db_path))
        return self._local.store

    def release_thread(self) -> None:
        """Close the calling thread's connection and forget its sessions (as the thread ends)."""
        store = self._local.__dict__.pop("store", None)
        self._local.__dict__.pop("sessions", None)
        if store is not None:
            store.db.conn.close()

    def close(self) -> None:
        """Close the saved-state cache's connection, on the model's thread that opened it; once the
        replies have ended."""
        with contextlib.suppress(EngineError):  # no model loaded: the cache never opened
            self.host.call(lambda _model: self._states.close())

    def session(self, conversation_id: int) -> ChatSession:
        """One session per conversation and thread, so its window keeps its place across turns."""
        sessions = self._local.__dict__.setdefault("sessions", {})
        if conversation_id not in sessions:
            sessions[conversation_id] = ChatSession(self.host, self.store(), conversation_id,
                                                    self.system_prompt, self.options,
                                                    documents=self.pinned_documents(conversation_id),
                                                    memory=True, recall=self.recall)
        return sessions[conversation_id]

    def pinned_documents(self, conversation_id: int) -> DocumentContext | None:
        """The documents pinned to the conversation when its first turn on this thread begins, read
        through this thread's connection; None when documents were not asked for or none are pinned."""
        if not self.documents:
            return None
        documents = DocumentStore(self.store().db)
        pinned = [document.id for document in documents.pinned(conversation_id)]
        model_key = str(self.host.card.path) if self.host.card else None
        return document_context(documents, pinned, longwit_home(), self.db_path, model_key,
                                self._states)

    def new_conversation(self) -> int:
        """Later `respond` calls go to a new, empty conversation."""
        self.conversation_id = self.store().create("Voice conversation")
        return self.conversation_id

    def respond(self, turn: HeardTurn, cancel: threading.Event) -> Iterator[str]:
        """The reply to what was heard in the current conversation, streamed; stops when `cancel` is
        set. The user's message is saved with the timings of its words."""
        return self._reply(self.conversation_id, turn.text, cancel, turn.word_timings(), turn)

    def retract(self, turn: HeardTurn) -> None:
        """Undo `respond` for a turn the loop began answering at a short pause and then dropped (the
        person went on): its question and the cut answer are deleted, in one transaction. Called on
        the thread that called `respond`, once its reply iterator is closed."""
        reply = self.last_reply
        if reply is None or self._last_turn is not turn:
            return  # respond never started (the guess was dropped first): nothing was saved
        self.store().delete_from(reply.user_message_id)
        self.last_reply, self.last_message_id, self._last_turn = None, None, None

    def alone(self, text: str, cancel: threading.Event) -> Iterator[str]:
        """The reply to `text` asked on its own, after the system prompt only (which the model's prefix
        cache keeps from one call to the next)."""
        return self._reply(self.store().create("Voice benchmark, one question"), text, cancel)

    def heard_answer(self, heard: str) -> str:
        """What was heard of the latest answer, less the cue said before it (which is not the
        answer, and is not saved with it): how an answer cut short is saved."""
        cue = self.cue_said.strip()
        if not cue:
            return heard
        if heard.startswith(cue):
            return heard[len(cue):].lstrip()
        return "" if cue.startswith(heard.removesuffix("…")) else heard

    def _reply(self, conversation_id: int, text: str, cancel: threading.Event,
               words: Sequence[WordTiming] = (), turn: HeardTurn | None = None) -> Iterator[str]:
        session = self.session(conversation_id)
        reply = session.ask(text, words)
        self.last_reply, self._last_turn, self.cue_said = reply, turn, ""
        pinned = len(session.documents.documents) if session.documents else 0

        def cue(note: Note) -> str | None:
            """The cue, once, as the first of two or more readings starts."""
            if self.cue_said or note.steps < 2:
                return None
            self.cue_said = READING_CUE.format(documents="documents" if pinned > 1 else "document")
            return self.cue_said

        reply.on_note = cue
        try:
            yield from reply.until(cancel)
        finally:
            self.last_message_id = reply.message_id
