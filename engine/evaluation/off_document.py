"""Hand-written questions about things an article never mentions ("Which Olympic medal did Beyoncé
win in 2012?"): the honest reply is that the document does not say. SQuAD 2.0's unanswerable
questions are written to look answerable from their paragraph, and only two of the ten articles
have them; these ask what a person asks of a document that is silent on it. Each lists the words of
its premise that occur nowhere in its article (`data/off-document-questions.json`, checked by a
test)."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from engine.evaluation.squad import Question

OFF_DOCUMENT_FILE = Path(__file__).with_name("data") / "off-document-questions.json"


@functools.cache
def off_document_questions(path: Path = OFF_DOCUMENT_FILE) -> dict[str, tuple[Question, ...]]:
    """Article title → its off-document questions (unanswerable, no gold answer)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        title: tuple(
            Question(f"off-{re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-')}-{n}",
                     item["question"], (), True, off_document=True)
            for n, item in enumerate(items, start=1)
        )
        for title, items in data["questions"].items()
    }


def absent_words(path: Path = OFF_DOCUMENT_FILE) -> dict[str, list[tuple[str, list[str]]]]:
    """Article title → (question, the words of its premise the article never mentions)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {title: [(item["question"], item["absent"]) for item in items]
            for title, items in data["questions"].items()}
