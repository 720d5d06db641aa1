"""The fuzzer's text targets: the bundled model's chat template rendering any conversation, the
citation filter streaming any answer, and the OpenAI API's request parser reading mutated bodies.
Each contract is the one its property tests hold (tests/engine/test_chat_template.py,
tests/engine/test_parser_properties.py)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import jinja2

from desktop.benchmarks.fuzz import Case, ContractBroken, FuzzTarget
from engine.catalog import locate_smollm2
from engine.chat_format import ChatFormat, ChatMessage
from engine.chat_template import TemplateRefused
from engine.citations import MARKER, QUOTE_CHARS, CitationFilter, marker_numbers, resolve_citations
from engine.document_prompt import DocumentChunk, SourcePassage
from engine.gguf_file import read_gguf_info
from engine.openai_api.errors import InvalidRequest
from engine.openai_api.requests import (
    ROLES,
    ChatRequest,
    CompletionRequest,
    parse_chat_request,
    parse_completion_request,
)
from storage.locations import Location

# Time bounds. Over 2,000 cases each on the development machine (2 shared cores) a render took
# 0.08 ms at the median and 16 ms at the slowest, a filtered answer 0.09 and 20 ms, a body 0.01 and
# 143 ms (one nested 100,000 deep is refused at once; the slowest are pauses of a busy machine or of
# Python's collector). Five seconds is far past those pauses: what it catches is a hang or a blow-up
# with the input's size. (The engine's own budget stops a render at 10 s, chat_template.RENDER_SECONDS.)
TEMPLATE_BOUND_MS = 5000.0
CITATION_BOUND_MS = 5000.0
REQUEST_BOUND_MS = 5000.0

BOS, EOS = "<|im_start|>", "<|im_end|>"  # SmolLM2's, as tests/engine/test_chat_template.py has them
# Text that means something to a template, a tokenizer or the citation filter.
SNIPPETS = ("{{ 7*7 }}", "{% for %}", "{% for m in messages %}{{ m }}{% endfor %}", "{% endfor %}",
            "{{", "}}", "{#", "#}", "{% raw %}", "{{ ''.__class__ }}", "{{ raise_exception('x') }}",
            "<|im_start|>", "<|im_end|>", "</s>", "\n", "\\", "'", '"', "[1]", "[2, 3]", "[")
# Code point ranges: ASCII, Latin, Greek, Hebrew and Arabic, Devanagari, kana, CJK, emoji, control
# characters, zero-width and direction marks, lone surrogates, noncharacters, combining marks.
RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x590, 0x6FF), (0x900, 0x97F),
          (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0x1F300, 0x1FAFF), (0x0, 0x1F), (0x200B, 0x202E),
          (0xD800, 0xDFFF), (0xFFF0, 0xFFFF), (0x300, 0x36F))
TEMPLATE_ROLES = ("system", "user", "assistant", "tool", "developer", "function", "", "System",
                  "{{ 7*7 }}")
MARKS = ("[1]", "[2, 3]", "[1-3]", "[9]", "[0]", "[", "]", "[2", " [3] ", "[1–2]", "[1;2]", "[ ]",
         "[99999999999999999999]", "\n")
PASSAGES = ("The keeper lit the lamp at dusk through forty-one stormy nights.",
            "The supply boat came twice in March with paraffin, bread and letters.",
            "An albatross named Quentin nested on the gallery rail during April.")
SOURCES = [SourcePassage(number, DocumentChunk(number, 1, number, text, Location(page=number)), "Report")
           for number, text in enumerate(PASSAGES, start=1)]


def unicode_text(rng: random.Random, parts: int = 12) -> str:
    pieces = []
    for _ in range(rng.randint(0, parts)):
        if rng.random() < 0.3:
            pieces.append(rng.choice(SNIPPETS))
        else:
            low, high = rng.choice(RANGES)
            pieces.append("".join(chr(rng.randint(low, high)) for _ in range(rng.randint(1, 12))))
    return "".join(pieces)


def draw_conversation(rng: random.Random) -> Case:
    messages = []
    for _ in range(rng.randint(0, 8)):
        role = rng.choice(TEMPLATE_ROLES) if rng.random() < 0.9 else unicode_text(rng, 2)
        messages.append(ChatMessage(role, unicode_text(rng)))
    return Case(f"{len(messages)} messages", messages)


def template_target() -> FuzzTarget:
    """The bundled SmolLM2's own template, through ChatFormat as the engine renders a prompt."""
    template = read_gguf_info(locate_smollm2(Path("."))).chat_template
    chat_format = ChatFormat.for_model(template, BOS, EOS)
    if chat_format.template is None:
        raise ContractBroken("the bundled model's chat template was not accepted")

    def check(case: Case) -> bool:
        try:
            prompt = chat_format.render(case.payload)
        except (TemplateRefused, jinja2.TemplateError):  # what the engine catches around a render
            return True
        if not isinstance(prompt, str):
            raise ContractBroken(f"the render is {type(prompt).__name__}, not text")
        if any(message.content not in prompt for message in case.payload):
            raise ContractBroken("a message's text is missing from the prompt (run as template code?)")
        return False

    return FuzzTarget("chat template", draw_conversation, check, TEMPLATE_BOUND_MS)


