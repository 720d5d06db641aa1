"""Speech in and out with the real bundled models (tiny.en, the joe Piper voice), and the rules that
make model text speakable."""

from __future__ import annotations

import io
import subprocess
import time
from pathlib import Path

import jiwer
import numpy as np
import pytest
import soundfile
import soxr

from media.audio_backend import SAMPLE_RATE
from media.speakable import SpeechChunker, speakable
from media.speech_to_text import SpeechOptions, SpeechToText, base_model_path, window_pieces
from media.spoken_reply import Spoken, heard_words, voiced_span
from media.text_to_speech import TextToSpeech
from media.whisper_window import MAX_WINDOW_SAMPLES


def load_16k(path: Path) -> np.ndarray:
    audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return soxr.resample(audio.mean(axis=1), rate, SAMPLE_RATE).astype(np.float32)


def normalized(text: str) -> str:
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


@pytest.fixture(scope="module")
def stt() -> SpeechToText:
    return SpeechToText()


@pytest.fixture(scope="module")
def tts() -> TextToSpeech:
    return TextToSpeech()


def test_jfk_is_transcribed_with_words_in_order(stt: SpeechToText, jfk_flac: Path) -> None:
    transcript = stt.transcribe(load_16k(jfk_flac))
    assert "ask not what your country can do for you" in normalized(transcript.text)
    starts = [word.start for word in transcript.words]
    assert starts == sorted(starts)
    assert all(0 <= w.start <= w.end <= 11.5 for w in transcript.words)
    assert transcript.language == "en" and 10.5 < transcript.duration_s < 11.5


def test_silence_and_quiet_noise_give_an_empty_transcript(stt: SpeechToText) -> None:
    assert stt.transcribe(np.zeros(3 * SAMPLE_RATE, dtype=np.float32)).text == ""
    for level in (0.002, 0.05):  # below the energy gate, then noise the model itself must judge
        hiss = (np.random.default_rng(1).standard_normal(3 * SAMPLE_RATE) * level).astype(np.float32)
        assert stt.transcribe(hiss).text == ""


def test_piper_speech_transcribes_back_to_its_words(stt: SpeechToText, tts: TextToSpeech) -> None:
    sentence = "The weather was warm and sunny, so we walked along the beach after lunch."
    heard = stt.transcribe(tts.synthesize(sentence)).text
    assert jiwer.wer(normalized(sentence), normalized(heard)) <= 0.2


def test_a_clause_cut_mid_way_is_clipped_to_the_words_that_were_heard(stt: SpeechToText) -> None:
    """What an interrupted reply saves as heard, against what Whisper hears in the same samples:
    long and short words mixed, cut at several points, counted in words (Whisper mishears the
    cut-off word, and writes numbers as digits, so the words themselves are not compared). Its own
    voice, loaded under the suite's seed: the bounds held for seeds 0-11, but one unseeded run in
    CI missed by 4 words at one cut."""
    tts = TextToSpeech()
    sentences = ("Yes, a cat is fine, but an extraordinarily affectionate dog is better.",
                 "The international telegraph conference met in Rome, and it lasted for several weeks.")
    misses = []
    for sentence in sentences:
        audio = tts.synthesize(sentence)
        clause = Spoken(sentence, 0, len(audio), tts.word_lengths(sentence), voiced_span(audio))
        for share in (0.35, 0.55, 0.75):
            played = round(len(audio) * share)
            estimate = heard_words(clause, played)
            assert sentence.startswith(" ".join(estimate))
            heard = normalized(stt.transcribe(audio[:played]).text).split()
            misses.append(abs(len(estimate) - len(heard)))
    assert sum(misses) / len(misses) <= 1.5 and max(misses) <= 3, misses


def espeak(text: str, voice: str) -> np.ndarray:
    """`text` spoken by Debian's espeak-ng: a voice the app itself never uses."""
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", "160", "--stdout", text],
                         capture_output=True, check=True).stdout
    audio, rate = soundfile.read(io.BytesIO(wav), dtype="float32", always_2d=True)
    return soxr.resample(audio.mean(axis=1), rate, SAMPLE_RATE).astype(np.float32)


SHORT_REPLIES = ("Stop.", "Yes.", "Wait.", "No, thanks.", "Okay, go on.")
SENTENCES = (
    "Please summarize the second chapter of the report in three sentences.",
    "What time does the last train to the coast leave on Sundays?",
    "I was thinking about the meeting on Thursday, and whether we should move it to the afternoon.",
    "Read me the paragraph about the harbour again, slowly this time.",
)


@pytest.mark.parametrize("voice", ["en-us", "en-gb-x-rp"])
def test_short_replies_are_heard_once(stt: SpeechToText, tts: TextToSpeech, voice: str) -> None:
    """A window sized too tightly to the speech makes Whisper loop ("Stop. Stop. Stop."): the window's
    floor (media/whisper_window.py) is what keeps one word one word."""
    for text in SHORT_REPLIES:
        for audio in (espeak(text, voice), tts.synthesize(text)):
            heard = normalized(stt.transcribe(audio).text).split()
            assert 0 < len(heard) <= len(normalized(text).split()) + 1, (text, heard)


