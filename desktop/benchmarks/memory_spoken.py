"""`longwit bench memory`, part one spoken: the same facts told aloud through the real voice path,
and the questions asked aloud.

Piper speaks each conversation's four facts into a microphone file, with room for the replies
between them, and the real DuplexLoop hears it through the file backend in real time and answers
through VoiceChat (memory on, as in every call; recall off); when the call ends, what the person
stated in it is proposed, as at a hang-up, and the proposals are reviewed as in the typed half. So
what is remembered is what faster-whisper heard: a name it spells otherwise is remembered so.

Each question is then spoken into a microphone file of its own and answered in a new conversation,
twice: by the database where the facts were told, and by one where nothing was ever told (memory
off: no memory in the prompt). The answer is the one the loop produced, scored like a typed one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from desktop.benchmarks.memory_facts import (
    NO_MEMORY,
    WITH_MEMORY,
    Fact,
    FactAnswer,
    ProposalRecord,
    Report,
    answer_options,
    conversations,
    progress_line,
    review_proposals,
    score,
)
from engine.memory_extraction import propose_from_conversation
from engine.model_host import ModelHost
from engine.voice_respond import VOICE_SYSTEM_PROMPT, VoiceChat
from media.audio_backend import SAMPLE_RATE
from media.scripted_call import LoopRun, Utterance, utterance, write_mic
from media.speech_to_text import SpeechToText
from media.text_to_speech import TextToSpeech
from media.voice_benchmark import VoiceModels, run_loop
from media.voice_events import AssistantTurn, UserTurn
from storage.memory_store import MemoryStore

LEAD_S = 0.5  # silence before the first words of a file
REPLY_ROOM_S = 5.0  # after each fact: the reply plays meanwhile (a longer one is spoken over)
# After the last words: a turn with no reply by then goes unanswered. Long, because a call ends
# early once every turn has had its reply, and on two cores shared with other work a 10 s tail cut
# a few replies off in their first clause.
TAIL_S = 30.0


@dataclass
class SpokenCall:
    """One telling call: the lines spoken and what the loop heard."""

    told: list[str]
    heard: list[str]


@dataclass
class Speech:
    """The speech models and a scratch folder for microphone files."""

    stt: SpeechToText
    tts: TextToSpeech
    folder: Path

    def warm_up(self) -> None:
        """Load both models before the first call, so its first turn does not wait for them."""
        self.stt.transcribe(np.zeros(SAMPLE_RATE // 2, dtype=np.float32))
        self.tts.synthesize("Hello.")


def voice_chat(host: ModelHost, db_path: Path, speech: Speech) -> tuple[VoiceChat, VoiceModels]:
    """Replies saved in the database at `db_path`, as the loop needs them."""
    chat = VoiceChat(host, db_path, VOICE_SYSTEM_PROMPT, answer_options(host), recall=False)
    return chat, VoiceModels(speech.stt, speech.tts, chat.respond, chat.new_conversation,
                             chat.alone, chat.retract, chat.release_thread)


def all_answered(script_s: float) -> Callable[[LoopRun], bool]:
    """Done once the file has played and every turn heard has had its reply."""
    def done(run: LoopRun) -> bool:
        return run.backend.now_s() >= script_s and len(run.of(AssistantTurn)) >= len(run.of(UserTurn))
    return done


def tell_call(chat: VoiceChat, models: VoiceModels, speech: Speech, facts: Sequence[Fact]) -> SpokenCall:
    """One conversation's facts spoken in one call; its stated facts proposed at the hang-up."""
    parts: list[Utterance | float] = [LEAD_S]
    for fact in facts:
        parts += [utterance(speech.tts, fact.told), REPLY_ROOM_S]
    mic = speech.folder / "telling.wav"
    write_mic(mic, parts)
    chat.new_conversation()
    run = run_loop(models, mic, all_answered(soundfile.info(str(mic)).duration), TAIL_S)
    propose_from_conversation(chat.store(), chat.conversation_id)
    return SpokenCall([fact.told for fact in facts], [turn.text for turn in run.of(UserTurn)])


def ask_spoken(chat: VoiceChat, models: VoiceModels, speech: Speech, fact: Fact,
               line: Utterance, memory: bool) -> FactAnswer:
    """The question spoken in a new conversation; scored on the reply the loop produced."""
    mic = speech.folder / "question.wav"
    write_mic(mic, [LEAD_S, line])
    chat.new_conversation()
    run = run_loop(models, mic, lambda r: bool(r.of(AssistantTurn)), TAIL_S)
    heard = " ".join(turn.text for turn in run.of(UserTurn))
    reply = chat.last_reply if run.respond.answered() else None
    return score("spoken", WITH_MEMORY if memory else NO_MEMORY, fact, heard, reply,
                 reply.text if reply is not None else "")


def run_spoken(host: ModelHost, speech: Speech, facts: Sequence[Fact], report: Report,
               proposals: list[ProposalRecord], answers: list[FactAnswer],
               calls: list[SpokenCall]) -> None:
    """Tell aloud, review, then ask each question aloud with memory and without; results are
    appended as they come."""
    report(f"Spoken: telling {len(facts)} facts in {len(conversations(facts))} calls (real time)…")
    speech.warm_up()
    chats: list[VoiceChat] = []
    try:
        told, told_models = voice_chat(host, speech.folder / "spoken.db", speech)
        chats.append(told)
        empty, empty_models = voice_chat(host, speech.folder / "nothing-told.db", speech)
        chats.append(empty)
        for number, group in enumerate(conversations(facts), 1):
            calls.append(tell_call(told, told_models, speech, group))
            proposals.extend(review_proposals(MemoryStore(told.store().db), group, "spoken"))
            report(f"  call {number}: heard {' / '.join(calls[-1].heard) or 'nothing'}")
        for fact in facts:
            line = utterance(speech.tts, fact.question)
            pair = [ask_spoken(told, told_models, speech, fact, line, True),
                    ask_spoken(empty, empty_models, speech, fact, line, False)]
            answers.extend(pair)
            report(progress_line("spoken", pair))
    finally:
        for chat in chats:
            chat.release_thread()  # this thread's connection (each new conversation's)
            chat.close()  # the state cache's, on the model's thread
