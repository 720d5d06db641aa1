"""Scoring on the answer text, the corpus's sizes and determinism, the baseline's chunks."""

from __future__ import annotations

import re

from engine.evaluation.baseline import blank_line_chunks
from engine.evaluation.corpus import BUCKETS, CorpusOptions, build_corpus
from engine.evaluation.off_document import absent_words
from engine.evaluation.scoring import contains_answer, normalize_answer
from engine.evaluation.squad import load_articles


def test_normalising_drops_case_punctuation_and_articles() -> None:
    assert normalize_answer("The  Romantic era!") == "romantic era"


def test_an_answer_is_right_when_it_contains_a_gold_answer_on_word_boundaries() -> None:
    assert contains_answer("He left for the Romantic era, indeed.", ["Romantic era"])
    assert contains_answer("It was 3,850,000 EJ.", ["3,850,000"])
    assert not contains_answer("It was 13,850,000 EJ.", ["3,850,000"])
    assert not contains_answer("Nothing here.", ["Romantic era", ""])
    assert not contains_answer("word " * 60 + "Romantic era", ["Romantic era"], words=50)


def test_a_number_range_may_be_said_in_words() -> None:
    assert contains_answer("He ruled from 1505 to 1521.", ["1505–1521"])
    assert contains_answer("Between 1,575 and 49,837 EJ a year.", ["1,575–49,837 EJ"])
    assert contains_answer("In 1505-1521.", ["1505–1521"])
    assert not contains_answer("He ruled from 1505 to 1520.", ["1505–1521"])
    assert not contains_answer("Pages 1505 and 1521.", ["1505 1521 total"])


def test_a_small_number_may_be_said_in_digits_or_in_words() -> None:
    assert contains_answer("The answer is: 7", ["seven"])
    assert contains_answer("There were three of them.", ["3"])
    assert contains_answer("It lasted 2 weeks.", ["two weeks"])
    assert contains_answer("Seventy pages.", ["70"])
    assert not contains_answer("The answer is: 1", ["11 million"])
    assert not contains_answer("Seventeen of them.", ["seven"])
    assert not contains_answer("The answer is: 8", ["seven"])


def test_a_hedge_before_a_gold_number_may_be_left_out() -> None:
    assert contains_answer("The answer is: 71%", ["about 71%"])
    assert contains_answer("Approximately 5 million people.", ["approximately 5 million"])
    assert contains_answer("Some seven polonaises.", ["about 7"])
    assert not contains_answer("The answer is: 70%", ["about 71%"])
    assert not contains_answer("It was Paris.", ["around Paris"])  # only before a number


def test_a_dollar_amount_may_leave_out_its_country() -> None:
    assert contains_answer("The answer is: $234 million", ["US$234 million"])
    assert contains_answer("It cost US$234 million.", ["US$234 million"])
    assert contains_answer("About $30 million in all.", ["HK$30 million"])
    assert not contains_answer("The answer is: $234 thousand", ["US$234 million"])
    # As with a plain "$234 million" gold (the sign is punctuation), the amount alone counts.
    assert contains_answer("It cost 234 million.", ["US$234 million"])
    assert not contains_answer("It cost US$235 million.", ["US$234 million"])


def test_the_data_holds_ten_real_articles_with_questions() -> None:
    articles = load_articles()
    assert len(articles) == 10
    assert sum(len(p.questions) for a in articles for p in a.paragraphs) == 4719
    assert articles[0].title == "Beyoncé"


def test_the_corpus_spans_four_sizes_and_four_formats_and_is_the_same_for_a_seed() -> None:
    documents = build_corpus(CorpusOptions(seed=0))
    assert {d.bucket for d in documents} == set(BUCKETS)
    assert {d.format for d in documents} == {"txt", "pdf", "epub", "docx"}
    assert sum(len(d.questions) for d in documents) >= 150
    assert any(q.impossible for d in documents for q in d.questions)
    sizes = {b: max(d.chars for d in documents if d.bucket == b) for b in BUCKETS}
    assert sizes["page"] < sizes["section"] < sizes["article"] < sizes["book"]
    assert [d.questions for d in build_corpus(CorpusOptions(seed=0))] == [
        d.questions for d in documents]
    other = build_corpus(CorpusOptions(seed=1))
    assert {q.id for d in other for q in d.questions} != {q.id for d in documents for q in d.questions}


def test_each_question_is_about_its_own_document() -> None:
    for document in build_corpus(CorpusOptions(seed=0, buckets=("page", "section"))):
        text = " ".join(p for s in document.sections for p in s.paragraphs)
        for question in document.questions:
            if not question.impossible:
                assert any(a in text for a in question.answers), question.text


def test_the_baseline_packs_paragraphs_into_about_800_characters() -> None:
    text = "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(20))
    chunks = blank_line_chunks(text)
    assert all(len(c) <= 800 for c in chunks)
    assert "\n\n".join(chunks).replace("\n\n", " ").split() == text.replace("\n\n", " ").split()


def test_off_document_questions_ask_about_what_their_article_never_mentions() -> None:
    articles = {a.title: " ".join(p.text for p in a.paragraphs) for a in load_articles()}
    written = absent_words()
    assert set(written) == set(articles)
    for title, questions in written.items():
        assert len(questions) >= 3
        for question, absent in questions:
            assert absent and all(word in question for word in absent), question
            for word in absent:
                assert not re.search(rf"\b{re.escape(word)}\b", articles[title], re.IGNORECASE), (title, word)


def test_off_document_questions_are_added_apart_and_leave_the_seeds_draws_alone() -> None:
    plain = build_corpus(CorpusOptions(seed=0, off_document=0))
    documents = build_corpus(CorpusOptions(seed=0))
    assert [d.name for d in plain] == [d.name for d in documents]
    for without, with_them in zip(plain, documents, strict=True):
        extra = [q for q in with_them.questions if q.off_document]
        assert [q for q in with_them.questions if not q.off_document] == list(without.questions)
        assert len(extra) == len(with_them.sections)  # one for each article the document holds
        assert all(q.impossible and not q.answers for q in extra)
