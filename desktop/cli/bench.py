"""`longwit bench …`: run a benchmark, print its table, and write its JSON with --json PATH."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

from desktop.cli.bench_tables import format_chat_table, format_context_table, format_voice_table
from desktop.cli.support import ModelChoice, model_options, reports_errors
from engine.chat_benchmark import ChatBenchmarkOptions, run_chat_benchmark
from engine.context_benchmark import ContextBenchmarkOptions, run_context_benchmark
from media.ingest_benchmark import run_ingest_benchmark
from storage import longwit_home


def token_list_or_zero(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, ...]:
    return token_list(ctx, param, value, minimum=0)


def token_list(_ctx: click.Context, _param: click.Parameter, value: str,
               minimum: int = 1) -> tuple[int, ...]:
    try:
        numbers = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError as error:
        raise click.BadParameter("use token counts separated by commas, e.g. 256,1024") from error
    if not numbers or min(numbers) < minimum:
        raise click.BadParameter(f"give at least one number, each {minimum} or more")
    return numbers


@click.group()
def bench() -> None:
    """Measure Longwit against a plain baseline, in the same process."""


@bench.command("chat")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results as JSON to this file.")
@click.option("--repeats", type=click.IntRange(min=1), default=3, show_default=True,
              help="Runs per case; the median is reported.")
@click.option("--history-tokens", default="256,1024,2048", show_default=True, callback=token_list,
              help="Lengths of earlier conversation before the follow-up turn.")
@click.option("--long-prompt-tokens", type=click.IntRange(min=64), default=2048, show_default=True)
@click.option("--answer-tokens", type=click.IntRange(min=1), default=32, show_default=True)
@model_options
@reports_errors
def bench_chat(json_path: Path | None, repeats: int, history_tokens: tuple[int, ...],
               long_prompt_tokens: int, answer_tokens: int, **model) -> None:
    """Load time, time to first token and tokens/s; follow-up turns against no-reuse prefill."""
    choice = ModelChoice.from_options(**model)
    options = ChatBenchmarkOptions(
        model=choice.model, load=choice.load, history_tokens=history_tokens,
        long_prompt_tokens=long_prompt_tokens, answer_tokens=answer_tokens, repeats=repeats,
    )
    result = run_chat_benchmark(
        options, longwit_home() / "models", progress=lambda line: click.echo(line, err=True)
    )
    click.echo(format_chat_table(result))
    write_json(json_path, result)


def write_json(json_path: Path | None, result: dict) -> None:
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(result, indent=2) + "\n")
        click.echo(f"Wrote {json_path}", err=True)


@bench.command("context")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results as JSON to this file.")
@click.option("--lengths", default="1024,2048,4096,8192,16384,32768", show_default=True,
              callback=token_list, help="Needle grid: document lengths (capped by the window).")
@click.option("--depths", default="0,25,50,75,100", show_default=True, callback=token_list_or_zero,
              help="Needle grid: depths in percent.")
@click.option("--ttft-tokens", default="4096,8192,16384,30000", show_default=True,
              callback=token_list, help="Document sizes for the time-to-first-token table.")
@click.option("--grid/--no-grid", default=True, help="Run the needle grid.")
@click.option("--ttft/--no-ttft", default=True, help="Run the time-to-first-token table.")
@click.option("--ingest/--no-ingest", default=True, help="Run the ingestion speed test.")
@model_options
@reports_errors
def bench_context(json_path: Path | None, lengths: tuple[int, ...], depths: tuple[int, ...],
                  ttft_tokens: tuple[int, ...], grid: bool, ttft: bool, ingest: bool,
                  **model) -> None:
    """Needle-in-a-haystack accuracy, time to first token cold/warm/restored, ingestion speed."""
    choice = ModelChoice.from_options(**model)
    options = ContextBenchmarkOptions(
        model=choice.model, load=choice.load, lengths=lengths,
        depths=tuple(d / 100 for d in depths), ttft_tokens=ttft_tokens,
    )
    report = lambda line: click.echo(line, err=True)  # noqa: E731
    result = run_context_benchmark(options, longwit_home() / "models", report, grid, ttft)
    if ingest:
        result["ingestion"] = run_ingest_benchmark(report)
    click.echo(format_context_table(result))
    write_json(json_path, result)


@bench.command("voice")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results as JSON to this file.")
@click.option("--turns", type=click.IntRange(min=1), default=12, show_default=True,
              help="Scripted questions answered through the loop in real time.")
@click.option("--barge-ins", type=click.IntRange(min=0), default=3, show_default=True,
              help="Long answers the scripted person speaks over.")
@click.option("--echo-turns", type=click.IntRange(min=0), default=2, show_default=True,
              help="Answers played back into the microphone while the person is silent.")
@click.option("--max-tokens", type=click.IntRange(min=1), default=120, show_default=True)
@model_options
@reports_errors
def bench_voice(json_path: Path | None, turns: int, barge_ins: int, echo_turns: int, max_tokens: int,
                **model) -> None:
    """End of speech to first reply audio against a sequential pipeline and the floor; barge-in; echo."""
    from engine.chat_benchmark import machine
    from engine.generation import GenerationOptions
    from engine.model_host import ModelHost
    from engine.voice_respond import VOICE_SYSTEM_PROMPT, VoiceChat
    from media.speech_to_text import SpeechToText
    from media.text_to_speech import TextToSpeech
    from media.voice_benchmark import VoiceBenchmarkOptions, VoiceModels, run_voice_benchmark

    choice = ModelChoice.from_options(**model)
    report = lambda line: click.echo(line, err=True)  # noqa: E731
    report("Loading the model…")
    host = ModelHost(longwit_home() / "models")
    try:
        card = host.load(choice.model, choice.load)
        with tempfile.TemporaryDirectory(prefix="longwit-bench-voice-") as folder:
            chat = VoiceChat(host, Path(folder) / "voice.db", VOICE_SYSTEM_PROMPT,
                             GenerationOptions(max_tokens=max_tokens, temperature=0.0), recall=False)
            stt = SpeechToText()
            models = VoiceModels(stt, TextToSpeech(), chat.respond, chat.new_conversation, chat.alone,
                                 chat.retract)
            options = VoiceBenchmarkOptions(turns=turns, barge_ins=barge_ins, echo_turns=echo_turns)
            result = run_voice_benchmark(models, options, report)
    finally:
        host.close()
    result = {"model": card.name, "n_threads": card.n_threads, "gpu_layers": card.gpu_layers,
              "max_tokens": max_tokens, "speech_model": stt.options.model,
              "speech_device": str(stt.model.model.device), "voice": "joe (Piper, bundled)", **result}
    result["machine"] |= machine()
    click.echo(format_voice_table(result))
    write_json(json_path, result)


@bench.command("ui")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results as JSON to this file.")
@click.option("--model", "-m", default=None, metavar="NAME|PATH", help="Model to load in the window.")
@click.option("--answer-tokens", type=click.IntRange(min=1), default=160, show_default=True)
@click.option("--document-chars", type=click.IntRange(min=1000), default=600_000, show_default=True,
              help="Size of the generated document read and pre-filled.")
@click.option("--voice/--no-voice", default=True,
              help="Include a voice turn, dictation and reading aloud on the file backend.")
@reports_errors
def bench_ui(json_path: Path | None, model: str | None, answer_tokens: int, document_chars: int,
             voice: bool) -> None:
    """The window's longest and p99 event-loop stalls while loading, answering, reading and talking."""
    import os

    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.cli.bench_tables import format_ui_table
    from desktop.window.ui_benchmark import UiBenchmarkOptions, run_ui_benchmark

    options = UiBenchmarkOptions(model=model, answer_tokens=answer_tokens,
                                 document_chars=document_chars, voice=voice)
    result = run_ui_benchmark(options, lambda line: click.echo(line, err=True))
    click.echo(format_ui_table(result))
    write_json(json_path, result)