def test_sized_windows_hear_as_well_as_the_full_window(stt: SpeechToText, tts: TextToSpeech) -> None:
    """Over sentences in three voices, the sized window's word error is no worse than faster-whisper's
    own 30 s transcription of the same audio (plus a word's worth of slack)."""
    references, ours, full = [], [], []
    for text in SENTENCES:
        for audio in (espeak(text, "en-us"), espeak(text, "en-gb-x-rp"), tts.synthesize(text)):
            references.append(normalized(text))
            ours.append(normalized(stt.transcribe(audio).text))
            segments, _ = stt.model.transcribe(audio, language="en", beam_size=1, without_timestamps=True)
            full.append(normalized(" ".join(s.text for s in segments)))
    ours_wer, full_wer = jiwer.wer(references, ours), jiwer.wer(references, full)
    assert ours_wer <= full_wer + 0.02 and ours_wer < 0.15, (ours_wer, full_wer)


@pytest.mark.parametrize("extra", [-1, 0, 1, 160, MAX_WINDOW_SAMPLES + 5])
def test_a_monologue_is_cut_into_pieces_that_each_fit_one_window(extra: int) -> None:
    audio = np.random.default_rng(2).standard_normal(MAX_WINDOW_SAMPLES + extra).astype(np.float32)
    pieces = window_pieces(audio)
    assert all(len(piece) <= MAX_WINDOW_SAMPLES for _, piece in pieces)
    assert [at for at, _ in pieces] == [0, *np.cumsum([len(p) for _, p in pieces])[:-1].tolist()]
    assert np.array_equal(np.concatenate([piece for _, piece in pieces]), audio)


def test_a_monologue_longer_than_one_window_is_heard_whole(stt: SpeechToText, jfk_flac: Path) -> None:
    jfk = load_16k(jfk_flac)
    transcript = stt.transcribe(np.concatenate([jfk, jfk, jfk]))  # 33 s: past Whisper's 30 s window
    assert normalized(transcript.text).count("ask not what your country can do for you") == 3
    starts = [word.start for word in transcript.words]
    assert starts == sorted(starts) and 30 < transcript.words[-1].end <= 33.5


def test_synthesis_is_16k_float_audio_of_plausible_length(tts: TextToSpeech) -> None:
    audio = tts.synthesize("Hello there. How are you today?")
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert np.abs(audio).max() <= 1.0
    assert 1.0 < len(audio) / SAMPLE_RATE < 4.0  # seven words, two sentences
    assert tts.native_rate == 22_050
    assert tts.synthesize("").size == 0


def test_stream_yields_the_first_sentence_before_the_rest_is_made(tts: TextToSpeech) -> None:
    text = "First a short one. " + "Then a much longer sentence follows it, with several clauses in it. " * 3
    started = time.perf_counter()
    chunks, times = [], []
    for chunk in tts.stream(text):
        chunks.append(chunk)
        times.append(time.perf_counter() - started)
    assert len(chunks) >= 4
    assert times[0] < times[-1] / 2
    assert len(chunks[0]) < sum(map(len, chunks)) / 4


@pytest.mark.parametrize(
    ("markdown", "spoken"),
    [
        ("# Lamps\nTrim the **wick** and *polish* the _lens_.", "Lamps. Trim the wick and polish the lens."),
        ("See [the guide](https://example.com/guide) now.", "See the guide now."),
        ("Go to https://example.com/a?b=1 today.", "Go to a link today."),
        ("Run `make run` first.", "Run make run first."),
        ("Like this:\n```python\nprint('hi')\n```\nDone.", "Like this: (code omitted). Done."),
        ("- bread\n- paraffin\n1. first\n2) second", "bread. paraffin. first. second"),
        ("Storms are common [1] in spring [2, 3].", "Storms are common in spring."),
        ("The code is 7314 [1; 4].\nAsk at the desk [2-3] [5–6].", "The code is 7314. Ask at the desk."),
        ("Great job 🎉👍 today!", "Great job today!"),
        ("Salt & pepper at 40% off.", "Salt and pepper at 40 percent off."),
        ("It was—in a sense—fine.", "It was, in a sense, fine."),
        ("snake_case and 2*3*4 stay.", "snake_case and 2*3*4 stay."),
        ("> a quote\n\n---\n| a | b |\n|---|---|\n| 1 | 2 |", "a quote. a, b. 1, 2"),
        ("Like this:\n\n    x = 1\n\n    print(x)\n\nDone.", "Like this: (code omitted). Done."),
        ("A line\n    that goes on.", "A line. that goes on."),  # indented, but no blank line before
        ("- a point\n\n    its second paragraph\n- another", "a point. its second paragraph. another"),
        ("It is so (see [3]) and so ([1], [2]).", "It is so and so."),
        ("Footnoted[^1] and sourced 【4†source】 text.", "Footnoted and sourced text."),
        ("Keep (this aside) and (see below).", "Keep (this aside) and (see below)."),
    ],
)
def test_speakable_rules(markdown: str, spoken: str) -> None:
    assert speakable(markdown) == spoken


