"""`longwit compress FILE…`: how well the model compresses each document (bits per byte and per
token, against its words shuffled) and the passages it finds most surprising.

Each file is read like a dropped document (any format Longwit reads) and cut into the same chunks,
so a surprising passage is named by its page or section. Progress goes to stderr; Ctrl-C stops the
measurement inside llama.cpp's next batch and exits with 130.
"""

from __future__ import annotations

import threading
from pathlib import Path

import click

from desktop.cli.bench import write_json
from desktop.cli.support import ModelChoice, model_options, open_store, reports_errors, start_model
from engine.compression_meter import CompressionReport, MeterOptions, MeterPassage, measure_compression
from engine.errors import ScoringCancelled
from media.chunking import chunk_document
from media.read_document import read_document

SNIPPET_CHARS = 160


def document_passages(path: Path) -> tuple[str, list[MeterPassage]]:
    """The document's title and its chunks, each labelled with its place."""
    document = read_document(path)
    return document.title, [MeterPassage(chunk.text, chunk.location.label())
                            for chunk in chunk_document(document)]


def snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"


def format_report(report: CompressionReport) -> str:
    text, shuffled = report.text, report.shuffled
    lines = [
        f"{report.name}: {text.bytes:,} bytes, {text.tokens:,} tokens under {report.model}",
        f"  bits per byte   {text.bits_per_byte:.3f}"
        + (f"   (words shuffled: {shuffled.bits_per_byte:.3f})" if shuffled else ""),
        f"  bits per token  {text.bits_per_token:.3f}"
        + (f"   (words shuffled: {shuffled.bits_per_token:.3f})" if shuffled else ""),
        f"  compressed to   {1 / report.compression_ratio:.1%} of its size (×{report.compression_ratio:.1f})",
    ]
    if report.order_saves is not None:
        lines.append(f"  the word order saves {report.order_saves:.0%} of the shuffled copy's bits")
    if report.most_surprising:
        lines.append("  most surprising passages (bits per byte; the document's average "
                     f"{text.bits_per_byte:.2f}):")
        for passage in report.most_surprising:
            lines.append(f"    {passage.bits_per_byte:.2f}  {passage.label}: {snippet(passage.text)}")
    return "\n".join(lines)


@click.command("compress")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--top", type=click.IntRange(min=0), default=5, show_default=True,
              help="How many of the most surprising passages to show.")
@click.option("--baseline/--no-baseline", default=True, show_default=True,
              help="Also measure the same words shuffled (twice the time).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write every figure, passage by passage, as JSON to this file.")
@model_options
@reports_errors
def compress(files: tuple[Path, ...], top: int, baseline: bool, json_path: Path | None,
             **model) -> None:
    """How well the model compresses each document, against its words shuffled, and where it is
    most surprised."""
    documents = [(path, *document_passages(path)) for path in files]
    click.echo("Loading the model…", err=True)
    host, card = start_model(ModelChoice.from_options(**model), open_store())
    options = MeterOptions(shuffled_baseline=baseline, most_surprising=top)
    cancel = threading.Event()
    reports = []
    try:
        for path, title, passages in documents:
            shown = [-1]

            def progress(fraction: float, what: str, name: str = path.name,
                         shown: list[int] = shown) -> None:
                percent = int(fraction * 100)
                if percent // 10 != shown[0] // 10:
                    shown[0] = percent
                    click.echo(f"{name}: {percent}% ({what})", err=True)

            reports.append(host.call(lambda loaded, title=title, passages=passages, progress=progress:
                                     measure_compression(loaded, title, passages, options,
                                                         progress, cancel)))
    except (KeyboardInterrupt, ScoringCancelled):
        cancel.set()
        raise KeyboardInterrupt from None
    finally:
        host.close()
    for report in reports:
        click.echo(format_report(report))
        click.echo(f"  measured in {report.seconds:.1f} s "
                   f"({report.text.tokens * (2 if report.shuffled else 1) / max(report.seconds, 1e-9):,.0f}"
                   " tokens/s)", err=True)
    write_json(json_path, {"model": card.name, "n_ctx": card.n_ctx,
                           "documents": [r.to_json() for r in reports]})
