"""The documents a context probe reads: SQuAD paragraphs of other articles as filler, a planted
sentence with a number the model cannot know, and real paragraphs whose human-written questions are
asked, all at one depth of a document of a given length in the model's tokens."""

from __future__ import annotations

import random
import re

from engine.document_prompt import DocumentChunk, PinnedDocument, document_block
from engine.errors import EngineError
from engine.evaluation.squad import Paragraph, load_articles
from engine.loader import LoadedModel
from engine.probe_records import Asked, ProbeOptions
from storage.locations import Location

PROBE_DOCUMENT_ID = -1  # never a stored document's id, so nothing keyed by id can mix them up
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

# Made-up facts with a number the model cannot know, and their questions. Each depth has its own
# kind of fact, the same at every length with a new number in every cell, so that lengths are
# compared on equal terms: with names in some cells, SmolLM2 missed every name and found every
# number whatever the length, and which length drew the names decided the result.
PLANTED_FACTS = (
    ("The archive's courier code is {}.", "What is the archive's courier code?"),
    ("The lighthouse keeper's locker number is {}.", "What is the lighthouse keeper's locker number?"),
    ("The old telescope's serial number is {}.", "What is the old telescope's serial number?"),
    ("The rescue team answers on radio channel {}.", "On which radio channel does the rescue team answer?"),
    ("The harbour master's permit is number {}.", "What number is the harbour master's permit?"),
)

def planted_fact(depth_index: int, rng: random.Random) -> tuple[str, Asked]:
    """The planted sentence for a cell at this depth, and its question."""
    sentence, question = PLANTED_FACTS[depth_index % len(PLANTED_FACTS)]
    value = str(rng.randint(1000, 9899))
    return sentence.format(value), Asked("planted", question, (value,))


def choose_questions(options: ProbeOptions) -> tuple[str, list[list[tuple[Paragraph, Asked]]]]:
    """One SQuAD article (by the seed) and, per depth, paragraphs of it each with one answerable
    question, preferring questions whose gold answer is at most four words."""
    rng = random.Random(options.seed)
    needed = len(options.depths) * options.real_paragraphs

    def answerable(paragraph: Paragraph) -> list:
        return [q for q in paragraph.questions if not q.impossible and q.answers]

    def eligible(paragraph: Paragraph) -> bool:
        return len(paragraph.text) <= options.max_paragraph_chars and bool(answerable(paragraph))

    articles = [a for a in load_articles() if sum(map(eligible, a.paragraphs)) >= needed]
    if not articles:
        raise EngineError(f"The evaluation articles hold fewer than {needed} short paragraphs with "
                          "questions; ask about fewer depths or paragraphs.")
    article = rng.choice(articles)
    chosen = []
    for paragraph in rng.sample([p for p in article.paragraphs if eligible(p)], needed):
        questions = answerable(paragraph)
        short = [q for q in questions if min(len(a.split()) for a in q.answers) <= 4]
        question = rng.choice(short or questions)
        chosen.append((paragraph, Asked("real", question.text, question.answers)))
    per = options.real_paragraphs
    return article.title, [chosen[i * per:(i + 1) * per] for i in range(len(options.depths))]


class DocumentMaker:
    """Builds one cell's document from filler paragraphs, measuring each once per probe."""

    def __init__(self, model: LoadedModel, filler: list[tuple[str, str]]) -> None:
        self.model = model
        self.filler = filler
        self.counts: dict[str, int] = {}

    def tokens(self, text: str) -> int:
        if text not in self.counts:
            self.counts[text] = self.model.count_tokens(text) + 1  # and its line break
        return self.counts[text]

    def make(self, length: int, offset: int, depth: float, cluster: list[tuple[str, str]],
             planted: str) -> PinnedDocument:
        """At most `length` tokens: filler from `offset` on, with the planted sentence and the
        `cluster` of asked-about paragraphs at `depth`. The filler before the cluster starts the
        same way at every depth of a length, so later cells reuse that part of the cache."""
        target = length
        for _ in range(4):  # paragraphs measured alone add up to a little less than the whole
            document = self.build(target, offset, depth, cluster, planted)
            over = (document.token_count or 0) - length
            if over <= 0:
                break
            target -= over + 8
        return document

    def build(self, length: int, offset: int, depth: float, cluster: list[tuple[str, str]],
              planted: str) -> PinnedDocument:
        inside = sum(self.tokens(text) for _, text in cluster) + (self.tokens(planted) if planted else 0)
        before = depth * max(0, length - inside)
        parts: list[tuple[str, str]] = []
        used, index = 0, offset
        while used + self.tokens(self.filler[index % len(self.filler)][1]) / 2 <= before:
            parts.append(self.filler[index % len(self.filler)])
            used += self.tokens(parts[-1][1])
            index += 1
        if planted and parts:  # the planted sentence ends the paragraph before the asked-about ones
            parts[-1] = (parts[-1][0], f"{parts[-1][1]} {planted}")
        elif planted:
            parts.append((cluster[0][0] if cluster else "Notes", planted))
        parts += cluster
        used += inside
        while used < length:
            title, text = self.filler[index % len(self.filler)]
            index += 1
            if used + self.tokens(text) > length:
                text = self.cut(text, length - used)
                if text:
                    parts.append((title, text))
                break
            parts.append((title, text))
            used += self.tokens(text)
        chunks = tuple(DocumentChunk(-(i + 1), PROBE_DOCUMENT_ID, i, text, Location(section=title))
                       for i, (title, text) in enumerate(parts))
        document = PinnedDocument(PROBE_DOCUMENT_ID, "Collected articles", chunks)
        # Known up front, so the packer neither measures it again nor remembers it under an id.
        return PinnedDocument(PROBE_DOCUMENT_ID, document.title, chunks,
                              self.model.count_tokens(document_block(1, document)))

    def cut(self, text: str, room: int) -> str:
        """The leading sentences of `text` that fit in `room` tokens."""
        sentences = SENTENCE_END.split(text)
        while sentences and self.model.count_tokens(" ".join(sentences)) + 1 > room:
            sentences.pop()
        return " ".join(sentences)
