"""Sampling from the model file first, then the family's card, then a conservative default."""

from __future__ import annotations

from engine.generation import runaway_repetition
from engine.sampling_defaults import generation_options_for, sampling_choice


def test_the_model_files_own_sampling_wins() -> None:
    choice = sampling_choice({"general.sampling.temp": "0.6", "general.sampling.top_k": "20"},
                             "qwen3", "Qwen3-4B")
    assert choice.source == "the model file"
    assert choice.settings == {"temperature": 0.6, "top_k": 20}


def test_known_families_and_unknown_models() -> None:
    assert sampling_choice({}, "llama", "SmolLM2-135M-Instruct").settings["temperature"] == 0.2
    assert sampling_choice({}, "qwen3", "x").source == "the qwen3 model card"
    unknown = sampling_choice({}, "mamba", "mystery")
    assert unknown.source == "a conservative default"
    assert unknown.settings["temperature"] <= 0.3


def test_document_answers_are_greedy_unless_the_person_chose(host) -> None:
    chat = generation_options_for(host, documents=False)
    documents = generation_options_for(host, documents=True)
    assert chat.temperature == 0.2  # SmolLM2's card
    assert documents.temperature == 0.0 and documents.repeat_penalty == 1.0
    assert chat.repetition_tokens == 32 and documents.repetition_tokens == 16
    assert generation_options_for(host, documents=True, temperature=0.9).temperature == 0.9


def test_runaway_repetition_is_a_loop_over_32_tokens_or_16_about_documents() -> None:
    assert runaway_repetition([5, 6, 7, 8] * 8)
    assert not runaway_repetition([5, 6, 7, 8] * 4)
    assert runaway_repetition([5, 6, 7, 8] * 4, min_tokens=16)
    assert runaway_repetition([1, 2] + [7, 8, 9] * 6, min_tokens=16)  # "and Beyonce and Beyonce …"
    assert not runaway_repetition([9] * 15, min_tokens=16)
    assert not runaway_repetition([7, 8, 9] * 2 + [1], min_tokens=16)
    assert not runaway_repetition(list(range(200)))
    assert not runaway_repetition([1, 2, 3] * 2 + list(range(100)))
