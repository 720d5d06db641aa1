"""The one thread that owns the model. `llama_cpp.Llama` is not thread-safe, so every call into it
(loading, tokenizing, generating) is sent here and runs in order; callers wait on futures and queues
in small steps, which keeps Ctrl-C and the Qt event loop responsive while the model works.

Closing is bounded: the answers being written are cancelled, what waits is dropped, and the thread
is given `CLOSE_S` to end; one that does not (a load cannot be interrupted) is named in the log and
left behind, a daemon that does not keep the app from exiting."""

from __future__ import annotations

import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from engine.errors import EngineError
from engine.generation import GenerationOptions, GenerationResult, generate
from engine.loader import LoadedModel, LoadOptions, load_model
from engine.model_thread import ModelThread
from engine.remote.remote_model import RemoteEngine, RemoteModel, connect
from engine.remote.remote_writer import remote_generate

T = TypeVar("T")
Writer = Callable[..., GenerationResult]  # generate(model, tokens, options, cancel, on_text, stops, …)
POLL_S = 0.05
CLOSE_S = 10.0  # closing waits this long for the model's thread (a token takes milliseconds)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelCard:
    """What the rest of the app may know about the loaded model, without touching it."""

    name: str
    path: Path
    bundled: bool
    architecture: str
    trained_ctx: int
    n_ctx: int
    gpu_layers: int
    n_threads: int
    load_s: float
    chat_format: str
    # A remote engine: its address and how the turn is sent (engine/remote); None for a local model.
    engine: str | None = None
    ctx_source: str = ""


@dataclass(frozen=True)
class PreparedPrompt:
    """Prompt tokens, and how many of them were already read into the cache while preparing."""

    tokens: Sequence[int]
    already_read: int = 0


def wait_for(future: Future[T]) -> T:
    """Wait in short slices so that signals (Ctrl-C) reach the waiting thread promptly."""
    while True:
        try:
            return future.result(timeout=POLL_S)
        except TimeoutError:
            continue


@dataclass(frozen=True)
class Note:
    """A line about the work on a reply that is not its text ("Reading the passages (1 of 3)…"),
    carried in order with the pieces so that the reader meets it as it happens, on its own thread:
    the window and the terminal show it while nothing of the answer can be shown yet, the voice
    loop says something. `step` of `steps` says how far the work has gone."""

    line: str
    step: int = 1
    steps: int = 1


