"""A voice call joined to a stored conversation, shared by `longwit voice` and the window's voice mode:
the loop's `respond` answers through VoiceChat (which opens its own database connection on the loop's
responder thread), its `retract` removes a reply begun on a guess, and an interrupted answer is saved
as what was actually heard of it (not the cue said while a document is read)."""

from __future__ import annotations

from pathlib import Path

from engine.generation import GenerationOptions
from engine.model_host import ModelHost
from engine.voice_respond import VOICE_SYSTEM_PROMPT, VoiceChat
from media.voice_events import AssistantTurn, LoopEvent
from storage import database_path


class VoiceConversation:
    """`respond` and `on_event` for a DuplexLoop talking in the conversation `conversation_id` of the
    database at `db_path` (the person's own by default). Questions are answered over the documents
    pinned to the conversation, as typed ones are."""

    def __init__(self, host: ModelHost, conversation_id: int, options: GenerationOptions,
                 db_path: Path | None = None) -> None:
        self.chat = VoiceChat(host, db_path or database_path(), VOICE_SYSTEM_PROMPT, options,
                              conversation_id, documents=True)
        self.respond = self.chat.respond
        self.retract = self.chat.retract  # undoes a reply begun at a pause the person talked through
        # The loop's responder thread, as it ends, and whoever stops the loop, after: each closes
        # the connection it opened.
        self.release_thread = self.chat.release_thread
        self.close = self.chat.close

    @property
    def conversation_id(self) -> int:
        return self.chat.conversation_id

    @property
    def last_question_id(self) -> int | None:
        """The person's message that the latest reply answers (saved before its first piece)."""
        reply = self.chat.last_reply
        return reply.user_message_id if reply is not None else None

    def on_event(self, event: LoopEvent) -> None:
        """Called on the loop's thread that reported the event; an AssistantTurn comes from the
        responder thread, whose connection saved the answer, so it is corrected there."""
        if isinstance(event, AssistantTurn) and event.interrupted and self.chat.last_message_id:
            self.chat.store().replace_message(self.chat.last_message_id,
                                              self.chat.heard_answer(event.heard), cut=True)
