"""A GGUF's chat template, rendered in a sandbox with budgets.

A chat template is code that comes inside a model file from the internet. Jinja's sandbox
(ImmutableSandboxedEnvironment, as llama-cpp-python and Transformers use) keeps it away from
Python's internals, but not from spending time and memory: `{{ 'x' * 10**10 }}`,
`{{ 'x'.ljust(10**9) }}` or loops nested in loops. So every render here has budgets: a string or
list made by `*` and any number handed to a call or filter stay under MAX_ITEMS, exponents under
MAX_EXPONENT, the output under MAX_OUTPUT_CHARS, and the render under RENDER_SECONDS (checked on
every line the template runs, so a loop with no output is stopped too). A template over a budget
raises TemplateRefused, and the model is then spoken to as a plain transcript (engine/chat_format).

The environment matches what chat templates expect (Transformers' and llama-cpp-python's): trimmed
blocks, loop controls, `{% generation %}` passed through, `tojson`, `raise_exception` and
`strftime_now`.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from types import FrameType
from typing import Any, ClassVar

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.errors import EngineError

MAX_ITEMS = 1_000_000  # characters or items any one operation may make, and the largest number argument
MAX_EXPONENT = 256
MAX_OUTPUT_CHARS = 64 * 2**20  # far above a whole window of text (a 128K-token window is ~0.5M chars)
RENDER_SECONDS = 10.0
TEMPLATE_FILE = "<template>"  # the file name Jinja gives the code it compiles a template to


class TemplateRefused(EngineError):
    """The model's chat template tried to spend more than a render may, or cannot be compiled."""


class GenerationTag(jinja2.ext.Extension):
    """Transformers' `{% generation %}…{% endgeneration %}` (marks the assistant's part): passed
    through as its content."""

    tags: ClassVar[set[str]] = {"generation"}

    def parse(self, parser: jinja2.parser.Parser) -> list[jinja2.nodes.Node]:
        parser.stream.skip(1)
        return parser.parse_statements(("name:endgeneration",), drop_needle=True)


def too_big(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ITEMS


def check_arguments(args: tuple, kwargs: dict) -> None:
    for value in (*args, *kwargs.values()):
        if too_big(value):
            raise TemplateRefused(f"The model's chat template asked for {value:,} of something; "
                                  f"the limit is {MAX_ITEMS:,}.")


def bounded(function: Callable) -> Callable:
    """A filter or test that refuses number arguments above the budget ('x'|center(10**9))."""

    def call(*args: Any, **kwargs: Any) -> Any:
        check_arguments(args, kwargs)
        return function(*args, **kwargs)

    if hasattr(function, "jinja_pass_arg"):  # how Jinja knows a filter wants its context
        call.jinja_pass_arg = function.jinja_pass_arg  # type: ignore[attr-defined]
    return call


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any,
                   right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise TemplateRefused(f"The model's chat template raised a number to the power {right:,}.")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, str | bytes | list | tuple) and isinstance(times, int) \
                        and len(sequence) * times > MAX_ITEMS:
                    raise TemplateRefused("The model's chat template tried to make a text or list "
                                          f"of {len(sequence) * times:,} items.")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any,
             **kwargs: Any) -> Any:
        check_arguments(args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)


def tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None,
           separators: tuple[str, str] | None = None, sort_keys: bool = False) -> str:
    """Transformers' `tojson`: JSON without escaping non-ASCII text."""
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                      sort_keys=sort_keys)


def raise_exception(message: str) -> None:
    raise jinja2.TemplateError(message)


def strftime_now(form: str) -> str:
    return datetime.now().strftime(form)


@lru_cache(maxsize=8)
def compiled(template: str) -> jinja2.Template:
    """The template compiled once per text (a render happens on every turn)."""
    environment = BoundedEnvironment(loader=jinja2.BaseLoader(), trim_blocks=True,
                                     lstrip_blocks=True,
                                     extensions=[GenerationTag, jinja2.ext.loopcontrols])
    environment.filters = {name: bounded(f) for name, f in environment.filters.items()}
    environment.filters["tojson"] = tojson
    environment.tests = {name: bounded(t) for name, t in environment.tests.items()}
    try:
        return environment.from_string(template)
    except RecursionError as error:
        raise TemplateRefused("The model's chat template is nested too deeply to compile.") from error


class Deadline:
    """A trace function that stops the template's own code once RENDER_SECONDS have passed: it
    follows only frames of the compiled template, so the rest of Python runs untraced."""

    def __init__(self, seconds: float) -> None:
        self.ends = time.perf_counter() + seconds
        self.seconds = seconds

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Callable | None:
        if frame.f_code.co_filename != TEMPLATE_FILE:
            return None
        return self.line

    def line(self, frame: FrameType, event: str, arg: Any) -> Callable | None:
        if time.perf_counter() > self.ends:
            raise TemplateRefused(f"The model's chat template ran for more than {self.seconds:g} s.")
        return self.line


def render_template(template: str, seconds: float = RENDER_SECONDS, **values: Any) -> str:
    """The template rendered with `values` (messages, bos_token, eos_token, add_generation_prompt),
    within the budgets. Raises TemplateRefused over a budget, jinja2.TemplateError for the
    template's own errors (raise_exception included)."""
    compiled_template = compiled(template)
    deadline = Deadline(seconds)
    pieces: list[str] = []
    size = 0
    previous = sys.gettrace()
    sys.settrace(deadline)
    try:
        for piece in compiled_template.generate(raise_exception=raise_exception,
                                                strftime_now=strftime_now, **values):
            size += len(piece)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateRefused("The model's chat template wrote more than "
                                      f"{MAX_OUTPUT_CHARS:,} characters.")
            pieces.append(piece)
    except (RecursionError, MemoryError) as error:
        raise TemplateRefused(f"The model's chat template failed ({type(error).__name__}).") from error
    finally:
        sys.settrace(previous)
    return "".join(pieces)
