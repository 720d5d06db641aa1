"""`longwit models`: the models on this machine, and `models catalogue` / `models get` for the ones
Longwit can download; `models --engine URL`, the models a remote OpenAI-compatible server offers.

Downloading is the only network access Longwit makes on its own, and only here (and in the window's
model picker), when a person asks for it; the other is the server a person names with --engine.
A download shows Click's progress bar on stderr; Ctrl-C keeps what arrived in `NAME.gguf.part`,
and the same command resumes it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import llama_cpp
import psutil

from desktop.cli.support import EXIT_INTERRUPTED, fail, open_store, reports_errors
from desktop.memory_estimate import estimate_memory, fit_text, size_text
from engine.catalog import BUNDLED, DEFAULT_MODEL
from engine.download_progress import DownloadProgress, byte_text
from engine.errors import EngineError
from engine.gguf_file import read_gguf_info
from engine.loader import gpu_offload_supported
from engine.model_catalogue import file_name_of, find_entry, load_catalogue
from engine.model_download import DownloadRequest, download_model, shown_url
from engine.partial_download import PartialDownload
from engine.probe_records import describe_probe
from engine.remote.api_key import find_api_key
from engine.remote.client import EngineClient, EngineTimeouts
from engine.remote.remote_model import list_models as list_served_models
from storage import ModelUseLog, ProbeStore, longwit_home


def models_folder() -> Path:
    return longwit_home() / "models"


def gpu_line() -> str:
    if gpu_offload_supported():
        return "GPU offload: yes (this llama.cpp build can offload layers to a GPU)"
    return ("GPU offload: no (CPU-only build of llama.cpp; see the README to rebuild with "
            "CUDA, Metal or Vulkan)")


@click.group(invoke_without_command=True)
@click.option("--engine", default=None, envvar="LONGWIT_ENGINE", metavar="URL",
              help="List the models an OpenAI-compatible server offers instead.")
@click.option("--engine-timeout", type=click.FloatRange(min=0.1), default=EngineTimeouts.read_s,
              show_default=True, metavar="SECONDS", help="With --engine: the longest wait.")
@click.pass_context
@reports_errors
def models(ctx: click.Context, engine: str | None, engine_timeout: float) -> None:
    """Bundled models, recently used ones, how much of their context each really reads (as
    `longwit probe` measured it), and whether this build can use a GPU; `models catalogue` and
    `models get` list and download others; `--engine URL`, a server's models."""
    if ctx.invoked_subcommand is None:
        if engine:
            list_engine_models(engine, engine_timeout)
        else:
            list_models()


def list_engine_models(url: str, read_s: float) -> None:
    """The server's /v1/models, with each model's window where the server gives it."""
    client = EngineClient(url, find_api_key(url), EngineTimeouts(read_s=read_s))
    try:
        served = list_served_models(client)
    finally:
        client.close()
    click.echo(f"Models at {client.url}:" if served else f"The engine at {client.url} lists no models.")
    for model in served:
        context = f"{model.context:,} tokens" if model.context else ""
        click.echo(f"  {model.id:<40} {context}".rstrip())
    if served:
        click.echo(f"Use one with `longwit chat --engine {client.url} --model NAME`.")


def list_models() -> None:
    models_dir = models_folder()
    store = open_store()
    probes = ProbeStore(store.db)
    click.echo("Bundled models:")
    for name, bundled in BUNDLED.items():
        probed = ""
        try:
            path = bundled.locate(models_dir)
            info = read_gguf_info(path)
            context = f"{info.context_length:,} tokens"
            probed = f"\n  {'':<24} {describe_probe(probes.get(path), name, path)}"
        except (FileNotFoundError, ImportError, EngineError) as error:
            context = f"not installed ({type(error).__name__})"
        default = " (default)" if name == DEFAULT_MODEL else ""
        click.echo(f"  {name:<24} {context:<16} {bundled.description}{default}{probed}")
    downloaded = [entry for entry in load_catalogue() if entry.is_downloaded(models_dir)]
    if downloaded:
        click.echo("Downloaded from the catalogue:")
        for entry in downloaded:
            click.echo(f"  {entry.name:<24} {entry.context_length:<8,} {entry.title}, {entry.quantization}")
    recent = ModelUseLog(store.db).recent()
    if recent:
        click.echo("Recently used:")
        for use in recent:
            click.echo(f"  {use.name:<24} {use.last_used[:16].replace('T', ' ')}  "
                       f"ctx {use.n_ctx or '?':<6} {use.path}")
            named = use.name if use.name in BUNDLED else use.path
            click.echo(f"  {'':<24} {describe_probe(probes.get(use.path), named, use.path)}")
    click.echo(gpu_line())
    click.echo(f"llama.cpp: llama-cpp-python {llama_cpp.__version__}")
    click.echo("More models: `longwit models catalogue`.")


