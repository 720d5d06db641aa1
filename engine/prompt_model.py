"""What laying out a prompt asks of a model, local (engine/loader.LoadedModel) or on a remote
engine (engine/remote/remote_model.RemoteModel): the window, the chat format, counting tokens and
turning messages into the prompt's tokens. The packer, the conversation window, memory and recall
take this, so they work unchanged for both."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from engine.chat_format import ChatFormat, ChatMessage


class PromptModel(Protocol):
    n_ctx: int
    chat_format: ChatFormat
    memo: dict[str, int]  # figures of long texts, measured once per model

    @property
    def name(self) -> str: ...

    def count_tokens(self, text: str) -> int: ...

    def prompt_tokens(self, messages: list[ChatMessage], cue: str = "Assistant:") -> list[int]: ...

    def prompt_end(self, tokens: Sequence[int]) -> str: ...
