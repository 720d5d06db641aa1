"""What every command shares: the model options, opening the database and the model, starting the
log, and turning errors into one line and an exit code (a traceback is a bug: it goes to the log,
and the line says where)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
import sqlite_utils

from desktop.diagnostics.error_report import report_error
from desktop.diagnostics.log_file import start_log
from engine.gguf_file import KV_TYPE_BYTES
from engine.loader import LoadOptions
from engine.model_host import ModelCard, ModelHost
from engine.remote.client import EngineTimeouts
from engine.remote.remote_model import RemoteEngine
from storage import (
    ConversationStore,
    DocumentStore,
    ModelUseLog,
    longwit_home,
    open_database,
)

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


def parse_gpu_layers(_ctx: click.Context, _param: click.Parameter, value: str) -> int | str:
    if value == "auto":
        return value
    try:
        return int(value)
    except ValueError as error:
        raise click.BadParameter("use a number of layers, -1 for all, or 'auto'") from error


def engine_options(command: Callable) -> Callable:
    """--engine and --engine-timeout: a remote OpenAI-compatible server in place of a local model
    (`--model` then names the server's model, `--ctx` its window where it does not say)."""
    command = click.option(
        "--engine-timeout", type=click.FloatRange(min=0.1), default=EngineTimeouts.read_s,
        show_default=True, metavar="SECONDS",
        help="With --engine: the longest wait for the server's next byte.")(command)
    return click.option(
        "--engine", default=None, envvar="LONGWIT_ENGINE", metavar="URL",
        help="Use an OpenAI-compatible server (llama.cpp, vLLM, Ollama, LM Studio) instead of a "
             "local model, e.g. http://127.0.0.1:8080; its key from LONGWIT_ENGINE_API_KEY.")(command)


def model_options(command: Callable) -> Callable:
    """--model, --ctx, --gpu-layers and --threads, the same on every command that loads a model."""
    options = [
        click.option("--model", "-m", "model", default=None, metavar="NAME|PATH",
                     help="Bundled model name (see `longwit models`) or path of a .gguf file."),
        click.option("--ctx", "n_ctx", type=click.IntRange(min=256), default=None, metavar="N",
                     help="Context length in tokens (default: the model's, capped by memory)."),
        click.option("--gpu-layers", default="auto", callback=parse_gpu_layers, metavar="N|auto",
                     help="Layers to offload to the GPU (auto: all when this build can)."),
        click.option("--threads", "n_threads", type=click.IntRange(min=1), default=None,
                     help="CPU threads (default: all cores)."),
        click.option("--kv-type", type=click.Choice(sorted(KV_TYPE_BYTES)), default="f16",
                     show_default=True, help="Type of the KV cache (q8_0 halves its memory)."),
        click.option("--flash-attn/--no-flash-attn", default=True, show_default=True,
                     help="Flash attention (faster long prompts; needed for a quantized V cache)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@dataclass(frozen=True)
class ModelChoice:
    model: str | None
    load: LoadOptions
    engine: RemoteEngine | None = None  # a remote server instead of a local model

    @classmethod
    def from_options(cls, model: str | None, n_ctx: int | None, gpu_layers: Any,
                     n_threads: int | None, kv_type: str, flash_attn: bool,
                     engine: str | None = None,
                     engine_timeout: float = EngineTimeouts.read_s) -> ModelChoice:
        load = LoadOptions(n_ctx=n_ctx, gpu_layers=gpu_layers, n_threads=n_threads,
                           kv_type=kv_type, flash_attn=flash_attn)
        remote = None
        if engine:
            remote = RemoteEngine(engine, model, n_ctx, EngineTimeouts(read_s=engine_timeout))
        return cls(model, load, remote)


def fail(message: str, code: int = EXIT_ERROR) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def start_command_log() -> None:
    """Start the log for a command; when it cannot be written, say so once and go on."""
    notice = start_log().notice()
    if notice is not None:
        click.echo(notice, err=True)


def reports_errors(command: Callable) -> Callable:
    """Print any error as one line and exit 1 (engine, storage, document and audio errors as their
    own message, anything else with where its traceback was logged); Ctrl-C exits 130."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # click's own: usage errors and exits, which click reports itself
        except KeyboardInterrupt:
            click.echo("\nInterrupted.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as error:
            fail(report_error(error, f"longwit {command.__name__}"))

    return wrapper


def for_this_command(db: sqlite_utils.Database) -> sqlite_utils.Database:
    """Close `db` when the running command ends, however it ends (click closes the command's
    context after an error or an exit too), so that a command run in process leaves nothing open."""
    click.get_current_context().call_on_close(db.conn.close)
    return db


def open_store() -> ConversationStore:
    return ConversationStore(for_this_command(open_database()))


def open_documents() -> DocumentStore:
    return DocumentStore(for_this_command(open_database()))


def start_model(choice: ModelChoice, store: ConversationStore) -> tuple[ModelHost, ModelCard]:
    """Load the chosen model on its own thread and remember that it was used (a local one: the
    list of recent models is of files the window can open again), or connect to the engine."""
    host = ModelHost(longwit_home() / "models")
    try:
        card = host.connect(choice.engine) if choice.engine else host.load(choice.model, choice.load)
    except BaseException:
        host.close()
        raise
    if card.engine is None:
        ModelUseLog(store.db).record(str(card.path), card.name, card.n_ctx)
    return host, card


def describe(card: ModelCard) -> str:
    if card.engine is not None:
        return (f"{card.name} · {card.n_ctx:,}-token context ({card.ctx_source}) · "
                f"engine {card.engine} · {card.chat_format} · connected in {card.load_s:.2f} s")
    gpu = "all layers" if card.gpu_layers < 0 else f"{card.gpu_layers} layers"
    return (
        f"{card.name} · {card.n_ctx:,}-token context (trained {card.trained_ctx:,}) · "
        f"{card.n_threads} threads · GPU: {gpu if card.gpu_layers else 'off'} · "
        f"loaded in {card.load_s:.2f} s"
    )