class ReplyStream:
    """Text pieces of a reply as they are generated; `result` once the stream is exhausted. With
    `read_ahead`, the model's thread, having put a piece, waits until the reader has asked for the
    piece `read_ahead` places before the next one: with 0 it writes only what is asked for.
    Iterating gives the text alone; `items` gives the notes too."""

    _END = object()

    def __init__(self, read_ahead: int | None = None) -> None:
        self.cancel_event = threading.Event()
        self.pieces: queue.Queue = queue.Queue()
        self.result: GenerationResult | None = None
        self.error: BaseException | None = None
        self.done = False
        self.read_ahead = None if read_ahead is None else max(0, read_ahead)
        self.held_s = 0.0  # how long `put` waited for the reader
        self._room = threading.Condition()
        self._asked = 0  # pieces the reader has asked for
        self._put = 0  # pieces the model has put

    def cancel(self) -> None:
        self.cancel_event.set()
        with self._room:
            self._room.notify_all()

    def put(self, text: str) -> None:
        self.pieces.put(text)
        self._put += 1
        if self.read_ahead is None or self._asked + self.read_ahead > self._put:
            return
        waited = time.perf_counter()
        with self._room:
            while self._asked + self.read_ahead <= self._put and not self.cancel_event.is_set():
                self._room.wait(POLL_S)
        self.held_s += time.perf_counter() - waited

    def note(self, note: Note) -> None:
        """A note for the reader, between the pieces; never waits (the model is not writing)."""
        self.pieces.put(note)
        self._put += 1  # the reader asks for it as for a piece, which keeps `read_ahead`'s count

    def close(self, result: GenerationResult | None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        self.pieces.put(self._END)

    def __iter__(self) -> Iterator[str]:
        for item in self.items():
            if isinstance(item, str):
                yield item

    def items(self) -> Iterator[str | Note]:
        """The pieces and the notes, in the order they were put."""
        while not self.done:
            self._ask()
            item = self._next()
            if item is self._END:
                self.done = True
            else:
                assert isinstance(item, str | Note)
                yield item
        if self.error is not None:
            raise self.error

    def _ask(self) -> None:
        """The reader wants one more piece: a model held by `read_ahead` may write it."""
        if self.read_ahead is not None:
            with self._room:
                self._asked += 1
                self._room.notify_all()

    def _next(self) -> object:
        while True:
            try:
                return self.pieces.get(timeout=POLL_S)
            except queue.Empty:
                continue

    def wait(self) -> GenerationResult:
        """Drain the stream (cancelled or not) and return its result."""
        for _ in self:
            pass
        assert self.result is not None
        return self.result


class ModelHost:
    """Owns the loaded model on one worker thread and runs every model call there."""

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = models_dir
        self._thread = ModelThread("longwit-model")
        self._streams: weakref.WeakSet[ReplyStream] = weakref.WeakSet()  # being written or waiting
        self._model: LoadedModel | RemoteModel | None = None
        self.card: ModelCard | None = None
        # What writes answers: llama.cpp here, or the remote engine's stream.
        self.writer: Writer = generate

    @property
    def keeps_states(self) -> bool:
        """Whether the model's KV cache is here, to save and restore (not for a remote engine)."""
        return self.card is None or self.card.engine is None

    def _require_model(self) -> LoadedModel | RemoteModel:
        if self._model is None:
            raise EngineError("No model is loaded; choose one with --model.")
        return self._model

    def load(self, name_or_path: str | None, options: LoadOptions) -> ModelCard:
        """Load a model, replacing the current one only once the new one has loaded."""
        return wait_for(self.load_later(name_or_path, options))

    def load_later(self, name_or_path: str | None, options: LoadOptions) -> Future[ModelCard]:
        """`load` without waiting: the window's way, so that no thread of its own waits for it.
        Loads queue behind each other (and behind answers) on the model's thread."""

        return self._thread.submit(lambda: self._replace(load_model(name_or_path, options,
                                                                     self.models_dir)),
                                   f"loading {name_or_path or 'the default model'}")

    def connect(self, engine: RemoteEngine) -> ModelCard:
        """Use a remote engine instead of a local model (engine/remote): connecting, choosing its
        model and learning its window run on the model's thread, like a load."""
        return wait_for(self.connect_later(engine))

    def connect_later(self, engine: RemoteEngine) -> Future[ModelCard]:
        """`connect` without waiting (the window's way, as `load_later`); the current model keeps
        answering unless the engine is reached and its model found."""
        return self._thread.submit(lambda: self._replace(connect(engine)),
                                   f"connecting to {engine.url}")

    def _replace(self, model: LoadedModel | RemoteModel) -> ModelCard:
        """Put `model` in place of the current one, which is released (on the model's thread)."""
        if self._model is not None:
            self._model.release()
        self._model = model
        self.card = card_for(model)
        self.writer = remote_generate if isinstance(model, RemoteModel) else generate
        return self.card

    def call(self, function: Callable[[LoadedModel | RemoteModel], T]) -> T:
        """Run `function(model)` on the model's thread and return its result."""
        return wait_for(self.submit(function))

    def submit(self, function: Callable[[LoadedModel | RemoteModel], T]) -> Future[T]:
        """`call` without waiting, for a caller that reports something while it waits."""
        return self._thread.submit(lambda: function(self._require_model()))

    def stream(
        self,
        prompt: Callable[[LoadedModel | RemoteModel, threading.Event], PreparedPrompt] | Sequence[int],
        options: GenerationOptions,
        stops: Sequence[str] = (),
        write: Writer | None = None,
    ) -> ReplyStream:
        """Start generating; the prompt may be tokens or a function of (model, cancel event) that
        builds them on the model's thread, so that packing, restoring or pre-filling a saved
        prefix and generation run back to back with nothing between. `write` is what writes the
        answer: by default the model's own (`generate`, or the remote engine's), or another with its
        signature (deliberate mode's several samples)."""
        reply = ReplyStream(options.read_ahead)

        def work() -> None:
            started = time.perf_counter()
            try:
                model = self._require_model()
                prepared = prompt(model, reply.cancel_event) if callable(prompt) else prompt
                tokens, read = (prepared.tokens, prepared.already_read) if isinstance(
                    prepared, PreparedPrompt) else (prepared, 0)
                writer = write or self.writer  # read here: a load queued before may change it
                reply.close(writer(model, tokens, options, reply.cancel_event, reply.put, stops,
                                   started, read, lambda: reply.held_s))
            except BaseException as error:
                if reply.cancel_event.is_set():  # aborted while pre-filling: an empty cut answer
                    reply.close(GenerationResult.cancelled_before_start())
                else:  # handed to the reader, who raises it
                    reply.close(None, error)

        self._streams.add(reply)
        job = self._thread.submit(work, "writing an answer")
        # Dropped at closing before it began: the reader is told, instead of waiting forever.
        job.add_done_callback(lambda done: done.cancelled() and reply.close(
            GenerationResult.cancelled_before_start()))
        return reply

    def forget_cache(self) -> None:
        """Empty the KV cache, so that the next prompt is read from scratch (benchmarks)."""
        self.call(lambda model: model.llama.reset() if isinstance(model, LoadedModel) else None)

    def close(self, timeout_s: float = CLOSE_S, last: Callable[[], None] | None = None) -> bool:
        """Cancel the answers being written, drop the calls not begun, run `last` on the model's
        thread (to close what lives there), release the model, and wait for the thread at most
        `timeout_s`. True if it ended; if not, the log says what it was doing, and the app exits
        without it."""

        def release() -> None:
            try:
                if last is not None:
                    last()
            finally:
                if self._model is not None:
                    self._model.release()
                    self._model = None

        for reply in list(self._streams):
            reply.cancel()
        if self._thread.stop(release, timeout_s):
            return True
        logger.warning("The model's thread is still %s %.1f s after closing began; Longwit goes "
                       "on without waiting for it.", self._thread.doing or "busy", timeout_s)
        return False


def card_for(model: LoadedModel | RemoteModel) -> ModelCard:
    if isinstance(model, RemoteModel):
        return ModelCard(name=model.name, path=Path(model.name), bundled=False,
                         architecture="remote", trained_ctx=model.n_ctx, n_ctx=model.n_ctx,
                         gpu_layers=0, n_threads=0, load_s=model.connect_s,
                         chat_format=model.chat_format.name, engine=model.url,
                         ctx_source=model.ctx_source)
    return ModelCard(
        name=model.name,
        path=model.ref.path,
        bundled=model.ref.bundled,
        architecture=model.info.architecture,
        trained_ctx=model.info.context_length,
        n_ctx=model.n_ctx,
        gpu_layers=model.gpu_layers,
        n_threads=model.n_threads,
        load_s=model.load_s,
        chat_format=model.chat_format.name,
    )
