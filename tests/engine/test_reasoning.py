"""A reasoning model's thinking is split from its answer as it streams: tags cut across pieces,
the R1 form whose opening tag is in the prompt, an answer that talks about tags, thinking never
closed. Then through a real conversation: the answer alone is shown, saved and fed back; the
thinking is saved beside it."""

from __future__ import annotations

import pytest

from engine.chat_session import ChatSession
from engine.generation import GenerationOptions, GenerationResult
from engine.model_host import ModelHost, ReplyStream
from engine.reasoning import ReasoningSplitter, opens_thinking, split_reasoning
from engine.reply import Reply
from storage import ConversationStore

OUTPUT = "<think>\nThe user wants a colour. Blue is common.\n</think>\n\nBlue is a colour."


def streamed(text: str, size: int, inside: bool = False) -> tuple[str, str]:
    splitter = ReasoningSplitter(inside=inside)
    thought, said = [], []
    for start in range(0, len(text), size):
        t, s = splitter.feed(text[start : start + size])
        thought.append(t)
        said.append(s)
    t, s = splitter.flush()
    return "".join([*thought, t]).strip(), "".join([*said, s]).strip()


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_thinking_is_split_off_however_the_pieces_fall(size: int) -> None:
    assert streamed(OUTPUT, size) == ("The user wants a colour. Blue is common.", "Blue is a colour.")


def test_a_prompt_that_opened_the_tag_starts_the_output_inside_it() -> None:
    assert opens_thinking("<|Assistant|><think>\n")
    assert not opens_thinking("<|im_start|>assistant\n")
    assert streamed("Short thought.</think>The answer.", 4, inside=True) == ("Short thought.", "The answer.")


def test_an_answer_about_tags_keeps_them_and_plain_answers_pass_through() -> None:
    text = "Use <think> tags to mark reasoning, then </think>."
    assert split_reasoning(text) == ("", text)
    assert split_reasoning("  <b>Bold</b> move.") == ("", "  <b>Bold</b> move.")
    assert split_reasoning("<thinking>hm</thinking>Yes.") == ("hm", "Yes.")


def test_thinking_never_closed_is_all_thinking() -> None:
    assert split_reasoning("<think>Still weighing it up") == ("Still weighing it up", "")


def test_a_conversation_shows_saves_and_feeds_back_only_the_answer(
    host: ModelHost, store: ConversationStore
) -> None:
    conversation = store.create()
    session = ChatSession(host, store, conversation, options=GenerationOptions(max_tokens=8))
    user = store.add_message(conversation, "user", "Name a colour.")
    stream = ReplyStream()
    thinking: list[str] = []
    reply = Reply(stream, session, user, on_thinking=thinking.append)
    for start in range(0, len(OUTPUT), 5):  # as a reasoning model's tokens would arrive
        stream.put(OUTPUT[start : start + 5])
    stream.close(GenerationResult(OUTPUT, "stop", 20, 0, 30, 0.1, 50.0, 0.5))
    shown = "".join(reply)
    assert shown.strip() == "Blue is a colour."
    assert "".join(thinking).strip() == "The user wants a colour. Blue is common."
    saved = store.messages(conversation)[-1]
    assert saved.content == "Blue is a colour." and saved.reasoning == reply.thinking
    assert "common" not in " ".join(m.content for m in session.history())
    follow_up = session.ask("And another?")  # the real model goes on from the answer alone
    assert "".join(follow_up) is not None and follow_up.result.prompt_tokens > 0
