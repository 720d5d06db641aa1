"""A conversation with the model: save the question, fit the window, stream the answer, save it.

The user's message is committed before the model starts, so nothing typed is lost; the answer is
committed when it ends, marked as cut if it was cancelled, with its token counts and timings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from engine.chat_format import ChatMessage
from engine.conversation_window import PackedPrompt, answer_reserve, fit_conversation
from engine.generation import GenerationOptions, GenerationResult
from engine.loader import LoadedModel
from engine.model_host import ModelHost, ReplyStream
from storage import ConversationStore, MessageStats

DEFAULT_SYSTEM_PROMPT = (
    "You are Longwit, a helpful assistant running privately on the user's computer. "
    "Answer clearly and concisely."
)


@dataclass
class Reply:
    """One answer being generated. Iterate it for text; `result` and `message_id` once finished."""

    stream: ReplyStream
    session: ChatSession
    user_message_id: int
    notices: list[str] = field(default_factory=list)
    result: GenerationResult | None = None
    message_id: int | None = None

    def __iter__(self) -> Iterator[str]:
        try:
            yield from self.stream
        except BaseException:
            # Ctrl-C in the reader, or a reader that stopped reading (GeneratorExit): stop the
            # model before saving, or finish() would wait for the whole answer.
            self.cancel()
            raise
        finally:
            self.finish()

    def cancel(self) -> None:
        self.stream.cancel()

    def finish(self) -> GenerationResult:
        """Wait for the end of generation and save the answer (once), cut or whole."""
        if self.result is None:
            self.result = self.stream.wait()
            self.message_id = self.session.save_answer(self.result)
            self.notices.extend(self.session.window_notices())
            if self.result.finish_reason == "length" and self.result.completion_tokens:
                self.notices.append("The answer stopped at the token limit.")
        return self.result


class ChatSession:
    """Holds which conversation we are in and where its window currently starts."""

    def __init__(
        self,
        host: ModelHost,
        store: ConversationStore,
        conversation_id: int,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        options: GenerationOptions | None = None,
    ) -> None:
        self.host = host
        self.store = store
        self.conversation_id = conversation_id
        self.system_prompt = system_prompt
        self.options = options or GenerationOptions()
        self.window_start = 0
        self.last_packing: PackedPrompt | None = None

    def history(self) -> list[ChatMessage]:
        return [
            ChatMessage(m.role, m.content)
            for m in self.store.messages(self.conversation_id)
            if m.role in ("user", "assistant")
        ]

    def ask(self, text: str) -> Reply:
        """Save the question and start streaming the answer."""
        user_message_id = self.store.add_message(self.conversation_id, "user", text)
        history = self.history()
        system = ChatMessage("system", self.system_prompt) if self.system_prompt else None

        def pack(model: LoadedModel) -> list[int]:
            reserve = answer_reserve(model, self.options.max_tokens)
            self.last_packing = fit_conversation(model, system, history, self.window_start, reserve)
            self.window_start = self.last_packing.start
            return self.last_packing.tokens

        stops = self.host.call(lambda model: model.chat_format.stop_strings())
        stream = self.host.stream(pack, self.options, stops)
        return Reply(stream, self, user_message_id)

    def window_notices(self) -> list[str]:
        """What the person should know about the window for the last answer."""
        packing = self.last_packing
        notices = []
        if packing and packing.left_out:
            notices.append(
                f"{packing.left_out} earlier message{'s' if packing.left_out != 1 else ''} "
                "no longer fit the model's context window; they stay in the history."
            )
        if packing and packing.shortened:
            notices.append(
                "Your message was too long for the context window; its middle was left out."
            )
        return notices

    def save_answer(self, result: GenerationResult) -> int:
        card = self.host.card
        stats = MessageStats(
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            ttft_s=result.ttft_s,
            tokens_per_s=result.tokens_per_s,
            duration_s=result.duration_s,
        )
        return self.store.add_message(
            self.conversation_id,
            "assistant",
            result.text,
            model=card.name if card else None,
            stats=stats,
            cut=result.finish_reason == "cancelled",
        )
