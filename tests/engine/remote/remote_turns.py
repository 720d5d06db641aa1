"""Turns through a remote engine that every server the remote-engine tests drive goes through
(llama-cpp-python's, vLLM): a long answer cancelled as it streams, and a spoken turn as the voice
loop hands it over."""

from __future__ import annotations

import threading
import time

from engine.chat_session import ChatSession
from engine.generation import GenerationOptions
from engine.model_host import ModelHost
from engine.reply import Reply
from engine.voice_respond import VOICE_SYSTEM_PROMPT, VoiceChat
from media.speech_to_text import Word
from media.voice_events import UserTurn
from storage import ConversationStore, WordTimings


def cancel_a_long_story(host: ModelHost, store: ConversationStore, title: str) -> tuple[Reply, float]:
    """A 600-token story asked for and cancelled at its fourth piece; the reply and the seconds
    from the cancel to the end of its stream."""
    long = GenerationOptions(max_tokens=600, temperature=0.8, repetition_tokens=None)
    reply = ChatSession(host, store, store.create(title), options=long).ask(
        "Write a very long story about a dragon who learns to sail.")
    stopped = 0.0
    for count, _piece in enumerate(reply, start=1):
        if count == 4:
            stopped = time.perf_counter()
            reply.cancel()
    return reply, time.perf_counter() - stopped


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