@models.command()
@reports_errors
def catalogue() -> None:
    """Models Longwit can download: size, licence, context, whether each fits this machine's memory
    now (the model picker's estimate), and whether it is already downloaded."""
    models_dir = models_folder()
    available = psutil.virtual_memory().available
    on_gpu = gpu_offload_supported()
    header = ("NAME", "PARAMS", "QUANT", "SIZE", "LICENCE", "CONTEXT", "ON THIS MACHINE", "DOWNLOADED")
    rows = [header]
    for entry in load_catalogue():
        estimate = estimate_memory(entry.expected_header(models_dir), None, "f16", on_gpu, available)
        if entry.is_downloaded(models_dir):
            here = "yes"
        else:
            part = PartialDownload(entry.target(models_dir)).kept()
            here = f"{byte_text(part.stat().st_size)} so far" if part else "no"
        rows.append((entry.name, entry.parameters, entry.quantization, byte_text(entry.size_bytes),
                     entry.licence, f"{entry.context_length:,}", fit_text(estimate), here))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    click.echo(f"\n{size_text(available)} of memory available now. `longwit models get NAME` downloads "
               f"a model into {models_dir}; nothing is downloaded unless you ask.")


class DownloadBar:
    """Click's progress bar on stderr with bytes, speed and time left, made at the first report that
    knows the file's size (a server says it only once asked); silent when stderr is not a terminal,
    so that a script sees only the result or one error line."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar = None
        self.shown = 0
        self.terminal = sys.stderr.isatty()

    def __call__(self, progress: DownloadProgress) -> None:
        if not self.terminal:
            return
        if progress.stage == "checking":
            click.echo(progress.describe(), err=True)
            return
        if self.bar is None:
            if progress.total is None:
                return
            self.bar = click.progressbar(length=progress.total, label=self.label, width=24,
                                         file=sys.stderr, show_eta=False,
                                         item_show_func=lambda text: text)
            self.bar.__enter__()
        self.bar.update(progress.done - self.shown, progress.describe())
        self.shown = progress.done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def download_request(source: str, sha256: str | None, file_name: str | None,
                     models_dir: Path) -> tuple[DownloadRequest, str, str]:
    """(the request, a label for the bar, the command that downloads it again)."""
    if "://" not in source:
        if sha256 is not None or file_name is not None:
            fail("--sha256 and --name go with a URL; a catalogue model has its own.")
        entry = find_entry(source)
        return DownloadRequest.for_entry(entry, models_dir), entry.title, f"longwit models get {entry.name}"
    if sha256 is None:
        fail("A URL needs the file's SHA-256: add --sha256 HEX (from the page that offers the file), "
             "so that it can be checked before it is ever loaded.")
    name = file_name or file_name_of(source)
    if not name or Path(name).name != name or name in (".", ".."):
        fail(f"{name!r} cannot be a file name in the models folder; give one with --name FILE.gguf.")
    name = name if name.endswith(".gguf") else f"{name}.gguf"
    again = f"longwit models get {shown_url(source)} --sha256 {sha256}"
    return DownloadRequest(source, sha256, models_dir / name), name, again


@models.command()
@click.argument("source", metavar="NAME|URL")
@click.option("--sha256", default=None, metavar="HEX",
              help="The file's SHA-256, needed with a URL (a mirror or a local server).")
@click.option("--name", "file_name", default=None, metavar="FILE",
              help="The file's name in the models folder, for a URL (default: the URL's last part).")
@reports_errors
def get(source: str, sha256: str | None, file_name: str | None) -> None:
    """Download a catalogue model by NAME (see `longwit models catalogue`), or any GGUF by URL with
    --sha256, into the models folder. The file is checked (SHA-256, GGUF header) before it gets its
    name; Ctrl-C keeps what arrived, and the same command resumes it."""
    models_dir = models_folder()
    request, label, again = download_request(source, sha256, file_name, models_dir)
    bar = DownloadBar(label)
    try:
        path = download_model(request, progress=bar)
    except KeyboardInterrupt:
        bar.close()
        kept = PartialDownload(request.target).kept()
        what = f"{byte_text(kept.stat().st_size)} kept in {kept}" if kept else "nothing was kept"
        click.echo(f"\nDownload stopped; {what}. Run `{again}` to resume.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        bar.close()
    click.echo(path)
    model = path if "://" in source else source  # a catalogue model is known by its name too
    click.echo(f"Checked and ready; chat with it: longwit chat --model {model}", err=True)
