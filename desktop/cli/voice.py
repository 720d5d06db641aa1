"""`longwit voice`: the hands-free conversation on the system's microphone and speaker, or on files
(`--mic FILE --speaker OUT.wav [--echo]`), printing each turn with its timings. The turns are saved
to the conversation as they happen (what the person said with the timing of each word); an
interrupted answer is saved as what was actually heard. With `--doc`, or documents already pinned to
a continued conversation, questions are answered over the documents; earlier conversations and
documents are recalled as in `longwit chat` (`--no-recall` turns that off here). A device that goes
away mid-call ends the call with one line and exit status 1."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from desktop.cli.chat import (
    apply_recall_choice,
    doc_option,
    pin_documents,
    print_recalled,
    print_saved_memories,
    recall_option,
)
from desktop.cli.support import (
    EXIT_INTERRUPTED,
    ModelChoice,
    describe,
    engine_options,
    fail,
    model_options,
    open_store,
    reports_errors,
    start_model,
)
from desktop.diagnostics.error_report import details_hint, report_error
from engine.generation import GenerationOptions
from engine.memory_extraction import propose_from_conversation
from engine.voice_conversation import VoiceConversation
from media.audio_errors import AudioError
from media.duplex_loop import DuplexLoop, LoopOptions
from media.file_audio import EchoSimulation, FileAudioBackend
from media.speech_to_text import SpeechOptions, SpeechToText
from media.text_to_speech import TextToSpeech
from media.voice_events import AssistantTurn, BargeIn, LoopEvent, UserTurn

FILE_TAIL_S = 30.0  # silence after the scripted microphone, for the last answer to be heard
SETTLE_S = 1.0  # quiet this long after the script ends: the conversation is over


class PrintedConversation(VoiceConversation):
    """The stored voice conversation (engine/voice_conversation.py, shared with the window), each
    turn printed as it happens, an answer with what was recalled for it."""

    def on_event(self, event: LoopEvent) -> None:
        click.echo(describe_event(event))
        reply = self.chat.last_reply
        if isinstance(event, AssistantTurn) and reply is not None:
            print_recalled(reply)
        super().on_event(event)


def describe_event(event: LoopEvent) -> str:
    if isinstance(event, UserTurn):
        wait = event.transcribed_s - event.speech_end_s
        early = ", begun at the pause" if event.speculative else ""
        return f"you ({event.speech_end_s:6.2f} s): {event.text}   [transcript +{wait:.2f} s{early}]"
    if isinstance(event, AssistantTurn):
        delay = "" if event.first_audio_s is None else \
            f"   [first audio +{event.first_audio_s - event.speech_end_s:.2f} s after you stopped]"
        cut = " [interrupted]" if event.interrupted else ""
        return f"longwit: {event.heard or '(nothing played)'}{cut}{delay}"
    if isinstance(event, BargeIn):
        return f"[you cut in at {event.onset_s:.2f} s; playback stopped at {event.stopped_s:.2f} s]"
    if event.ended:  # LoopFailed: the audio went away
        return f"[voice loop: {event.message}]"
    return f"[voice loop: {event.message}{details_hint()}]"  # a lost turn, logged with its traceback


def run_until_done(loop: DuplexLoop, backend: FileAudioBackend | None, script_s: float) -> None:
    """Files: until the script has played and the last answer is heard. Devices: until Ctrl-C.
    Either: until the loop ends by itself (its audio went away)."""
    quiet_since = None
    while True:
        time.sleep(0.1)
        if loop.ended.is_set():
            return
        if backend is None:
            continue
        if backend.error is not None or backend.finished.is_set():
            return
        done_speaking = backend.frames_delivered * 0.02 >= script_s
        quiet_since = (quiet_since or time.monotonic()) if done_speaking and loop.quiet() else None
        if quiet_since and time.monotonic() - quiet_since >= SETTLE_S:
            return


@click.command()
@click.option("--mic", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Use this WAV/FLAC file as the microphone, in real time, instead of a device.")
@click.option("--speaker", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With --mic: record what Longwit says to this WAV file.")
@click.option("--echo", is_flag=True, help="With --mic: feed the speaker back into the microphone "
              "(40 ms, half gain), like a room without headphones.")
@click.option("--aec/--no-aec", default=True, show_default=True,
              help="Cancel the app's own voice from the microphone (WebRTC echo cancellation).")
@click.option("--speech-model", default="tiny.en", show_default=True,
              help="tiny.en, base (multilingual), or a faster-whisper model folder.")
@click.option("--continue", "-c", "resume", is_flag=True, help="Continue the latest conversation.")
@doc_option
@recall_option
@click.option("--max-tokens", type=click.IntRange(min=1), default=120, show_default=True)
@click.option("--temperature", type=click.FloatRange(min=0.0, max=2.0),
              default=GenerationOptions.temperature, show_default=True)
@model_options
@engine_options
@reports_errors
def voice(mic, speaker, echo, aec, speech_model, resume, docs, recall, max_tokens, temperature,
          **model) -> None:
    """A hands-free voice conversation you can interrupt."""
    if mic is None and (speaker is not None or echo):
        fail("--speaker and --echo go with --mic FILE.")
    store = open_store()
    try:
        backend = FileAudioBackend(mic, speaker, EchoSimulation() if echo else None,
                                   tail_silence_s=FILE_TAIL_S) if mic else None
        if backend is None:
            from media.device_audio import DeviceAudioBackend

            device_backend = DeviceAudioBackend()
    except AudioError as error:
        fail(report_error(error, "opening the audio"))
    host, card = start_model(ModelChoice.from_options(**model), store)
    try:
        conversation_id = (store.latest_id() if resume else None) or store.create("Voice conversation",
                                                                                 card.name)
        pin_documents(store, conversation_id, docs)  # a file is read in now, before the call
        apply_recall_choice(store, conversation_id, recall)
    except BaseException:
        host.close()
        raise
    talk = PrintedConversation(host, conversation_id,
                               GenerationOptions(max_tokens=max_tokens, temperature=temperature))
    loop = DuplexLoop(backend or device_backend, SpeechToText(SpeechOptions(model=speech_model)),
                      TextToSpeech(), talk.respond, talk.on_event, LoopOptions(cancel_echo=aec),
                      retract=talk.retract)
    loop.on_responder_end = talk.release_thread
    click.echo(describe(card), err=True)
    click.echo(f"Conversation {conversation_id}. Speak; interrupt any time"
               f"{'' if backend else ' (Ctrl-C to hang up)'}.", err=True)
    script_s = (backend.duration_s - FILE_TAIL_S) if backend else 0.0
    try:
        loop.warm_up()
        loop.start()
        run_until_done(loop, backend, script_s)
    except KeyboardInterrupt:
        click.echo("\n[hung up]", err=True)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        loop.stop()
        talk.close()
        host.close()
        # The call is over: what the person said about themselves is proposed to remember.
        print_saved_memories(propose_from_conversation(store, conversation_id))
    if loop.failure is not None:
        fail(loop.failure.message)
    if backend is not None and backend.error is not None:
        fail(f"the microphone file stopped: {backend.error}")
