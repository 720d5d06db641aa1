"""`longwit bench memory`, part one: facts a person tells in some conversations, asked about in new
ones, with memory and without it, in the same process with the same loaded model.

The script is sixteen facts as a person says them, half asked for ("Remember that my sister is
called Emma."), half only stated ("My name is Daniel."), which Longwit proposes when the conversation
ends (engine/memory_extraction). They are told four to a conversation through the real chat path
(`ChatSession(memory=True)`); after each conversation the person reviews what Longwit proposed, as
in the Memories view: a proposal that says what they told is accepted, any other (a mis-heard
fact) rejected. Each question is then asked in a new conversation twice: with memory, and with
memory off (nothing remembered in the prompt), which shows what memory adds. Recall of earlier
conversations stays off in both, so that memory alone is measured (`bench recall` measures recall).

An answer is scored on its text (it contains an accepted answer, normalised as SQuAD does); beside
it, whether the memory block the model was shown held the fact, since a 135M model often has the
fact before it and still answers something else. The spoken half is media-bound and lives in
desktop/benchmarks/memory_spoken.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine.chat_session import ChatSession
from engine.evaluation.scoring import SCORED_WORDS, contains_answer, normalize_answer
from engine.generation import GenerationOptions
from engine.memory_extraction import stated_facts
from engine.memory_proposals import heard_facts
from engine.memory_subjects import normalised
from engine.model_host import ModelHost
from engine.reply import Reply
from engine.sampling_defaults import generation_options_for
from storage import ConversationStore
from storage.memory_store import MemoryStore

Report = Callable[[str], None]
WITH_MEMORY, NO_MEMORY = "memory", "no memory"
ASKED, STATED = "remember that", "stated"
FACTS_PER_CONVERSATION = 4
ANSWER_TOKENS = 48  # greedy, for both systems alike; the answer's opening is what is scored


@dataclass(frozen=True)
class Fact:
    told: str  # what the person says
    question: str  # asked later, in a new conversation
    answers: tuple[str, ...]  # accepted answers

    @property
    def how(self) -> str:
        """ASKED ("remember that …": proposed at once) or STATED (proposed when the conversation
        ends)."""
        return ASKED if heard_facts(self.told) else STATED

    @property
    def proposal(self) -> str:
        """What Longwit proposes to remember from the words as told ("My sister is called Emma")."""
        stated = [text for text, _subject in stated_facts(self.told)]
        return (heard_facts(self.told) or stated or [self.told])[0]

    def said_by(self, proposal: str) -> bool:
        """Whether a proposal says this fact: it holds an accepted answer and every other word of
        the proposal from the words as told ("My birthday is on the 4th of May" does; "I love the
        Manchester", heard for "I live in Manchester", does not)."""
        if not contains_answer(proposal, self.answers):
            return False
        answer_words = words(" ".join(self.answers))
        return words(self.proposal) - answer_words <= words(proposal)


def words(text: str) -> set[str]:
    """Words as scored, British spellings ("My favorite color" is the person's "favourite colour")."""
    return set(normalize_answer(normalised(text)).split())


# Alternating, so that a smaller run (--facts 2) still holds one fact of each kind.
FACTS = (
    Fact("Remember that my sister is called Emma.", "What is my sister called?", ("Emma",)),
    Fact("My name is Daniel.", "What is my name?", ("Daniel",)),
    Fact("Please remember that my dog is called Biscuit.", "What is my dog called?", ("Biscuit",)),
    Fact("I live in Manchester.", "Where do I live?", ("Manchester",)),
    Fact("Remember that my birthday is on the fourth of May.", "When is my birthday?",
         ("fourth of May", "4th of May", "4 May", "May 4", "May 4th", "May fourth")),
    Fact("I work as a nurse.", "What is my job?", ("nurse",)),
    Fact("Don't forget that my car is a blue Volvo.", "What car do I drive?", ("Volvo",)),
    Fact("My favourite colour is green.", "What is my favourite colour?", ("green",)),
    Fact("Keep in mind that my train leaves at seven.", "When does my train leave?", ("seven", "7")),
    Fact("I'm allergic to peanuts.", "What am I allergic to?", ("peanuts", "peanut")),
    Fact("Remember that my doctor is called Doctor Patel.", "What is my doctor called?", ("Patel",)),
    Fact("I speak Portuguese at home.", "Which language do I speak at home?", ("Portuguese",)),
    Fact("Remember that my locker number is 42.", "What is my locker number?",
         ("42", "forty-two")),
    Fact("My wife's name is Priya.", "What is my wife's name?", ("Priya",)),
    Fact("I was born in Lisbon.", "Where was I born?", ("Lisbon",)),
    Fact("I love climbing.", "Which sport do I love?", ("climbing",)),
)


@dataclass(frozen=True)
class ProposalRecord:
    mode: str  # "typed" or "spoken"
    text: str
    accepted: bool  # it said what the person told; else rejected


@dataclass(frozen=True)
class FactAnswer:
    mode: str  # "typed" or "spoken"
    system: str  # WITH_MEMORY or NO_MEMORY
    how: str  # ASKED or STATED
    question: str
    golds: tuple[str, ...]
    heard: str  # the question as transcribed (spoken), else as typed
    answer: str
    correct: bool
    memories_shown: int  # memories in the prompt the model was given
    fact_shown: bool  # one of them held an accepted answer
    cut: bool = False  # the answer was stopped before its end (a voice call that ended first)


def conversations(facts: Sequence[Fact]) -> list[Sequence[Fact]]:
    return [facts[at : at + FACTS_PER_CONVERSATION]
            for at in range(0, len(facts), FACTS_PER_CONVERSATION)]


def answer_options(host: ModelHost) -> GenerationOptions:
    return generation_options_for(host, documents=False, max_tokens=ANSWER_TOKENS, temperature=0.0)


def review_proposals(memories: MemoryStore, facts: Sequence[Fact], mode: str) -> list[ProposalRecord]:
    """What a person does with the proposals waiting: yes to each that says a fact they told,
    no to any other (a fact mis-heard, or one they never said)."""
    reviewed = []
    for proposal in memories.proposals():
        holds = any(fact.said_by(proposal.text) for fact in facts)
        if holds:
            memories.accept(proposal.id)
        else:
            memories.reject(proposal.id)
        reviewed.append(ProposalRecord(mode, proposal.text, holds))
    return reviewed


def tell_typed(host: ModelHost, store: ConversationStore, facts: Sequence[Fact],
               report: Report) -> list[ProposalRecord]:
    """The facts typed, four to a conversation; each conversation ends (its stated facts are
    proposed) and its proposals are reviewed before the next begins."""
    options = answer_options(host)
    reviewed: list[ProposalRecord] = []
    for number, told in enumerate(conversations(facts), 1):
        session = ChatSession(host, store, store.create(title=f"Telling {number}"), options=options,
                              memory=True)
        for fact in told:
            finish(session.ask(fact.told))
        session.end()
        reviewed += review_proposals(MemoryStore(store.db), told, "typed")
        report(f"  typed conversation {number}: {len(told)} facts told, "
               f"{sum(r.accepted for r in reviewed)} memories accepted so far")
    return reviewed


def finish(reply: Reply) -> Reply:
    for _piece in reply:
        pass
    return reply


def score(mode: str, system: str, fact: Fact, heard: str, reply: Reply | None,
          answer: str) -> FactAnswer:
    """One answer scored on its text, with what the model was shown."""
    block = reply.memory if reply is not None else None
    shown = block.included if block is not None else []
    result = reply.result if reply is not None else None
    return FactAnswer(mode, system, fact.how, fact.question, fact.answers, heard, answer,
                      contains_answer(answer, fact.answers, SCORED_WORDS), len(shown),
                      any(contains_answer(memory.text, fact.answers) for memory in shown),
                      result is not None and result.finish_reason == "cancelled")


def ask_typed(host: ModelHost, store: ConversationStore, fact: Fact, memory: bool) -> FactAnswer:
    """The question in a new conversation, through the real chat path, memory on or off."""
    session = ChatSession(host, store, store.create(title="Question"), options=answer_options(host),
                          memory=memory)
    reply = finish(session.ask(fact.question))
    return score("typed", WITH_MEMORY if memory else NO_MEMORY, fact, fact.question, reply,
                 reply.text)


def progress_line(mode: str, pair: Sequence[FactAnswer]) -> str:
    on, off = pair
    return (f"  {mode:<6} {'✓' if on.correct else '✗'} memory ({on.memories_shown} shown"
            f"{', the fact among them' if on.fact_shown else ''})  "
            f"{'✓' if off.correct else '✗'} no memory  (gold: {on.golds[0]})")


def run_typed(host: ModelHost, store: ConversationStore, facts: Sequence[Fact], report: Report,
              proposals: list[ProposalRecord], answers: list[FactAnswer]) -> None:
    """Tell, review, then ask each question with memory and without; results are appended as
    they come, so an interrupted run keeps what it measured."""
    report(f"Typed: telling {len(facts)} facts in {len(conversations(facts))} conversations…")
    proposals += tell_typed(host, store, facts, report)
    for fact in facts:
        pair = [ask_typed(host, store, fact, memory) for memory in (True, False)]
        answers += pair
        report(progress_line("typed", pair))


def memory_summary(proposals: Sequence[ProposalRecord], answers: Sequence[FactAnswer]) -> list[dict]:
    """Accuracy per mode and system, with how often the fact was in the prompt; proposals per mode."""
    rows = []
    for mode in ("typed", "spoken"):
        made = [p for p in proposals if p.mode == mode]
        for system in (WITH_MEMORY, NO_MEMORY):
            chosen = [a for a in answers if a.mode == mode and a.system == system]
            if not chosen:
                continue
            rows.append({
                "mode": mode, "system": system, "questions": len(chosen),
                "correct": sum(a.correct for a in chosen),
                "accuracy": sum(a.correct for a in chosen) / len(chosen),
                "fact_shown_share": sum(a.fact_shown for a in chosen) / len(chosen),
                "answers_cut": sum(a.cut for a in chosen),
                "proposals_made": len(made) if system == WITH_MEMORY else 0,
                "proposals_accepted": sum(p.accepted for p in made) if system == WITH_MEMORY else 0,
            })
    return rows
