"""The SQuAD 2.0 articles that ship with Longwit for evaluation: real Wikipedia text with questions
written by people (see data/README.md for the source and licence)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "squad-train-v2.0-first-10.json"


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    answers: tuple[str, ...]  # gold answers; for an unanswerable question, the plausible wrong ones
    impossible: bool  # SQuAD 2.0's unanswerable questions: the honest reply is "not in the document"
    # A hand-written question about something the article never mentions (engine/evaluation/
    # off_document.py); unanswerable, reported apart from SQuAD's questions.
    off_document: bool = False


@dataclass(frozen=True)
class Paragraph:
    text: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Article:
    title: str
    paragraphs: tuple[Paragraph, ...]

    @property
    def chars(self) -> int:
        return sum(len(p.text) for p in self.paragraphs)


@functools.cache
def load_articles(path: Path = DATA_FILE) -> tuple[Article, ...]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        Article(
            article["title"],
            tuple(
                Paragraph(
                    paragraph["text"],
                    tuple(
                        Question(q["id"], q["question"], tuple(q["answers"]), q["impossible"])
                        for q in paragraph["questions"]
                    ),
                )
                for paragraph in article["paragraphs"]
            ),
        )
        for article in data["articles"]
    )
