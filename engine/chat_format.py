"""Turning a list of messages into the model's prompt text: the GGUF's own chat template when it has
one, a plain "User:/Assistant:" transcript when it has none (base models such as Gemma 3 270M)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import jinja2

from engine.chat_template import TemplateRefused, render_template

PLAIN_STOPS = ("\nUser:", "\nuser:", "\nUSER:")
ANSWER_CUE = "Answer:"  # how a plain transcript (a base model) is asked about documents

PROBE_QUESTION = "Which lighthouse?"  # a template that drops it cannot be used
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system", "user" or "assistant"
    content: str


@dataclass(frozen=True)
class ChatFormat:
    """Renders messages into prompt text that ends where the assistant's reply begins."""

    template: str | None
    bos_token: str = ""
    eos_token: str = ""

    @classmethod
    def for_model(cls, template: str | None, bos_token: str, eos_token: str) -> ChatFormat:
        """Use the model's template if it renders a system and a user turn within its budgets
        (engine/chat_template) and keeps the question, else the plain one."""
        candidate = cls(template, bos_token, eos_token)
        if template:
            probe = [ChatMessage("system", "s"), ChatMessage("user", PROBE_QUESTION)]
            try:
                if PROBE_QUESTION not in candidate.render(probe):
                    logger.warning("chat template leaves the question out; using a plain transcript")
                    return cls(None, bos_token, eos_token)
            except TemplateRefused as refused:
                logger.warning("chat template refused, using a plain transcript: %s", refused)
                return cls(None, bos_token, eos_token)
            except (jinja2.TemplateError, ValueError, TypeError, KeyError, AttributeError):
                return cls(None, bos_token, eos_token)
        return candidate

    @property
    def name(self) -> str:
        return "the model's chat template" if self.template else "plain transcript"

    def render(self, messages: list[ChatMessage], cue: str = "Assistant:") -> str:
        """The prompt; `cue` ends a plain transcript (a chat template has its own)."""
        if not self.template:
            return render_plain(messages, cue)
        payload = [{"role": m.role, "content": m.content} for m in messages]
        return render_template(self.template, messages=payload, bos_token=self.bos_token,
                               eos_token=self.eos_token, add_generation_prompt=True,
                               functions=None, function_call=None, tools=None, tool_choice=None)

    def stop_strings(self) -> tuple[str, ...]:
        """Text that ends a reply besides the model's end-of-generation tokens."""
        if self.template:
            return (self.eos_token,) if self.eos_token else ()
        return PLAIN_STOPS

    @property
    def answer_cue(self) -> str:
        """Where the reply to a question about documents begins (see render_plain)."""
        return "Assistant:" if self.template else ANSWER_CUE

    def answer_stop_strings(self) -> tuple[str, ...]:
        """`stop_strings` for an answer about documents: a base model's ends with its paragraph."""
        return self.stop_strings() if self.template else (*PLAIN_STOPS, "\n\n")


def render_plain(messages: list[ChatMessage], cue: str = "Assistant:") -> str:
    """A transcript a base model continues naturally, ending with the assistant's cue. For answers
    about documents the cue is "Answer:": after "Assistant:" Gemma 3 270M base copied the passages
    back; after "Answer:" it answered ("The Pink Panther")."""
    parts: list[str] = []
    for message in messages:
        if message.role == "system":
            parts.append(message.content.strip())
        else:
            speaker = "User" if message.role == "user" else "Assistant"
            parts.append(f"{speaker}: {message.content.strip()}")
    parts.append(cue)
    return "\n\n".join(parts)
