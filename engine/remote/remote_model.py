"""A model served by a remote engine, offering what the packer and the session ask of a local one:
`n_ctx`, `chat_format`, `count_tokens`, `prompt_tokens`, and a `memo`. What it learns on connecting:

- the model (`/v1/models`; `--model` picks one where the server lists several),
- its context window (llama.cpp's `/props`, the `/v1/models` entry where it says: vLLM, Longwit's
  own server; else `--ctx`, else 8,192 with a note that the server did not say),
- how to count tokens (engine/remote/remote_tokens),
- how to send a turn. Where the server shows its chat template and tokenizer (llama.cpp's `/props`
  and `/tokenize`), the prompt is rendered here exactly as for a local model and sent as token ids
  to `/v1/completions` with `cache_prompt`, so the server's prompt cache reuses the byte-identical
  document prefix from turn to turn ("completions"). Elsewhere the fitted messages go to
  `/v1/chat/completions` and the server applies its own template ("chat"); the transcript rendered
  here then only counts them, with a few tokens a message for the template's markers.

There is no local KV cache, so saved document states (engine/state_cache) are off for it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.chat_format import ChatFormat, ChatMessage, render_plain
from engine.remote.api_key import ApiKey, find_api_key
from engine.remote.client import EngineClient, EngineTimeouts
from engine.remote.errors import EngineAnswerInvalid, EngineModelAmbiguous, EngineModelUnknown
from engine.remote.remote_tokens import ServerTokenizer, Tokenizer, find_tokenizer

DEFAULT_CTX = 8192
MESSAGE_OVERHEAD = 6  # tokens a server's chat template adds around each message, at most (ChatML: 5)
COMPLETIONS, CHAT = "completions", "chat"


@dataclass(frozen=True)
class RemoteEngine:
    """What a person asked for: the server, the model on it, and the window where it cannot say."""

    url: str
    model: str | None = None
    n_ctx: int | None = None
    timeouts: EngineTimeouts = field(default_factory=EngineTimeouts)


@dataclass(frozen=True)
class ServedModel:
    id: str
    context: int | None = None  # its window, where the list gives it (listed_context)


@dataclass(frozen=True)
class ServerTemplate(ChatFormat):
    """The server applies its own chat template: messages are sent as they are, and laid out here
    as a plain transcript only to be counted. No stop strings of ours: the server knows its model's
    end-of-turn tokens, and an answer about documents is not cut at its first paragraph."""

    @property
    def name(self) -> str:
        return "the server's chat template"

    def render(self, messages: list[ChatMessage], cue: str = "Assistant:") -> str:
        return render_plain(messages, "Assistant:")

    def stop_strings(self) -> tuple[str, ...]:
        return ()

    @property
    def answer_cue(self) -> str:
        return "Assistant:"

    def answer_stop_strings(self) -> tuple[str, ...]:
        return ()


class RemotePrompt(list):
    """A turn's prompt for the remote engine: its tokens (exact or estimated, for the packer's
    arithmetic) with the text and messages they stand for, which is what is sent."""

    def __init__(self, tokens: Sequence[int], text: str, messages: Sequence[ChatMessage]) -> None:
        super().__init__(tokens)
        self.text = text
        self.messages = tuple(messages)


@dataclass
class RemoteModel:
    """The model on a remote engine; used on the model host's thread like a LoadedModel."""

    client: EngineClient
    name: str
    n_ctx: int
    ctx_source: str
    chat_format: ChatFormat
    tokenizer: Tokenizer
    sends: str  # COMPLETIONS or CHAT
    connect_s: float
    server: str = ""  # what the server says it is, where it says ("llama.cpp b1234")
    # Whether requests carry llama.cpp's own fields (top_k, min_p, repeat_penalty, cache_prompt):
    # local servers take or ignore them, OpenAI's own API refuses them (engine/remote/remote_writer).
    extras: bool = True
    memo: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.client.url

    def count_tokens(self, text: str) -> int:
        return self.tokenizer.count(text)

    def text_tokens(self, text: str) -> list[int]:
        return self.tokenizer.tokenize(text, special=False)

    def prompt_tokens(self, messages: list[ChatMessage], cue: str = "Assistant:") -> RemotePrompt:
        """The prompt for `messages`, with the tokens the packer measures it by."""
        text = self.chat_format.render(messages, cue)
        if self.sends == COMPLETIONS:
            bos = self.chat_format.bos_token
            tokens = self.tokenizer.tokenize(text, special=True,
                                             add_bos=not (bos and text.startswith(bos)))
        else:
            tokens = self.tokenizer.tokenize(text, special=False)
            tokens += [-1] * (MESSAGE_OVERHEAD * len(messages))  # the server's markers, counted
        return RemotePrompt(tokens, text, messages)

    def prompt_end(self, tokens: Sequence[int]) -> str:
        """The last few characters of the prompt (does it open a reasoning model's thinking?)."""
        return getattr(tokens, "text", "")[-64:]

    def describe(self) -> str:
        how = ("rendered here with the server's chat template, sent to /v1/completions"
               if self.sends == COMPLETIONS else "sent as messages to /v1/chat/completions")
        return f"engine {self.url} ({how}; tokens: {self.tokenizer.description})"

    def release(self) -> None:
        self.client.close()


