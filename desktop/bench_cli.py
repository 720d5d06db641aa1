"""`longwit bench …`: run a benchmark, print its table, and write its JSON with --json PATH."""

from __future__ import annotations

import json
from pathlib import Path

import click

from desktop.bench_tables import format_chat_table
from desktop.cli_support import ModelChoice, model_options, reports_errors
from engine.chat_benchmark import ChatBenchmarkOptions, run_chat_benchmark
from storage import longwit_home


def token_list(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[int, ...]:
    try:
        numbers = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError as error:
        raise click.BadParameter("use token counts separated by commas, e.g. 256,1024") from error
    if not numbers or min(numbers) < 1:
        raise click.BadParameter("give at least one positive token count")
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
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(result, indent=2) + "\n")
        click.echo(f"Wrote {json_path}", err=True)
