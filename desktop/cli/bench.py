"""`longwit bench …`: run a benchmark, print its table, and write its JSON with --json PATH."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import click

from desktop.cli.bench_tables import format_chat_table, format_context_table, format_voice_table
from desktop.cli.support import ModelChoice, fail, model_options, reports_errors
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
                                 chat.retract, chat.release_thread)
            options = VoiceBenchmarkOptions(turns=turns, barge_ins=barge_ins, echo_turns=echo_turns)
            try:
                result = run_voice_benchmark(models, options, report)
            finally:
                chat.release_thread()  # this thread's connection (each new conversation's)
                chat.close()  # the state cache's, on the model's thread
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
@click.option("--parallel", type=click.IntRange(min=1), default=1, show_default=True,
              help="Kill points tried at once, the cores shared out among them (with 1, each run's "
                   "time is its own).")
@reports_errors
def bench_crash(json_path: Path | None, points: int, workloads: tuple[str, ...],
                work: Path | None, parallel: int) -> None:
    """Kill Longwit with SIGKILL mid-work, reopen, check nothing committed is lost, then go on."""
    from desktop.benchmarks.crash.runner import CrashHarnessError, CrashOptions, run_crash_benchmark
    from desktop.benchmarks.crash.workloads import WORKLOADS
    from desktop.cli.bench_tables import format_crash_table

    options = CrashOptions(workloads=workloads or tuple(WORKLOADS), points=points, work=work,
                           parallel=parallel)
    try:
        result = run_crash_benchmark(options, lambda line: click.echo(line, err=True))
    except CrashHarnessError as error:
        raise click.ClickException(str(error)) from error
    click.echo(format_crash_table(result))
    write_json(json_path, result)


def names_from(value: str, allowed: Iterable[str], what: str, or_all: bool = False) -> tuple[str, ...]:
    """A comma-separated choice of names, each one of `allowed`; with `or_all`, "all" is every one.
    The option callbacks below import what they choose from only when that option is given."""
    allowed = tuple(allowed)
    if or_all and value.strip() == "all":
        return allowed
    chosen = tuple(part.strip() for part in value.split(",") if part.strip())
    if not chosen or any(name not in allowed for name in chosen):
        raise click.BadParameter(f"use {what} from {', '.join(allowed)}, separated by commas"
                                 + (", or all" if or_all else ""))
    return chosen


def bucket_list(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, ...]:
    from engine.evaluation.corpus import BUCKETS

    return names_from(value, BUCKETS, "sizes")


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
@click.option("--off-document", type=click.IntRange(min=0), default=1, show_default=True,
              help="Hand-written questions about what an article never mentions, added per article "
                   "of each document and reported apart (0: none).")
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
                  off_document: int, packing: dict, n_threads: int | None,
                  deliberate: int | None) -> None:
    """Accuracy on real documents with human-written questions, against a naive BM25 baseline."""
    from desktop.benchmarks.answers import BUNDLED_MODELS, AnswerBenchmarkOptions, run_answer_benchmark
    from desktop.cli.answer_report import format_answers_table, summarize
    from engine.evaluation.corpus import CorpusOptions
    from engine.loader import LoadOptions

    corpus = CorpusOptions(seed=seed, questions_per_bucket=questions, buckets=sizes,
                           off_document=off_document)
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


def part_list(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, ...]:
    from desktop.benchmarks.memory_bench import PARTS

    return names_from(value, PARTS, "parts")


@bench.command("memory")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results (every fact, question and answer) as JSON to this file.")
@click.option("--model", "-m", default=None, metavar="NAME|PATH", help="The model (default: the chat model).")
@click.option("--parts", default="memory,deliberate,meter", show_default=True, callback=part_list,
              help="Which parts to run.")
@click.option("--facts", type=click.IntRange(min=1, max=16), default=16, show_default=True,
              help="Scripted facts told and asked about (the first N of 16).")
@click.option("--spoken/--no-spoken", default=True, show_default=True,
              help="Also tell the facts and ask the questions aloud through the voice loop (real time).")
@click.option("--arithmetic", type=click.IntRange(min=0), default=20, show_default=True,
              help="Arithmetic questions for deliberate mode.")
@click.option("--reading", type=click.IntRange(min=0, max=20), default=10, show_default=True,
              help="Questions about one page of a SQuAD article for deliberate mode.")
@click.option("--deliberate", "samples", type=click.IntRange(min=2, max=20), default=5,
              show_default=True, metavar="K", help="Deliberate mode's samples per question.")
@click.option("--meter-tokens", type=click.IntRange(min=16), default=4096, show_default=True,
              help="Tokens of an article the meter and the plain pre-fill read (capped by the window).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Which sums, which page and which article.")
@reports_errors
def bench_memory(json_path: Path | None, model: str | None, parts: tuple[str, ...], facts: int,
                 spoken: bool, arithmetic: int, reading: int, samples: int, meter_tokens: int,
                 seed: int) -> None:
    """Facts told in earlier conversations (typed and spoken) asked with memory on and off;
    deliberate mode against one sample; the compression meter against plain pre-fill.

    The default run took 9 minutes on two CPU cores, about half of it the spoken facts and
    questions, which play in real time (--no-spoken: about 4-5). Ctrl-C stops it and prints what
    was measured."""
    from desktop.benchmarks.memory_bench import (
        MemoryBenchmarkOptions,
        format_memory_table,
        run_memory_benchmark,
    )

    options = MemoryBenchmarkOptions(model=model, parts=parts, facts=facts, spoken=spoken,
                                     arithmetic=arithmetic, reading=reading, samples=samples,
                                     meter_tokens=meter_tokens, seed=seed)
    result = run_memory_benchmark(options, longwit_home() / "models",
                                  lambda line: click.echo(line, err=True))
    click.echo(format_memory_table(result))
    write_json(json_path, result)
    if result["interrupted"]:
        raise KeyboardInterrupt


STEPS_MIN = 10  # the database grows in ten steps


def workload_list(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, ...]:
    from desktop.benchmarks.crash.workloads import WORKLOADS

    return names_from(value, WORKLOADS, "workloads", or_all=True)


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
@click.option("--fuzz-cases", type=click.IntRange(min=0), default=8000, show_default=True,
              help="Damaged files, hostile conversations, answers and API bodies fed to the app's "
                   "code, spread over the four (about a minute on two cores; 0: none).")
@click.option("--kill-points", type=click.IntRange(min=0), default=1, show_default=True,
              help="SIGKILL points per crash workload, as `bench crash` tries them (0: none). Each "
                   "workload first runs to its end once; each point is another run, checked, then "
                   "`history` and an `ask`: with one point, about 20 s a workload on two cores, "
                   "a few minutes for all eight.")
@click.option("--crash-workloads", default="all", show_default=True, callback=workload_list,
              help="The crash workloads the kill points are tried on, separated by commas.")
@click.option("--ctx", "n_ctx", type=click.IntRange(min=256), default=None, metavar="N",
              help="Context length in tokens (default: the model's, capped by memory).")
@reports_errors
def bench_soak(json_path: Path | None, model: str | None, conversations: int, turns: int,
               documents: int, long_turns: int, chat_turns: int, voice_turns: int,
               fuzz_cases: int, kill_points: int, crash_workloads: tuple[str, ...],
               n_ctx: int | None) -> None:
    """Long use: a database grown to thousands of turns and hundreds of documents, a conversation
    far past the window, memory over a long chat and a long voice call, fuzzing and kill points.
    Exits 1 when anything failed, after the table and the JSON."""
    from desktop.benchmarks.soak import SoakOptions, run_soak_benchmark
    from desktop.benchmarks.soak_report import format_soak_table
    from engine.loader import LoadOptions

    options = SoakOptions(model=model, conversations=conversations, turns=turns, documents=documents,
                          long_turns=long_turns, chat_turns=chat_turns, voice_turns=voice_turns,
                          fuzz_cases=fuzz_cases, kill_points=kill_points,
                          crash_workloads=crash_workloads, load=LoadOptions(n_ctx=n_ctx))
    result = run_soak_benchmark(options, longwit_home() / "models",
                                lambda line: click.echo(line, err=True))
    click.echo(format_soak_table(result))
    write_json(json_path, result)
    if result["failures"]:
        count = len(result["failures"])
        fail(f"the soak found {count} failure{'s' * (count != 1)} (listed above"
             f"{' and in ' + str(json_path) if json_path else ''})")


@bench.command("engines")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results as JSON to this file.")
@click.option("--model", "-m", default=None, metavar="NAME|PATH", help="The model (default: the chat model).")
@click.option("--threads", "n_threads", type=click.IntRange(min=1), default=None,
              help="CPU threads for each way alike (default: all cores).")
@click.option("--repeats", type=click.IntRange(min=1), default=3, show_default=True,
              help="Runs per prompt; the median is reported.")
@click.option("--answer-tokens", type=click.IntRange(min=2), default=64, show_default=True)
@click.option("--long-prompt-tokens", type=click.IntRange(min=64), default=1000, show_default=True)
@reports_errors
def bench_engines(json_path: Path | None, model: str | None, n_threads: int | None, repeats: int,
                  answer_tokens: int, long_prompt_tokens: int) -> None:
    """Download throughput and resume after a cut connection; answers through llama.cpp's server
    and `longwit serve` against the same model in-process."""
    from desktop.benchmarks.engines.runner import EnginesOptions, format_engines_table, run_engines_benchmark

    options = EnginesOptions(n_threads=n_threads, repeats=repeats, answer_tokens=answer_tokens,
                             long_prompt_tokens=long_prompt_tokens)
    if model:
        options = replace(options, model=model)
    result = run_engines_benchmark(options, longwit_home() / "models",
                                   lambda line: click.echo(line, err=True))
    click.echo(format_engines_table(result))
    write_json(json_path, result)


def shape_list(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, ...]:
    from engine.model_shapes import SHAPES

    return names_from(value, SHAPES, "shapes")


def kv_list(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, ...]:
    from engine.gguf_file import KV_TYPE_BYTES

    return names_from(value, KV_TYPE_BYTES, "KV cache types")


def context_list(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, ...]:
    # Each cell pre-fills its window but for a question's room, and the state cache saves no
    # prefix shorter than 256 tokens.
    return token_list(ctx, param, value, minimum=512)


@bench.command("shapes")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results as JSON to this file.")
@click.option("--shapes", default="1.5b,4b,8b", show_default=True, callback=shape_list,
              help="Model shapes: 1.5b (Qwen2.5-1.5B), 4b (Qwen3-4B), 8b (Llama-3.1-8B), tiny.")
@click.option("--contexts", default="4096,16384,32768", show_default=True, callback=context_list,
              help="Context lengths, each filled with a document-sized prefix.")
@click.option("--kv", "kv_types", default="f16,q8_0", show_default=True, callback=kv_list,
              help="KV cache types (a quantized one uses flash attention).")
@click.option("--scratch", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the generated GGUFs here for later runs (default: a temporary folder, "
                   "deleted at the end).")
@click.option("--max-cell-minutes", type=click.FloatRange(min=0.1), default=15.0, show_default=True,
              help="Skip a context whose pre-fill would take longer.")
@click.option("--threads", "n_threads", type=click.IntRange(min=1), default=None,
              help="CPU threads (default: all cores).")
@reports_errors
def bench_shapes(json_path: Path | None, shapes: tuple[str, ...], contexts: tuple[int, ...],
                 kv_types: tuple[str, ...], scratch: Path | None, max_cell_minutes: float,
                 n_threads: int | None) -> None:
    """Synthetic models of real shapes: load, memory against the picker's estimate, pre-fill
    speed, saved-state size and restore against cold pre-fill, and the state cache's cap."""
    from desktop.benchmarks.shape_report import format_shapes_table
    from desktop.benchmarks.shapes import ShapesOptions, run_shapes_benchmark

    options = ShapesOptions(shapes=shapes, contexts=contexts, kv_types=kv_types, scratch=scratch,
                            n_threads=n_threads, max_cell_minutes=max_cell_minutes)
    result = run_shapes_benchmark(options, lambda line: click.echo(line, err=True))
    click.echo(format_shapes_table(result))
    write_json(json_path, result)
    if result["interrupted"]:
        raise KeyboardInterrupt
