"""The evaluation's documents: real articles cut or joined to four sizes, each with questions people
wrote about the paragraphs it holds.

Sizes, in tokens of the bundled models (about four characters a token):
- page: four consecutive paragraphs, about 700 tokens;
- section: consecutive paragraphs up to about 16,000 characters, about 4K tokens (under an 8K window);
- article: a whole article, 6K-23K tokens (several 8K windows; under Gemma's 32K);
- book: all ten articles as chapters, about 120K tokens (far past every bundled window).

Which paragraphs and questions are taken follows a seed, so another seed gives held-out documents
and questions from the same articles. Questions whose gold answer is longer than five words are left
out: SQuAD marks spans, and a long span ("his love life and his early death") is almost never
repeated word for word by any system, which measures phrasing rather than reading.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from engine.evaluation.off_document import off_document_questions
from engine.evaluation.squad import Article, Paragraph, Question, load_articles

BUCKETS = ("page", "section", "article", "book")
FORMATS = ("txt", "pdf", "epub", "docx")
SECTION_CHARS = 16_000
PAGE_PARAGRAPHS = 4
MAX_ANSWER_WORDS = 5
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class EvalSection:
    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class EvalDocument:
    name: str  # a file name without suffix: "page-03-ipod"
    bucket: str
    title: str
    format: str  # a suffix without the dot
    sections: tuple[EvalSection, ...]
    questions: tuple[Question, ...]

    @property
    def chars(self) -> int:
        return sum(len(p) for s in self.sections for p in s.paragraphs)


@dataclass(frozen=True)
class CorpusOptions:
    seed: int = 0
    questions_per_bucket: int = 40
    # Of the questions about an article that has unanswerable ones (two of the ten do): about a
    # tenth of each bucket's questions then ask for something the document does not say.
    unanswerable_share: float = 0.5
    buckets: tuple[str, ...] = BUCKETS
    articles_per_bucket: int = 5  # for the article bucket: whole articles are slow to pre-fill
    # Hand-written questions about what the article never mentions, added to each document for each
    # article it holds (engine/evaluation/off_document.py), drawn apart so that SQuAD's draws stay
    # those of the seed; 0 leaves them out.
    off_document: int = 1


def usable(question: Question) -> bool:
    return bool(question.answers) and all(len(a.split()) <= MAX_ANSWER_WORDS for a in question.answers)


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40]


def pick_questions(paragraphs: Sequence[Paragraph], count: int, rng: random.Random,
                   unanswerable_share: float) -> tuple[Question, ...]:
    """`count` questions about these paragraphs, spread over them, a share of them unanswerable."""
    answerable = [q for p in paragraphs for q in p.questions if not q.impossible and usable(q)]
    impossible = [q for p in paragraphs for q in p.questions if q.impossible and q.answers]
    want_impossible = min(len(impossible), round(count * unanswerable_share))
    chosen = rng.sample(impossible, want_impossible) if want_impossible else []
    chosen += rng.sample(answerable, min(len(answerable), count - len(chosen)))
    rng.shuffle(chosen)
    return tuple(chosen)


def format_for(index: int, text: str) -> str:
    """Formats in turn; no PDF for text with CJK characters (the PDF writer's font lacks them)."""
    formats = [f for f in FORMATS if not (f == "pdf" and CJK.search(text))]
    return formats[index % len(formats)]


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def page_documents(articles: Sequence[Article], options: CorpusOptions,
                   rng: random.Random) -> list[EvalDocument]:
    counts = split(options.questions_per_bucket, len(articles))
    documents = []
    for index, (article, count) in enumerate(zip(articles, counts, strict=True)):
        start = rng.randrange(0, len(article.paragraphs) - PAGE_PARAGRAPHS + 1)
        paragraphs = article.paragraphs[start : start + PAGE_PARAGRAPHS]
        documents.append(make_document("page", index, article, paragraphs, count, rng, options))
    return documents


def section_documents(articles: Sequence[Article], options: CorpusOptions,
                      rng: random.Random) -> list[EvalDocument]:
    counts = split(options.questions_per_bucket, len(articles))
    documents = []
    for index, (article, count) in enumerate(zip(articles, counts, strict=True)):
        paragraphs = article.paragraphs
        start = rng.randrange(0, len(paragraphs))
        end, size = start, 0
        while end < len(paragraphs) and size < SECTION_CHARS:
            size += len(paragraphs[end].text)
            end += 1
        while start > 0 and size < SECTION_CHARS:  # near the end: grow backwards
            start -= 1
            size += len(paragraphs[start].text)
        documents.append(
            make_document("section", index, article, paragraphs[start:end], count, rng, options)
        )
    return documents


def article_documents(articles: Sequence[Article], options: CorpusOptions,
                      rng: random.Random) -> list[EvalDocument]:
    chosen = rng.sample(list(articles), min(options.articles_per_bucket, len(articles)))
    counts = split(options.questions_per_bucket, len(chosen))
    return [
        make_document("article", index, article, article.paragraphs, count, rng, options)
        for index, (article, count) in enumerate(zip(chosen, counts, strict=True))
    ]


def book_document(articles: Sequence[Article], options: CorpusOptions,
                  rng: random.Random) -> list[EvalDocument]:
    counts = split(options.questions_per_bucket, len(articles))
    questions: list[Question] = []
    for article, count in zip(articles, counts, strict=True):
        questions += pick_questions(article.paragraphs, count, rng, options.unanswerable_share)
    sections = tuple(EvalSection(a.title, tuple(p.text for p in a.paragraphs)) for a in articles)
    return [EvalDocument("book-ten-articles", "book", "Ten Wikipedia articles", "epub", sections,
                         tuple(questions))]


def make_document(bucket: str, index: int, article: Article, paragraphs: Sequence[Paragraph],
                  count: int, rng: random.Random, options: CorpusOptions) -> EvalDocument:
    texts = tuple(p.text for p in paragraphs)
    return EvalDocument(
        f"{bucket}-{index + 1:02d}-{slug(article.title)}",
        bucket,
        article.title,
        format_for(index, " ".join(texts)),
        (EvalSection(article.title, texts),),
        pick_questions(paragraphs, count, rng, options.unanswerable_share),
    )


def with_off_document(document: EvalDocument, count: int, rng: random.Random) -> EvalDocument:
    """The document with `count` off-document questions for each article it holds, asked last."""
    if count <= 0:
        return document
    extra: list[Question] = []
    for section in document.sections:
        written = off_document_questions().get(section.heading, ())
        extra += rng.sample(written, min(count, len(written)))
    return replace(document, questions=document.questions + tuple(extra))


def build_corpus(options: CorpusOptions = CorpusOptions()) -> list[EvalDocument]:
    """The documents of the chosen buckets, the same for the same seed."""
    articles = load_articles()
    builders = {"page": page_documents, "section": section_documents,
                "article": article_documents, "book": book_document}
    documents: list[EvalDocument] = []
    for bucket in options.buckets:
        # One generator per bucket, so choosing fewer buckets does not change the others.
        rng = random.Random(f"{options.seed}:{bucket}")
        extra = random.Random(f"{options.seed}:{bucket}:off-document")
        documents += [with_off_document(d, options.off_document, extra)
                      for d in builders[bucket](articles, options, rng) if d.questions]
    return documents
