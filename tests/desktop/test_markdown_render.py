"""Messages render as Markdown with citation marks as links, except inside code; raw HTML is text."""

from __future__ import annotations

from desktop.window.markdown_render import markdown_html, message_html, parse_citation_link


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
