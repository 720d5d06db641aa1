"""Loading picks sensible settings and a working chat format, with or without a template."""

from __future__ import annotations

import threading
from pathlib import Path

from engine.chat_format import ChatMessage
from engine.conversation_window import tokenize_prompt
from engine.generation import GenerationOptions, generate
from engine.loader import LoadOptions, gpu_offload_supported, load_model, resolve_gpu_layers
from engine.model_host import ModelHost


def test_default_context_is_the_trained_length_capped_by_the_setting(models_dir: Path) -> None:
    model = load_model(None, LoadOptions(max_ctx=1024), models_dir)
    try:
        assert model.n_ctx == 1024
        assert model.chat_format.template is not None
    finally:
        model.llama.close()


def test_gpu_layers_auto_follows_the_build() -> None:
    assert resolve_gpu_layers("auto") == (-1 if gpu_offload_supported() else 0)
    assert resolve_gpu_layers(7) == 7


def test_base_model_without_template_answers_through_the_plain_format(models_dir: Path) -> None:
    model = load_model("gemma-3-270m", LoadOptions(n_ctx=1024), models_dir)
    try:
        assert model.chat_format.template is None
        prompt = model.chat_format.render([
            ChatMessage("system", "Answer the question."),
            ChatMessage("user", "What is the capital of France?"),
        ])
        assert prompt.endswith("Assistant:")
        result = generate(
            model,
            tokenize_prompt(model, prompt),
            GenerationOptions(max_tokens=24, temperature=0),
            threading.Event(),
            lambda _text: None,
            model.chat_format.stop_strings(),
        )
        assert "Paris" in result.text
        assert "User:" not in result.text  # the plain format's stop string ends the turn
    finally:
        model.llama.close()


def test_host_keeps_the_old_model_when_a_new_one_fails(models_dir: Path, tmp_path: Path) -> None:
    host = ModelHost(models_dir)
    try:
        host.load(None, LoadOptions(n_ctx=512))
        bad = tmp_path / "bad.gguf"
        bad.write_text("nope")
        try:
            host.load(str(bad), LoadOptions())
        except Exception as error:
            assert "not a GGUF" in str(error)
        assert host.card is not None and host.card.name == "smollm2-135m-instruct"
        assert host.call(lambda model: model.n_ctx) == 512
    finally:
        host.close()