def draw_answer(rng: random.Random) -> Case:
    pieces = []
    for _ in range(rng.randint(0, 20)):
        roll = rng.random()
        if roll < 0.3:
            pieces.append(rng.choice(MARKS))
        elif roll < 0.45:
            pieces.append(f"[{rng.randint(0, 12)}{rng.choice(('', ', ', '-', '; '))}{rng.randint(0, 12)}]")
        elif roll < 0.6:
            pieces.append(rng.choice(PASSAGES)[rng.randint(0, 20):])
        else:
            pieces.append(unicode_text(rng, 3))
    text = "".join(pieces)
    cuts = [rng.randint(1, 40) for _ in range(rng.randint(0, 12))]
    return Case(f"{len(text)} characters in {len(cuts) + 1} pieces", (text, cuts))


def check_citations(case: Case) -> bool:
    """Streamed in pieces the filter gives what it gives for the whole; every mark it leaves, and
    every citation resolved, points at a passage that was shown. It has no refusal."""
    text, cuts = case.payload
    whole = CitationFilter(SOURCES)
    expected = whole.feed(text) + whole.flush()
    streamed, at, shown = CitationFilter(SOURCES), 0, []
    for cut in cuts:
        shown.append(streamed.feed(text[at : at + cut]))
        at += cut
    shown += [streamed.feed(text[at:]), streamed.flush()]
    if "".join(shown) != expected:
        raise ContractBroken("streamed in pieces, the filter shows other text than for the whole")
    known = {passage.number for passage in SOURCES}
    if any(not set(marker_numbers(mark.group(1))) <= known for mark in MARKER.finditer(expected)):
        raise ContractBroken("a citation mark left in points at no passage")
    for citation in resolve_citations(expected, SOURCES):
        if citation.number not in known or citation.how not in ("cited", "matched") \
                or len(citation.quote) > QUOTE_CHARS:
            raise ContractBroken(f"a resolved citation is not a shown passage's ({citation.how})")
    return False


def citation_target() -> FuzzTarget:
    return FuzzTarget("citations", draw_answer, check_citations, CITATION_BOUND_MS)


VALID_BODIES: dict[str, dict[str, Any]] = {
    "chat": {"model": "longwit", "messages": [{"role": "system", "content": "Be brief."},
                                              {"role": "user", "content": "Name a colour."}],
             "max_tokens": 16, "temperature": 0.7, "top_p": 0.9, "stop": ["\n\n"], "stream": True,
             "seed": 7, "stream_options": {"include_usage": True}},
    "completion": {"model": "longwit", "prompt": "Once upon a time", "max_tokens": 16,
                   "temperature": 0.5, "echo": False, "stream": False, "stop": "."},
}
PARSERS = {"chat": (parse_chat_request, ChatRequest), "completion": (parse_completion_request,
                                                                     CompletionRequest)}
