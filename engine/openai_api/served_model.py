"""The loaded model as the API serves it: a checked request becomes prompt tokens and a reply
streamed by the same `ModelHost` thread everything else uses, so the server shares the one model and
its KV cache (a client resending a conversation pays only for the new turn), and requests that
arrive together are answered one after another, in order.

The prompt is tokenized before generation starts, so a prompt too long for the window is a 400
before any response begins, and the answer's length is capped to the room the window leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import jinja2

from engine.chat_format import ChatMessage
from engine.conversation_window import tokenize_prompt
from engine.generation import GenerationOptions
from engine.loader import LoadedModel
from engine.model_host import ModelHost, ReplyStream
from engine.openai_api.errors import ContextLengthExceeded, InvalidRequest, UnknownModel
from engine.openai_api.requests import ChatRequest, CompletionRequest, Sampling
from engine.sampling_defaults import model_sampling

# Sampling fields a request may set for itself; the others keep the model's own values.
REQUESTED = ("temperature", "top_p", "seed", "presence_penalty", "frequency_penalty")


@dataclass(frozen=True)
class PromptTokens:
    tokens: list[int]
    stops: tuple[str, ...]  # what ends the reply besides the model's end-of-generation tokens


class ServedModel:
    """Answers API requests with the model loaded in `host` (which must hold one)."""

    def __init__(self, host: ModelHost) -> None:
        card = host.card
        if card is None:
            raise ValueError("the host has no model loaded")
        self.host = host
        self.name = card.name
        self.n_ctx = card.n_ctx
        self.created = int(card.path.stat().st_mtime)
        self.aliases = {card.name, card.path.name, card.path.stem}
        # The model's recommended sampling, as chat in the app uses it (sampling_defaults).
        self.defaults = dict(host.call(model_sampling).settings)

    def check_model(self, asked: str) -> None:
        if asked not in self.aliases:
            raise UnknownModel(asked, self.name)

    def start_chat(self, request: ChatRequest) -> ReplyStream:
        """Start answering a chat; blocks while the model thread finishes earlier requests."""
        self.check_model(request.model)
        prompt = self.host.call(lambda model: chat_prompt(model, request.messages))
        return self.start(prompt.tokens, request.sampling, (*prompt.stops, *request.sampling.stop))

    def start_completion(self, request: CompletionRequest) -> ReplyStream:
        self.check_model(request.model)
        tokens = self.host.call(lambda model: tokenize_prompt(model, request.prompt))
        return self.start(tokens, request.sampling, request.sampling.stop)

    def start(self, tokens: list[int], sampling: Sampling, stops: Sequence[str]) -> ReplyStream:
        if not tokens:
            raise InvalidRequest("The prompt is empty; send some text.", "invalid_value", "prompt")
        if len(tokens) >= self.n_ctx:
            raise ContextLengthExceeded(self.n_ctx, len(tokens))
        return self.host.stream(tokens, self.options(sampling, self.n_ctx - len(tokens)), stops)

    def options(self, sampling: Sampling, room: int) -> GenerationOptions:
        """The model's sampling with the request's settings over it; the length capped to `room`
        (a request without max_tokens may use all of it, as OpenAI's API allows)."""
        settings = dict(self.defaults)
        for name in REQUESTED:
            value = getattr(sampling, name)
            if value is not None:
                settings[name] = value
        wanted = sampling.max_tokens if sampling.max_tokens is not None else room
        return replace(GenerationOptions(max_tokens=min(wanted, room)), **settings)


def chat_prompt(model: LoadedModel, messages: Sequence[ChatMessage]) -> PromptTokens:
    """The messages through the model's chat template, ending where the assistant's reply begins.
    Runs on the model's thread. A template may refuse an order of roles (several insist that user
    and assistant alternate): that is the request's fault, a 400 saying what the template said."""
    try:
        text = model.chat_format.render(list(messages))
    except jinja2.TemplateError as error:
        raise InvalidRequest(f"The model's chat template refused these messages: {error}",
                             "invalid_value", "messages") from error
    return PromptTokens(tokenize_prompt(model, text), model.chat_format.stop_strings())
