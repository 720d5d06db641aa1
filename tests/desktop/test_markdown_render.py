"""Messages render as Markdown with citation marks as links, except inside code; raw HTML is text."""

from __future__ import annotations

from desktop.window.markdown_render import markdown_html, message_html, parse_aside_link, parse_citation_link


def test_citation_marks_become_links_but_not_inside_code() -> None:
    rendered = markdown_html("The bridge opened in 1932 [2], see also [1, 3].\n\n`a[1]`\n\n"
                             "```\nx = y[4]\n```", message_id=17)
    assert 'href="cite:17:2"' in rendered
    assert 'href="cite:17:1"' in rendered and 'href="cite:17:3"' in rendered
    assert "cite:17:4" not in rendered and "y[4]" in rendered
    assert "<code>a[1]</code>" in rendered


def test_tables_lists_and_code_blocks_render() -> None:
    rendered = markdown_html("| fruit | colour |\n|---|---|\n| apple | red |\n\n- one\n- two\n\n"
                             "```python\nprint('hi')\n```")
    assert "<table>" in rendered and "<td>apple</td>" in rendered
    assert "<ul>" in rendered and "<li>one</li>" in rendered
    assert "<pre><code" in rendered


def test_raw_html_in_a_message_is_shown_not_run() -> None:
    rendered = markdown_html("<script>alert(1)</script> <b>bold?</b>")
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered


def test_sources_line_links_every_citation_even_unmarked_ones() -> None:
    html = message_html("assistant", "An answer with no marks.", 5, sources=[(1, "Report, p. 3")])
    assert 'href="cite:5:1"' in html and "Report, p. 3" in html


def test_only_cite_links_parse() -> None:
    assert parse_citation_link("cite:12:3") == (12, 3)
    assert parse_citation_link("https://example.org") is None
    assert parse_citation_link("cite:x:3") is None


def test_thinking_is_folded_to_one_line_until_opened() -> None:
    thinking = "The user asks for a colour. Blue will do."
    closed = message_html("assistant", "Blue.", 7, thinking=thinking)
    assert "Thinking (9 words)" in closed and "Blue will do" not in closed
    assert 'href="aside:7:thinking"' in closed and parse_aside_link("aside:7:thinking") == (7, "thinking")
    opened = message_html("assistant", "Blue.", 7, thinking=thinking, opened=frozenset({"thinking"}))
    assert "Blue will do" in opened and opened.index("Blue will do") < opened.index("<p>Blue.</p>")


def test_deliberate_answers_show_their_agreement_and_fold_the_others() -> None:
    closed = message_html("assistant", "London.", 3, agreement="3 of 5 answers agree",
                          others=["Valldemossa.", "Paris."])
    assert "3 of 5 answers agree" in closed and "show the 2 other answers" in closed
    assert "Valldemossa" not in closed
    opened = message_html("assistant", "London.", 3, agreement="3 of 5 answers agree",
                          others=["Valldemossa.", "Paris <b>now</b>."], opened=frozenset({"others"}))
    assert "Valldemossa" in opened and "&lt;b&gt;" in opened  # other answers are rendered as text
    unanimous = message_html("assistant", "London.", 3, agreement="5 of 5 answers agree")
    assert "5 of 5 answers agree" in unanimous and "show" not in unanimous
    assert parse_aside_link("aside:3:others") == (3, "others")
    assert parse_aside_link("cite:3:1") is None and parse_aside_link("aside:x:others") is None
