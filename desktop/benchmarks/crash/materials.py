"""What the crash workloads read: real documents in each format Longwit reads (SQuAD's Wikipedia
articles, shipped for the answer evaluation) beside one large text, a short document to ask about,
a scripted voice call spoken by Piper, and the bundled SmolLM2 file to download."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from desktop.benchmarks.crash.checks import ServedFile, file_sha256
from engine.catalog import DEFAULT_MODEL, resolve_model
from engine.evaluation.squad import Article, load_articles
from media.document_files import Chapter, write_document
from media.ingest_benchmark import make_text

LARGE_TEXT_MB = 6  # with the articles, `docs add` takes a few seconds: room for kills mid-file
FORMATS = (".txt", ".pdf", ".epub", ".docx")
STATE_DOCUMENT_CHARS = 1200  # over the 256 tokens worth saving a state for, read whole by SmolLM2
VOICE_TURNS = ("How many legs does a spider have?", 6.0, "Thank you very much.")


@dataclass(frozen=True)
class Materials:
    documents: Path  # a folder of files for `docs add`
    question_document: Path  # a short document, asked about with `ask --doc`
    question: str
    voice_script: Path | None  # the microphone of `voice --mic`, when the voice workload runs
    model: ServedFile
    model_url: str = ""  # set once the file server is up


def article_chapters(article: Article) -> list[Chapter]:
    paragraphs = [paragraph.text for paragraph in article.paragraphs]
    half = max(1, len(paragraphs) // 2)
    return [Chapter("Part one", tuple(paragraphs[:half])), Chapter("Part two", tuple(paragraphs[half:]))]


def write_documents(folder: Path, articles: tuple[Article, ...]) -> None:
    for index, suffix in enumerate(FORMATS):
        article = articles[index]
        write_document(folder / f"article-{index + 1}{suffix}", article.title, article_chapters(article))
    make_text(folder / "large.txt", LARGE_TEXT_MB, random.Random(16))


def question_document(path: Path, article: Article) -> str:
    """Write the first paragraphs of an article, up to a size; returns a question about them."""
    kept: list[str] = []
    for paragraph in article.paragraphs:
        if kept and sum(map(len, kept)) + len(paragraph.text) > STATE_DOCUMENT_CHARS:
            break
        kept.append(paragraph.text[:STATE_DOCUMENT_CHARS])
    path.write_text(f"{article.title}\n\n" + "\n\n".join(kept) + "\n", encoding="utf-8")
    return article.paragraphs[0].questions[0].text


def voice_script(path: Path) -> Path:
    """The person's side of the call: speech for each text, silence for each number of seconds."""
    import numpy as np
    import soundfile

    from media.audio_backend import SAMPLE_RATE
    from media.text_to_speech import TextToSpeech

    tts = TextToSpeech()
    audio = [np.zeros(round(part * SAMPLE_RATE), dtype=np.float32) if isinstance(part, float)
             else tts.synthesize(part) for part in (0.5, *VOICE_TURNS, 0.5)]
    soundfile.write(str(path), np.concatenate(audio), SAMPLE_RATE)
    return path


def make_materials(folder: Path, voice: bool) -> Materials:
    articles = load_articles()
    documents = folder / "documents"
    documents.mkdir(parents=True, exist_ok=True)
    write_documents(documents, articles)
    asked = folder / "question-document.txt"
    question = question_document(asked, articles[len(FORMATS)])
    model = resolve_model(DEFAULT_MODEL, folder / "bundled-models").path
    served = ServedFile(model, file_sha256(model), model.stat().st_size)
    script = voice_script(folder / "voice-call.wav") if voice else None
    return Materials(documents, asked, question, script, served)