@bench.command("crash")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results (every kill point and what was found) as JSON to this file.")
@click.option("--points", type=click.IntRange(min=1), default=20, show_default=True,
              help="Kill points per workload: named crash points first, the rest spread over time.")
@click.option("--workload", "workloads", multiple=True, metavar="NAME",
              help="A workload to run; repeat for several (default: all of them).")
@click.option("--work", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Make the folders here and keep those of failed points (default: a temporary folder).")
@reports_errors
def bench_crash(json_path: Path | None, points: int, workloads: tuple[str, ...],
                work: Path | None) -> None:
    """Kill Longwit with SIGKILL mid-work, reopen, check nothing committed is lost, then go on."""
    from desktop.benchmarks.crash.runner import CrashHarnessError, CrashOptions, run_crash_benchmark
    from desktop.benchmarks.crash.workloads import WORKLOADS
    from desktop.cli.bench_tables import format_crash_table

    options = CrashOptions(workloads=workloads or tuple(WORKLOADS), points=points, work=work)
    try:
        result = run_crash_benchmark(options, lambda line: click.echo(line, err=True))
    except CrashHarnessError as error:
        raise click.ClickException(str(error)) from error
    click.echo(format_crash_table(result))
    write_json(json_path, result)


def bucket_list(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, ...]:
    from engine.evaluation.corpus import BUCKETS

    chosen = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [b for b in chosen if b not in BUCKETS]
    if not chosen or unknown:
        raise click.BadParameter(f"use sizes from {', '.join(BUCKETS)}, separated by commas")
    return chosen


def packing_overrides(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> dict:
    from dataclasses import fields

    from engine.context_packer import PackingOptions

    known = {f.name: type(getattr(PackingOptions(), f.name)) for f in fields(PackingOptions)}
    overrides: dict = {}
    for value in values:
        name, _, raw = value.partition("=")
        kind = known.get(name.strip())
        kind = int if kind is type(None) else kind  # usable_tokens: None by default
        if kind is None or not raw:
            raise click.BadParameter(f"use FIELD=VALUE with FIELD one of {', '.join(sorted(known))}")
        try:
            overrides[name.strip()] = (raw.strip().lower() in ("1", "true", "yes")) if kind is bool \
                else kind(raw)
        except ValueError as error:
            raise click.BadParameter(f"{value}: {error}") from error
    return overrides


@bench.command("answers")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results (every question and answer) as JSON to this file.")
@click.option("--model", "-m", "models", multiple=True, metavar="NAME|PATH",
              help="A model to evaluate; repeat for several (default: both bundled models).")
@click.option("--sizes", default="page,section,article,book", show_default=True,
              callback=bucket_list, help="Document sizes to include.")
@click.option("--questions", type=click.IntRange(min=1), default=40, show_default=True,
              help="Questions per size.")
@click.option("--per-document", type=click.IntRange(min=1), default=None,
              help="At most this many questions per document (a quick look).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Which paragraphs and questions are drawn; another seed gives held-out ones.")
@click.option("--baseline/--no-baseline", default=True, help="Run the naive baseline beside.")
@click.option("--packing", "packing", multiple=True, callback=packing_overrides, metavar="FIELD=VALUE",
              help="Change a packing option to measure its part, e.g. evidence_windows=0, "
                   "passage_context=false, neighbours=0; repeatable.")
@click.option("--threads", "n_threads", type=click.IntRange(min=1), default=None,
              help="CPU threads for the model (default: all cores).")
@click.option("--deliberate", type=click.IntRange(min=2, max=20), default=None, metavar="K",
              help="Answer in deliberate mode: K samples, the one most agree with shown.")
@reports_errors
def bench_answers(json_path: Path | None, models: tuple[str, ...], sizes: tuple[str, ...],
                  questions: int, per_document: int | None, seed: int, baseline: bool,
                  packing: dict, n_threads: int | None, deliberate: int | None) -> None:
    """Accuracy on real documents with human-written questions, against a naive BM25 baseline."""
    from desktop.benchmarks.answers import BUNDLED_MODELS, AnswerBenchmarkOptions, run_answer_benchmark
    from desktop.cli.answer_report import format_answers_table, summarize
    from engine.evaluation.corpus import CorpusOptions
    from engine.loader import LoadOptions

    corpus = CorpusOptions(seed=seed, questions_per_bucket=questions, buckets=sizes)
    options = AnswerBenchmarkOptions(models=models or BUNDLED_MODELS, corpus=corpus,
                                     questions_per_document=per_document, baseline=baseline,
                                     packing=packing, load=LoadOptions(n_threads=n_threads),
                                     deliberate=deliberate)
    result = run_answer_benchmark(options, longwit_home() / "models",
                                  lambda line: click.echo(line, err=True))
    result["summary"] = summarize(result["records"])
    click.echo(format_answers_table(result))
    write_json(json_path, result)


@bench.command("recall")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results (every question and answer) as JSON to this file.")
@click.option("--model", "-m", default=None, metavar="NAME|PATH", help="The model (default: the chat model).")
@click.option("--questions", type=click.IntRange(min=2), default=30, show_default=True,
              help="Questions about stored paragraphs (half in earlier conversations, half in "
                   "documents).")
@click.option("--controls", type=click.IntRange(min=0), default=6, show_default=True,
              help="Questions about paragraphs that were never stored.")
@click.option("--seed", type=int, default=0, show_default=True, help="Which paragraphs and questions.")
@reports_errors
def bench_recall(json_path: Path | None, model: str | None, questions: int, controls: int,
                 seed: int) -> None:
    """Answers with recall of earlier conversations and documents, against the same questions
    asked with recall off."""
    from desktop.benchmarks.recall import RecallBenchmarkOptions, format_recall_table, run_recall_benchmark

    options = RecallBenchmarkOptions(model=model, questions=questions, controls=controls, seed=seed)
    result = run_recall_benchmark(options, longwit_home() / "models",
                                  lambda line: click.echo(line, err=True))
    click.echo(format_recall_table(result))
    write_json(json_path, result)


STEPS_MIN = 10  # the database grows in ten steps


@bench.command("soak")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results as JSON to this file.")
@click.option("--model", "-m", default=None, metavar="NAME|PATH", help="The model (default: the chat model).")
@click.option("--conversations", type=click.IntRange(min=STEPS_MIN), default=200, show_default=True)
@click.option("--turns", type=click.IntRange(min=1), default=20, show_default=True,
              help="Turns per conversation.")
@click.option("--documents", type=click.IntRange(min=STEPS_MIN), default=300, show_default=True)
@click.option("--long-turns", type=click.IntRange(min=1), default=2000, show_default=True,
              help="Turns of the conversation far longer than the window.")
@click.option("--chat-turns", type=click.IntRange(min=1), default=150, show_default=True,
              help="Turns of the long chat whose memory is watched.")
@click.option("--voice-turns", type=click.IntRange(min=0), default=30, show_default=True,
              help="Questions of the long voice call (real time; 0: none).")
@reports_errors
def bench_soak(json_path: Path | None, model: str | None, conversations: int, turns: int,
               documents: int, long_turns: int, chat_turns: int, voice_turns: int) -> None:
    """Long use: a database grown to thousands of turns and hundreds of documents, a conversation
    far past the window, and memory over a long chat and a long voice call."""
    from desktop.benchmarks.soak import SoakOptions, format_soak_table, run_soak_benchmark

    options = SoakOptions(model=model, conversations=conversations, turns=turns, documents=documents,
                          long_turns=long_turns, chat_turns=chat_turns, voice_turns=voice_turns)
    result = run_soak_benchmark(options, longwit_home() / "models",
                                lambda line: click.echo(line, err=True))
    click.echo(format_soak_table(result))
    write_json(json_path, result)
