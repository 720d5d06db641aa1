"""Deliberate mode with the real bundled model: several answers from one prompt, the first exactly
the plain answer, the others sampled (and reproducible), the one most agree with shown and saved
with every sample, progress on each, and a cancel that keeps what was done."""

from __future__ import annotations

import threading

from engine.chat_session import ChatSession
from engine.deliberation import Deliberation
from engine.generation import GenerationOptions
from engine.model_host import ModelHost
from storage import ConversationStore
from storage.answer_samples import AnswerSamples

QUESTION = "Name one animal that lives in the sea."
GREEDY = GenerationOptions(max_tokens=24, temperature=0.0, top_k=1)


def deliberate(host: ModelHost, store: ConversationStore, samples: int,
               progress: list[tuple[int, int]] | None = None):
    session = ChatSession(host, store, store.create(), options=GREEDY)
    deliberation = Deliberation(samples, on_progress=(lambda d, t: progress.append((d, t)))
                                if progress is not None else None)
    reply = session.ask(QUESTION, deliberation=deliberation)
    return reply, "".join(reply), deliberation


def test_the_answer_most_samples_agree_with_is_shown_and_every_sample_saved(
    host: ModelHost, store: ConversationStore
) -> None:
    plain = ChatSession(host, store, store.create(), options=GREEDY).ask(QUESTION)
    plain_text = "".join(plain).strip()
    progress: list[tuple[int, int]] = []
    reply, shown, deliberation = deliberate(host, store, 4, progress)

    assert progress == [(1, 4), (2, 4), (3, 4), (4, 4)]
    texts = deliberation.texts
    assert len(texts) == 4 and texts[0] == plain_text  # the first is the plain answer
    groups = deliberation.groups
    assert groups is not None and shown.strip() == texts[groups.chosen]
    assert sum(len(g) for g in groups.groups) == 4
    assert deliberation.summary() == f"{groups.agreeing} of 4 answers agree"
    assert f"{groups.agreeing} of 4 answers agree." in reply.notices

    saved = AnswerSamples(store.db).for_message(reply.message_id)
    assert [s.content for s in saved] == texts
    assert [s.ordinal for s in saved if s.chosen] == [groups.chosen]
    assert all((s.group == 0) == (s.ordinal in groups.groups[0]) for s in saved)
    assert store.messages(store.latest_id())[-1].content == shown.strip()
    # The whole deliberation is one message's figures: all its samples' tokens.
    assert reply.result.completion_tokens == sum(a.completion_tokens for a in deliberation.answers)

    again = deliberate(host, store, 4)[2]
    assert again.texts == texts  # each sample has its own fixed seed: the same question, the same samples


def test_samples_after_the_first_are_sampled_not_copies(host: ModelHost, store: ConversationStore) -> None:
    session = ChatSession(host, store, store.create(), options=GREEDY)
    deliberation = Deliberation(6)
    "".join(session.ask("Write one short sentence about the weather.", deliberation=deliberation))
    assert len(set(deliberation.texts)) > 1


def test_a_cancel_keeps_the_samples_done_and_the_model_goes_on(
    host: ModelHost, store: ConversationStore
) -> None:
    session = ChatSession(host, store, store.create(), options=GREEDY)
    stop_after_two = threading.Event()
    deliberation = Deliberation(6, on_progress=lambda done, _total: done == 2 and stop_after_two.set())
    reply = session.ask(QUESTION, deliberation=deliberation)
    stop_after_two.wait(120)
    reply.cancel()
    reply.finish()
    assert 2 <= len(deliberation.answers) < 6 and reply.result.finish_reason == "cancelled"
    assert "stopped after" in deliberation.summary()
    saved = store.messages(session.conversation_id)[-1]
    assert saved.role == "assistant" and saved.cut
    assert len(AnswerSamples(store.db).for_message(reply.message_id)) == len(deliberation.answers)
    follow_up = session.ask("And one bird?")
    assert "".join(follow_up).strip()
