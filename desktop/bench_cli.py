"""`longwit bench …`: run a benchmark, print its table, and write its JSON with --json PATH."""

from __future__ import annotations

import json
from pathlib import Path

import click

from desktop.bench_tables import format_chat_table, format_context_table
from desktop.cli_support import ModelChoice, model_options, reports_errors
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
