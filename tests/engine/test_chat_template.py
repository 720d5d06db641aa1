"""Chat templates from model files render in a sandbox with budgets: the bundled model's template
renders exactly as llama-cpp-python's own formatter renders it, for any messages; templates that
reach for Python's internals or try to spend unbounded time or memory are refused with a typed
error, quickly, and the model is then spoken to as a plain transcript."""

from __future__ import annotations

import time
from pathlib import Path

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from engine.catalog import locate_smollm2
from engine.chat_format import ChatFormat, ChatMessage
from engine.chat_template import TemplateRefused, render_template
from engine.gguf_file import read_gguf_info

SMOLLM2_TEMPLATE = read_gguf_info(locate_smollm2(Path("."))).chat_template
assert SMOLLM2_TEMPLATE
BOS, EOS = "<|im_start|>", "<|im_end|>"

message = st.fixed_dictionaries({
    "role": st.sampled_from(("system", "user", "assistant")),
    "content": st.text(max_size=200),
})


def render(template: str, messages: list[dict], seconds: float = 10.0) -> str:
    return render_template(template, seconds=seconds, messages=messages, bos_token=BOS,
                           eos_token=EOS, add_generation_prompt=True)


@given(st.lists(message, min_size=1, max_size=6))
def test_the_bundled_template_renders_as_llama_cpp_python_does(messages: list[dict]) -> None:
    reference = Jinja2ChatFormatter(SMOLLM2_TEMPLATE, EOS, BOS)(messages=messages).prompt
    ours = render(SMOLLM2_TEMPLATE, messages)
    assert ours == reference
    for item in messages:
        assert item["content"] in ours  # template syntax in a message is text, never run


@pytest.mark.parametrize(("template", "says"), [
    ("{{ 'x' * 10**10 }}", "items"),
    ("{{ 'x'.ljust(10**9) }}", "limit"),
    ("{{ 'x'|center(10**9) }}", "limit"),
    ("{{ [0] * 10**8 }}", "items"),
    ("{{ 2 ** 100000 }}", "power"),
    ("{% for i in range(100000) %}{{ 'x' * 999999 }}{% endfor %}", "characters"),
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "ran for"),
    ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "RecursionError"),
    ("{{" + "(" * 5000 + "1" + ")" * 5000 + "}}", "nested"),
])
def test_templates_that_would_spend_without_bound_are_refused(template: str, says: str) -> None:
    started = time.perf_counter()
    with pytest.raises(TemplateRefused, match=says):
        render(template, [], seconds=1.0)
    assert time.perf_counter() - started < 5.0


def test_the_sandbox_keeps_templates_away_from_python() -> None:
    for template in ("{{ ''.__class__.__mro__ }}", "{{ messages.__class__ }}",
                     "{{ cycler.__init__.__globals__ }}", "{% set x = messages.append(1) %}"):
        try:
            shown = render(template, [{"role": "user", "content": "u"}])
        except jinja2.TemplateError:
            continue
        assert shown == ""  # the attribute is undefined to the template: nothing leaks


def test_a_refused_or_broken_template_falls_back_to_a_plain_transcript() -> None:
    for template in ("{{ 'x' * 10**10 }}", "{{ raise_exception('no system role') }}",
                     "{% for %}", "{{ ''.__class__ }}"):
        chat_format = ChatFormat.for_model(template, BOS, EOS)
        assert chat_format.template is None
        prompt = chat_format.render([ChatMessage("user", "Hello")])
        assert prompt == "User: Hello\n\nAssistant:"
