"""A model's tokenizer on its own, to measure text in that model's tokens without loading its
weights: a `vocab_only` load takes about 0.1 s for the bundled SmolLM2, where the whole model takes
seconds. `longwit memory` uses it to show what each memory costs in the prompt."""

from __future__ import annotations

from pathlib import Path

import llama_cpp
from llama_cpp import _internals

from engine import llama_log
from engine.catalog import ModelRef, resolve_model
from engine.errors import ModelLoadFailed


class Vocabulary:
    """Counts tokens the way LoadedModel.count_tokens does (no BOS, special tokens as plain text)."""

    def __init__(self, ref: ModelRef) -> None:
        self.ref = ref
        params = llama_cpp.llama_model_default_params()
        params.vocab_only = True
        llama_log.install()
        llama_log.recent_lines.clear()
        try:
            # The model object `Llama` tokenizes through, without the context `Llama` would also
            # create: a vocab-only model has no trained length, so that context logs a warning
            # about overflowing it on every load.
            self.model = _internals.LlamaModel(path_model=str(ref.path), params=params,
                                               verbose=False)
        except (ValueError, RuntimeError, OSError) as error:
            reason = llama_log.first_error() or str(error) or type(error).__name__
            raise ModelLoadFailed(ref.path, reason) from error

    @classmethod
    def load(cls, name_or_path: str | None, models_dir: Path) -> Vocabulary:
        """The vocabulary of a bundled model by name, a GGUF file, or a downloaded one."""
        return cls(resolve_model(name_or_path, models_dir))

    @property
    def name(self) -> str:
        return self.ref.name

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def close(self) -> None:
        self.model.close()
