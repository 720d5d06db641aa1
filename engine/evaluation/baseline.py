"""The naive baseline every document answer is measured against: the simplest retrieval that works.

The document's text is split at blank lines and packed into chunks of about 800 characters; FTS5
BM25 (words OR-ed) picks the top six; they go into one chat turn under "Answer the question using
only the passages." and are answered at temperature 0 in at most 80 tokens, by the same model, read
afresh each time. No state cache, no citations, no checks: forty lines that Longwit must beat.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from engine.chat_format import ChatMessage
from engine.conversation_window import tokenize_prompt
from engine.generation import GenerationOptions, generate
from engine.loader import LoadedModel
from engine.paragraph_passages import packed
from storage.passage_index import PassageIndex

CHUNK_CHARS = 800
TOP_K = 6
OPTIONS = GenerationOptions(max_tokens=80, temperature=0.0, top_k=1, repeat_penalty=1.0)


def blank_line_chunks(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """Paragraphs (split at blank lines) packed into chunks of about `size` characters."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return ["\n\n".join(paragraphs[i] for i in group) for group in packed(paragraphs, size)]


@dataclass(frozen=True)
class BaselineAnswer:
    text: str
    passages: list[str]
    ttft_s: float | None
    prompt_tokens: int


class NaiveBaseline:
    """One document's chunks and BM25 index; `answer` runs on the model's thread."""

    def __init__(self, text: str) -> None:
        self.chunks = blank_line_chunks(text)
        self.index = PassageIndex(self.chunks)

    def prompt(self, question: str) -> tuple[list[ChatMessage], list[str]]:
        passages = [self.chunks[i] for i in self.index.search(question, TOP_K)]
        shown = "\n\n".join(passages)
        return [
            ChatMessage("system", "Answer the question using only the passages."),
            ChatMessage("user", f"Passages:\n{shown}\n\nQuestion: {question}"),
        ], passages

    def answer(self, model: LoadedModel, question: str) -> BaselineAnswer:
        messages, passages = self.prompt(question)
        # A base model (no chat template) is asked as a completion, "… Question: q Answer:", and
        # its answer ends with its paragraph: the fair way to ask it, as Longwit does.
        chat_format = model.chat_format
        tokens = tokenize_prompt(model, chat_format.render(messages, cue=chat_format.answer_cue))
        stops = chat_format.answer_stop_strings()
        # Read afresh, as it would be alone: Longwit's second reading may have just read this very
        # prompt, and a prompt served from the cache is both faster and (in llama.cpp's last-token
        # logits) not bit for bit the same reading.
        model.llama.n_tokens = 0
        started = time.perf_counter()
        result = generate(model, tokens, OPTIONS, threading.Event(), lambda _text: None,
                          stops=stops, started_at=started)
        return BaselineAnswer(result.text.strip(), passages, result.ttft_s, len(tokens))

    def close(self) -> None:
        self.index.close()
