"""What a person reads of an answer about documents: citation numbers that point nowhere dropped,
then each sentence released only once the passages support it (engine/answer_support.py). An answer
whose first sentence is unsupported, or that says itself that the documents do not hold the answer,
becomes Longwit's honest reply, shown with the closest passage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.answer_support import ShownText, SupportFilter, is_refusal
from engine.citations import Citation, CitationFilter, citation_for, resolve_citations
from engine.document_prompt import SourcePassage


def honest_reply(documents: int, anything_close: bool = True, unknown: Sequence[str] = ()) -> str:
    """The reply when the documents do not hold the answer; when no passage even shares a word
    with the question, it says so (a question in another language than the document finds none),
    and it names what the question asks about that the documents never mention."""
    where = "document" if documents == 1 else "documents"
    if anything_close:
        if unknown:
            named = ", ".join(f"“{word}”" for word in unknown[:3])
            they = "It never mentions" if documents == 1 else "They never mention"
            return f"I could not find this in the {where}. {they} {named}."
        return f"I could not find this in the {where}."
    return (f"I could not find this in the {where}: no passage shares a word with the question. "
            f"If the {where} {'is' if documents == 1 else 'are'} in another language, ask in that one.")


@dataclass
class AnswerCheck:
    """The passages the model was shown and what it was shown in all, for one answer."""

    sources: list[SourcePassage]
    shown: ShownText | None  # None: no check (an answer without documents)
    closest: SourcePassage | None  # the best passage for the question, shown with a "not found"
    documents: int = 1


class DocumentAnswerFilter:
    """Feed the model's pieces; get what may be shown. `unsupported` once a sentence failed."""

    def __init__(self, check: AnswerCheck) -> None:
        self.check = check
        self.citations = CitationFilter(check.sources)
        self.support = SupportFilter(check.shown) if check.shown is not None else None

    def feed(self, piece: str) -> str:
        text = self.citations.feed(piece)
        return self.support.feed(text) if self.support is not None else text

    def flush(self, complete: bool = True) -> str:
        text = self.citations.flush()
        if self.support is None:
            return text
        return self.support.feed(text) + self.support.flush(complete)

    @property
    def unsupported(self) -> bool:
        return self.support is not None and self.support.failed

    @property
    def stopped(self) -> bool:
        """Nothing more will be shown: a sentence was unsupported, or the answer began to repeat."""
        return self.support is not None and self.support.stopped

    @property
    def repeated(self) -> bool:
        return self.support is not None and self.support.repeated


@dataclass(frozen=True)
class CheckedAnswer:
    text: str
    citations: list[Citation]
    unsupported: bool  # the model's answer was cut or replaced because the passages did not hold it
    not_found: bool  # the reply is "not in the document", with the closest passage
    repeated: bool = False  # cut where it began to say again what it had said


def checked_answer(model_text: str, check: AnswerCheck, complete: bool = True) -> CheckedAnswer:
    """The answer as saved: the same filtering as the stream, so that what was shown is saved.
    An answer that is not `complete` (a person stopped it) is cut, never replaced."""
    answer = DocumentAnswerFilter(check)
    text = answer.feed(model_text) + answer.flush(complete)
    if not complete:
        return CheckedAnswer(text.strip(), resolve_citations(text, check.sources), False, False)
    unsupported, repeated = answer.unsupported, answer.repeated
    closest = [citation_for(check.closest, "closest", "")] if check.closest else []
    if unsupported and not text.strip():
        reply = honest_reply(check.documents, check.closest is not None, check.shown.unknown)
        return CheckedAnswer(reply, closest, True, True)
    if check.shown is not None and is_refusal(text):  # the model's own "not in the passages"
        return CheckedAnswer(text.strip(), closest, unsupported, True, repeated)
    return CheckedAnswer(text.strip(), resolve_citations(text, check.sources), unsupported, False,
                         repeated)
