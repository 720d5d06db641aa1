"""How a checked request meets the model, without a server: the model's own sampling unless the
request says otherwise, the answer's length capped to the room the window leaves, and a prompt with
no room left refused before generation starts."""

from __future__ import annotations

import pytest

from engine.openai_api.errors import ContextLengthExceeded, InvalidRequest, UnknownModel
from engine.openai_api.requests import ChatRequest, Sampling
from engine.openai_api.served_model import ServedModel


def test_the_model_s_own_sampling_unless_the_request_sets_it(served: ServedModel) -> None:
    own = served.options(Sampling(), room=100)
    assert (own.temperature, own.top_p) == (0.2, 0.9)  # SmolLM2's model card (sampling_defaults)
    asked = served.options(Sampling(temperature=0.0, top_p=0.5, seed=7, frequency_penalty=0.5), room=100)
    assert (asked.temperature, asked.top_p, asked.seed, asked.frequency_penalty) == (0.0, 0.5, 7, 0.5)


def test_the_answer_s_length_is_capped_to_the_room_left(served: ServedModel) -> None:
    assert served.options(Sampling(max_tokens=10**9), room=300).max_tokens == 300
    assert served.options(Sampling(max_tokens=20), room=300).max_tokens == 20
    assert served.options(Sampling(), room=300).max_tokens == 300  # unset: as long as the window allows


def test_a_prompt_that_fills_the_window_is_refused_before_generating(served: ServedModel) -> None:
    with pytest.raises(ContextLengthExceeded) as full:
        served.start([1] * served.n_ctx, Sampling(), ())
    assert full.value.status == 400 and full.value.code == "context_length_exceeded"
    with pytest.raises(InvalidRequest):
        served.start([], Sampling(), ())


def test_the_model_answers_to_its_names_only(served: ServedModel) -> None:
    served.check_model("smollm2-135m-instruct")
    served.check_model(served.host.card.path.name)  # the file's name, as some tools send it
    with pytest.raises(UnknownModel) as unknown:
        served.start_chat(ChatRequest("gpt-4o", (), Sampling()))
    assert unknown.value.status == 404 and "smollm2-135m-instruct" in unknown.value.message
