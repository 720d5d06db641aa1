"""One spoken turn through a remote engine, as the voice loop hands it over: the same check for
every server the remote-engine tests drive (llama-cpp-python's, vLLM)."""

from __future__ import annotations

import threading

from engine.generation import GenerationOptions
from engine.model_host import ModelHost
from engine.voice_respond import VOICE_SYSTEM_PROMPT, VoiceChat
from media.speech_to_text import Word
from media.voice_events import UserTurn
from storage import ConversationStore, WordTimings


def assert_spoken_turn_is_answered(host: ModelHost, store: ConversationStore, model_name: str,
                                   options: GenerationOptions) -> None:
    """"Say hello." heard with its word timings is answered, and both are saved: the answer as
    said, under the server's model name, the question with its words."""
    chat = VoiceChat(host, store.path, VOICE_SYSTEM_PROMPT, options)
    words = [Word("Say", 0.3, 0.5, 0.9), Word("hello.", 0.5, 0.9, 0.9)]
    turn = UserTurn("Say hello.", words, 2.0, 2.6, 2.9, speech_start_s=0.2, audio_start_s=0.0)
    spoken = "".join(chat.respond(turn, threading.Event()))
    chat.close()
    user, answer = store.messages(chat.conversation_id)
    assert (user.content, answer.content, answer.model) == ("Say hello.", spoken, model_name)
    assert spoken.strip()
    assert [w.word for w in WordTimings(store.db).for_message(user.id)] == ["Say", "hello."]
