"""`longwit probe`: measure how much of its context a model really reads, show it, and keep it.

The grid runs on the model's thread; progress goes to stderr, one line per cell. Ctrl-C stops the
probe inside the pre-fill or the answer in progress, stores nothing and exits with 130. A finished
probe is stored for the model file (ProbeStore), printed as a table, and written as JSON with --json.
"""

from __future__ import annotations

import threading
from pathlib import Path

import click

from desktop.cli.bench import token_list, write_json
from desktop.cli.support import ModelChoice, model_options, open_store, reports_errors, start_model
from engine.context_probe import probe_context
from engine.probe_records import ProbeCancelled, ProbeOptions, ProbeResult, short_tokens, store_probe
from storage import ProbeStore


def depth_list(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[float, ...] | None:
    if value is None:
        return None
    depths = token_list(ctx, param, value, minimum=0)
    if max(depths) > 100:
        raise click.BadParameter("depths are percentages, from 0 to 100")
    return tuple(d / 100 for d in depths)


def optional_token_list(ctx: click.Context, param: click.Parameter,
                        value: str | None) -> tuple[int, ...] | None:
    return None if value is None else token_list(ctx, param, value)


def format_grid(result: ProbeResult) -> str:
    """One row per length: each depth's planted fact (✓/✗) and real questions right, then the
    length's verdict."""
    depths = sorted({cell.depth for cell in result.cells})
    header = f"{'tokens':>8}  " + "".join(f"{f'depth {d:.0%}':<14}" for d in depths) + "real     verdict"
    lines = [header]
    for length in result.lengths:
        cells = {c.depth: c for c in result.cells if c.length == length.length}
        shown = ""
        for depth in depths:
            cell = cells.get(depth)
            mark = f"{'✓' if cell.planted_found else '✗'} {cell.real[0]}/{cell.real[1]}" if cell else "-"
            shown += f"{mark:<14}"
        real = f"{length.real_correct}/{length.real_asked}"
        verdict = "reliable" if length.passed else "fails"
        lines.append(f"{length.length:>8,}  {shown}{real:<9}{verdict}")
    lines.append("(per depth: the planted fact found ✓ or missed ✗, and the real SQuAD questions "
                 f"answered right, from \"{result.question_article}\")")
    return "\n".join(lines)


def summary(result: ProbeResult) -> str:
    full = result.prefill_tokens >= result.window_tokens * 0.9
    timed = "a full window pre-fills" if full else f"{result.prefill_tokens:,} tokens pre-fill"
    line = (f"usable context: {result.usable_tokens:,} tokens of {result.n_ctx:,}; {timed} in "
            f"{result.prefill_s:.1f} s ({result.prefill_tokens_per_s:,.0f} tok/s)")
    if result.stopped_early:
        line += f"\n(stopped after {short_tokens(result.lengths[-1].length)} failed: longer is pointless)"
    if result.lengths and result.lengths[0].real_correct == 0:
        line += ("\n(no real question was answered right even at the shortest length, so only the "
                 "planted facts decided)")
    return line


@click.command("probe")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the whole grid as JSON to this file.")
@click.option("--lengths", default=None, callback=optional_token_list, hidden=True,
              help="Document lengths in tokens (default: 1K doubling up to the window).")
@click.option("--depths", default=None, callback=depth_list, hidden=True,
              help="Depths in percent (default: 10,50,90).")
@click.option("--paragraphs", type=click.IntRange(min=1, max=6), default=None, hidden=True,
              help="Real SQuAD paragraphs asked about per cell (default: 3).")
@click.option("--full-grid", is_flag=True, hidden=True,
              help="Go on to longer lengths after one fails.")
@click.option("--time-window/--no-time-window", default=True, hidden=True,
              help="Time a full window's pre-fill when no cell was one.")
@model_options
@reports_errors
def probe(json_path: Path | None, lengths: tuple[int, ...] | None, depths: tuple[float, ...] | None,
          paragraphs: int | None, full_grid: bool, time_window: bool, **model) -> None:
    """Measure how long a document the model reads reliably (planted facts and real questions at
    growing lengths), store it for the model file, and print the grid."""
    defaults = ProbeOptions()
    options = ProbeOptions(
        lengths=lengths, depths=depths or defaults.depths,
        real_paragraphs=paragraphs or defaults.real_paragraphs,
        stop_after_failure=not full_grid, time_full_window=time_window,
    )
    store = open_store()
    click.echo("Loading the model…", err=True)
    host, card = start_model(ModelChoice.from_options(**model), store)
    click.echo(f"Probing {card.name} with a {card.n_ctx:,}-token window…", err=True)
    cancel = threading.Event()
    try:
        result = host.call(lambda loaded: probe_context(
            loaded, options, lambda _fraction, line: click.echo(line, err=True), cancel))
    except (KeyboardInterrupt, ProbeCancelled):
        cancel.set()  # the model's thread stops at its next check, inside llama.cpp if need be
        raise KeyboardInterrupt from None
    finally:
        host.close()
    store_probe(ProbeStore(store.db), result)
    click.echo(format_grid(result))
    click.echo(summary(result))
    click.echo(f"Probed in {result.seconds:.0f} s; stored for {result.path}.", err=True)
    write_json(json_path, result.to_json())