def test_code_blocks_may_be_dropped() -> None:
    assert speakable("Here:\n```\nx = 1\n```\nThat is all.", code="") == "Here: That is all."
    assert speakable("    x = 1\n\nThat is all.", code="") == "That is all."
    assert speakable("    x = 1", code="", at_start=False) == "x = 1"  # a piece from mid-message


ANSWERS = [
    "Use a loop [1]:\n\n```python\nfor fruit in basket:\n    print(fruit)\n```\n\nThat prints each one.",
    "Indented:\n\n    total = quantity * price\n    ledger.append(total)\n\nThen save the ledger [2, 3].",
    "1. Open the file\n\n    Read the header carefully.\n\n2. Close it\n\n~~~\nhandle.close()\n~~~",
    "    starting_block = True\n\nProse after a block that opens the answer.",
]


@pytest.mark.parametrize("answer", ANSWERS)
def test_what_the_window_shows_as_code_is_not_spoken_and_its_prose_is(answer: str) -> None:
    """Judged by the CommonMark parser that draws answers in the window (markdown-it-py)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(answer)
    code = {w for t in tokens if t.type in ("fence", "code_block") for w in normalized(t.content).split()}
    prose = {w for t in tokens if t.type == "inline" for w in normalized(t.content).split()}
    assert code and prose
    spoken = set(normalized(speakable(answer, code="")).split())
    assert not spoken & (code - prose), spoken & code
    assert prose - spoken <= {str(n) for n in range(10)}, prose - spoken  # the citation numbers


def chunks_of(pieces: list[str]) -> list[list[str]]:
    chunker = SpeechChunker()
    return [chunker.feed(piece) for piece in pieces] + [chunker.flush()]


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        (
            ["Sure", "! Here", " is the answer, with", " a [1] citation."],
            [[], ["Sure!"], [], [], ["Here is the answer, with a citation."]],
        ),
        (  # the first chunk ends at a clause after four words; later ones only at sentence ends
            [
                "Well, I think that",
                " the answer, as far",
                " as I know, is yes. Dr",
                ". Smith agrees",
                ". Bye",
            ],
            [
                [],
                ["Well, I think that the answer,"],
                ["as far as I know, is yes."],
                [],
                ["Dr. Smith agrees."],
                ["Bye"],
            ],
        ),
        (  # nothing is cut inside a code block or a link
            ["Code:\n```py\nx = 1. y\n", "```\nSee [the docs. Now](https://a.example/b) then", ". Done"],
            [["Code:"], ["(code omitted)"], ["See the docs. Now then."], ["Done"]],
        ),
        (["1. First item\n2. Second", " item\n"], [["First item"], ["Second item"], []]),
        (["e.g. this one is fine. Ok"], [["e.g. this one is fine."], ["Ok"]]),
        (  # the first chunk ends with the piece that ends it, not one piece later
            ["A spider has eight legs", ".", " Most", " have eight eyes", ".", " Ok"],
            [[], ["A spider has eight legs."], [], [], [], ["Most have eight eyes."], ["Ok"]],
        ),
        (["It is blue", ",", " mostly", "."], [[], [], [], ["It is blue, mostly."], []]),  # < 4 words
        (["On a clear day", ",", " it is blue."], [[], ["On a clear day,"], [], ["it is blue."]]),
        (  # ... but not after a number, which may go on, nor after an abbreviation or an initial
            ["It is about 93", ".", "5 million miles", "."],
            [[], [], [], ["It is about 93.5 million miles."], []],
        ),
        (["Ask Dr", ".", " Smith", "."], [[], [], [], ["Ask Dr. Smith."], []]),
        (["Ask J", ".", " Smith", "."], [[], [], [], ["Ask J. Smith."], []]),
        (["Well", ".", "..", " I think so."], [[], ["Well."], [], [], ["I think so."]]),
    ],
)
def test_chunker_cuts_streamed_text_into_speakable_chunks(
    pieces: list[str], expected: list[list[str]]
) -> None:
    assert chunks_of(pieces) == expected


def test_chunker_flush_resets_for_the_next_reply() -> None:
    chunker = SpeechChunker()
    assert chunker.feed("An unfinished thought") == []
    assert chunker.flush() == ["An unfinished thought"]
    assert chunker.flush() == []
    assert chunker.feed("Again, and here we go, fast. ") == ["Again, and here we go, fast."]


def test_the_multilingual_base_model_is_joined_once_and_transcribes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jfk_flac: Path
) -> None:
    monkeypatch.setenv("LONGWIT_HOME", str(tmp_path))
    folder = base_model_path()
    assert folder == tmp_path / "models" / "whisper-base"
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json",
        "model.bin",
        "tokenizer.json",
        "vocabulary.json",
    ]
    assert (folder / "model.bin").stat().st_size > 140_000_000
    transcript = SpeechToText(SpeechOptions(model="base")).transcribe(load_16k(jfk_flac))
    assert transcript.language == "en"
    assert "ask not what your country can do for you" in normalized(transcript.text)