NAMES = ("model", "messages", "prompt", "max_tokens", "max_completion_tokens", "temperature", "top_p",
         "stop", "stream", "seed", "n", "best_of", "tools", "tool_choice", "stream_options", "echo",
         "presence_penalty", "frequency_penalty", "logprobs", "response_format", "suffix", "x")
ODD_VALUES = (None, True, False, 0, -1, 1, 2**31, 2**63, -(2**64), 10**400, 1e308, -1e308, 0.5, "",
              "x" * 10_000, "\ud800", [], {}, [None], {"type": "text"}, [{"type": "text", "text": 1}],
              {"include_usage": "yes"}, ["a", "b", "c", "d", "e"], [[[[]]]])
RAW_VALUES = ("NaN", "Infinity", "-Infinity", "1e99999", "1" * 5000, "[" * 100_000 + "]" * 100_000,
              '"\\ud800"', '"\\u0000"', "{" * 50, "tru", "0x10")
BYTE_NOISE = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x00", b"\x80\x80", b"\xef\xbb\xbf")


def odd_value(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(ODD_VALUES)
    if roll < 0.8:
        return unicode_text(rng, 4)
    return [{"role": rng.choice((*ROLES, "tool", "", 1)), "content": rng.choice((*ODD_VALUES, "hi"))}
            for _ in range(rng.randint(0, 3))]


def mutate_fields(rng: random.Random, body: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Fields dropped or given values of the wrong type or size."""
    done = []
    for _ in range(rng.randint(1, 3)):
        name = rng.choice(NAMES)
        if name in body and rng.random() < 0.3:
            del body[name]
            done.append(f"no {name}")
        elif name == "messages" and isinstance(body.get(name), list) and body[name]:
            body[name][rng.randrange(len(body[name]))][rng.choice(("role", "content"))] = odd_value(rng)
            done.append("a message changed")
        else:
            body[name] = odd_value(rng)
            done.append(f"{name} odd")
    return body, done


def mutate_bytes(rng: random.Random, raw: bytes) -> tuple[bytes, str]:
    """The body's bytes: a raw value JSON writers would not write, invalid UTF-8, or cut short."""
    roll = rng.random()
    if roll < 0.4:  # appended as one more field, before the closing brace
        value = rng.choice(RAW_VALUES)
        return raw[:-1] + f', "{rng.choice(NAMES)}": {value}}}'.encode(), f"raw {value[:12]}"
    if roll < 0.7:
        at = rng.randint(0, len(raw))
        return raw[:at] + rng.choice(BYTE_NOISE) + raw[at:], "invalid bytes"
    return raw[: rng.randint(0, len(raw))], "cut short"


def draw_body(rng: random.Random) -> Case:
    kind = rng.choice(sorted(VALID_BODIES))
    body, done = mutate_fields(rng, json.loads(json.dumps(VALID_BODIES[kind])))
    raw = json.dumps(body, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    if rng.random() < 0.4:
        raw, how = mutate_bytes(rng, raw)
        done.append(how)
    endpoint = kind if rng.random() < 0.9 else rng.choice(sorted(PARSERS))  # now and then the other one
    return Case(f"{kind} body to {endpoint}: {', '.join(done)}"[:100], (endpoint, raw))


def check_request(case: Case) -> bool:
    """A typed request with only known roles, or a 400 with a message in OpenAI's error shape."""
    endpoint, raw = case.payload
    parse, kind = PARSERS[endpoint]
    try:
        request = parse(raw)
    except InvalidRequest as error:
        if error.status != 400 or not str(error) or not error.body()["error"]["message"]:
            raise ContractBroken(f"a refusal with status {error.status} and no message") from error
        return True
    if not isinstance(request, kind):
        raise ContractBroken(f"parsed as {type(request).__name__}, not {kind.__name__}")
    if isinstance(request, ChatRequest) and any(m.role not in ROLES.values() for m in request.messages):
        raise ContractBroken("a message passed with a role the model does not know")
    return False


def request_target() -> FuzzTarget:
    return FuzzTarget("API requests", draw_body, check_request, REQUEST_BOUND_MS)