def list_models(client: EngineClient) -> list[ServedModel]:
    """The models the server lists at /v1/models."""
    answer = client.get("/v1/models")
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, list) or not all(isinstance(m, dict) and "id" in m for m in data):
        raise EngineAnswerInvalid(client.url, "/v1/models held no list of models with ids")
    return [ServedModel(str(m["id"]), listed_context(m)) for m in data]


def listed_context(entry: dict[str, Any]) -> int | None:
    """A model's window where its list entry gives it: vLLM's `max_model_len`, `context_length`
    (Longwit's own server, OpenRouter), LM Studio's `max_context_length`."""
    for key in ("max_model_len", "context_length", "max_context_length"):
        value = entry.get(key)
        if isinstance(value, int) and value > 0:
            return value
    return None


def pick_model(client: EngineClient, served: list[ServedModel], wanted: str | None) -> ServedModel:
    ids = [m.id for m in served]
    if wanted is not None:
        for model in served:
            if wanted in (model.id, model.id.rsplit("/", 1)[-1]):
                return model
        if served:
            raise EngineModelUnknown(client.url, wanted, ids)
        return ServedModel(wanted)  # a server that lists nothing may still serve it
    if len(served) == 1:
        return served[0]
    if not served:
        raise EngineAnswerInvalid(client.url, "/v1/models lists no model; name one with --model")
    raise EngineModelAmbiguous(client.url, ids)


def props_context(props: dict[str, Any] | None) -> int | None:
    if not props:
        return None
    settings = props.get("default_generation_settings")
    for value in (settings.get("n_ctx") if isinstance(settings, dict) else None, props.get("n_ctx")):
        if isinstance(value, int) and value > 0:
            return value
    return None


def window(asked: int | None, props: dict[str, Any] | None, model: ServedModel) -> tuple[int, str]:
    """The context window and where it came from; the server's figure caps a person's --ctx."""
    told = props_context(props)
    source = "the server's /props" if told else "the server's /v1/models" if model.context else None
    told = told or model.context
    if asked and told:
        return min(asked, told), ("--ctx" if asked <= told else source or "")
    if told:
        return told, source or ""
    if asked:
        return asked, "--ctx"
    return DEFAULT_CTX, f"a default of {DEFAULT_CTX:,}: the server does not say, give --ctx"


def chat_format_for(props: dict[str, Any] | None, tokenizer: Tokenizer) -> tuple[ChatFormat, str]:
    """The server's own template rendered here when it shows it and its tokenizer; else its own."""
    template = props.get("chat_template") if props else None
    if isinstance(template, str) and template.strip() and isinstance(tokenizer, ServerTokenizer):
        bos, eos = (str(props.get(key) or "") for key in ("bos_token", "eos_token"))
        local = ChatFormat.for_model(template, bos, eos)
        if local.template:  # it rendered here within its budgets
            return local, COMPLETIONS
    return ServerTemplate(None), CHAT


def connect(engine: RemoteEngine, api_key: ApiKey | None = None) -> RemoteModel:
    """Reach the server, choose the model and learn what the packer needs; any failure is one
    RemoteEngineError line. The key: `api_key`, else the environment's or the keyring's."""
    started = time.perf_counter()
    client = EngineClient(engine.url, api_key or find_api_key(engine.url), engine.timeouts)
    try:
        chosen = pick_model(client, list_models(client), engine.model)
        props = client.optional("GET", "/props")
        props = props if isinstance(props, dict) else None
        tokenizer = find_tokenizer(client, chosen.id)
        n_ctx, source = window(engine.n_ctx, props, chosen)
        chat_format, sends = chat_format_for(props, tokenizer)
    except BaseException:
        client.close()
        raise
    server = str(props.get("build_info", "")) if props else ""
    return RemoteModel(client, chosen.id, n_ctx, source, chat_format, tokenizer, sends,
                       time.perf_counter() - started, server)
