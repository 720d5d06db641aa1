"""Counting tokens for a remote engine. Where the server has a tokenizer endpoint (llama.cpp's and
vLLM's `/tokenize`, llama-cpp-python's `/extras/tokenize`) its own tokens are used, so the packer's
counts are exact; elsewhere (Ollama, LM Studio, another Longwit) a conservative estimate: one
token per three characters (English text runs about four per token), as stand-in "tokens" that
are the text's three-character pieces, so that two prompts' common prefix still means something."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.remote.client import EngineClient
from engine.remote.errors import EngineAnswerInvalid

CHARS_PER_TOKEN = 3
PROBE_TEXT = "Hello, world."


class ServerTokenizer:
    """A server's own tokenizer, through whichever endpoint it has."""

    def __init__(self, client: EngineClient, model: str, kind: str) -> None:
        self.client, self.model, self.kind = client, model, kind

    exact = True

    @property
    def description(self) -> str:
        return f"the server's tokenizer ({self.kind})"

    def tokenize(self, text: str, special: bool, add_bos: bool = False) -> list[int]:
        """Tokens of `text`; `special`: a control token's spelling counts as that token (a rendered
        chat prompt), else as plain characters (a document). llama-cpp-python's endpoint always
        reads them as control tokens and adds BOS; that counts a few more, never fewer."""
        if self.kind == "/extras/tokenize":
            answer = self.client.post(self.kind, {"input": text, "model": self.model})
        else:
            answer = self.client.post(self.kind, tokenize_body(text, self.model, special, add_bos))
        return tokens_in(answer, self.client.url)

    def count(self, text: str) -> int:
        return len(self.tokenize(text, special=False))


def tokenize_body(text: str, model: str, special: bool, add_bos: bool) -> dict[str, Any]:
    """One body that llama.cpp (`content`, `add_special`, `parse_special`) and vLLM (`prompt`,
    `add_special_tokens`) both read; each ignores the other's fields."""
    return {"content": text, "prompt": text, "model": model, "add_special": add_bos,
            "add_special_tokens": add_bos, "parse_special": special}


def tokens_in(answer: Any, url: str) -> list[int]:
    tokens = answer.get("tokens") if isinstance(answer, dict) else None
    if not isinstance(tokens, list):
        raise EngineAnswerInvalid(url, "its tokenizer answered without a list of tokens")
    # llama.cpp with `with_pieces` gives {"id", "piece"} objects; plain ids otherwise.
    return [t["id"] if isinstance(t, dict) else int(t) for t in tokens]


@dataclass
class EstimatedTokenizer:
    """Stand-in tokens: the text's three-character pieces, numbered as first seen."""

    exact = False
    description = (f"an estimate, one token per {CHARS_PER_TOKEN} characters "
                   "(the server has no tokenizer endpoint)")
    _ids: dict[str, int] = field(default_factory=dict)

    def tokenize(self, text: str, special: bool = False, add_bos: bool = False) -> list[int]:
        ids = self._ids
        return [ids.setdefault(text[i : i + CHARS_PER_TOKEN], len(ids))
                for i in range(0, len(text), CHARS_PER_TOKEN)]

    def count(self, text: str) -> int:
        return -(-len(text) // CHARS_PER_TOKEN)


Tokenizer = ServerTokenizer | EstimatedTokenizer


def find_tokenizer(client: EngineClient, model: str) -> Tokenizer:
    """The server's tokenizer if one of the known endpoints answers a probe with tokens."""
    for kind in ("/tokenize", "/extras/tokenize"):
        body = ({"input": PROBE_TEXT, "model": model} if kind == "/extras/tokenize"
                else tokenize_body(PROBE_TEXT, model, False, False))
        answer = client.optional("POST", kind, body)
        tokens = answer.get("tokens") if isinstance(answer, dict) else None
        if isinstance(tokens, list) and tokens:
            return ServerTokenizer(client, model, kind)
    return EstimatedTokenizer()

