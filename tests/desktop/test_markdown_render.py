"""Messages render as Markdown with citation marks as links, except inside code; raw HTML is text; code
blocks are coloured, labelled and numbered for their Copy links; messages carry their action links."""

from __future__ import annotations

import re

from desktop.window.code_highlight import parse_copy_link
from desktop.window.markdown_render import (
    code_texts,
    markdown_html,
    message_html,
    parse_aside_link,
    parse_citation_link,
    parse_message_link,
    parse_recalled_link,
)


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
    assert '<table class="md">' in rendered and "<td>apple</td>" in rendered
    assert "<ul>" in rendered and "<li>one</li>" in rendered
    assert "<pre>" in rendered and 'class="lang">python<' in rendered


def test_raw_html_in_a_message_is_shown_not_run() -> None:
    rendered = markdown_html("<script>alert(1)</script> <b>bold?</b>")
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered


def test_sources_line_links_every_citation_even_unmarked_ones() -> None:
    html = message_html("assistant", "An answer with no marks.", 5, sources=[(1, "Report, p. 3")])
    assert 'href="cite:5:1"' in html and "Report, p. 3" in html


def test_recalled_texts_are_listed_as_links_with_their_labels_escaped() -> None:
    html = message_html("assistant", "The Aurora Lodge.", 9, recalled=[
        (1, "conversation 2 'Trip' (1 Mar 2026), message 4"), (2, "document 3 '<b>notes</b>', p. 1")])
    assert 'href="recalled:9:1"' in html and 'href="recalled:9:2"' in html
    assert "Recalled: " in html and "&lt;b&gt;notes&lt;/b&gt;" in html and "<b>notes" not in html
    assert 'name="msg-9"' in html  # the role line: the view scrolls to it
    assert "recalled:" not in message_html("assistant", "Streaming…", None, recalled=[(1, "x")])
    assert parse_recalled_link("recalled:9:2") == (9, 2)
    assert parse_recalled_link("cite:9:2") is None and parse_recalled_link("recalled:9:") is None


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


def test_a_python_block_is_coloured_and_labelled_with_a_copy_link() -> None:
    rendered = markdown_html("Try this:\n\n```python\ndef add(a, b):\n    return a + b  # [1]\n```", 9)
    block = rendered[rendered.index("<pre>"):rendered.index("</pre>")]
    colours = set(re.findall(r'<span style="color: (#[0-9A-Fa-f]{3,6})', block))
    assert len(colours) >= 3, block  # keyword, name, comment: each its own colour
    assert 'class="lang">python<' in rendered and 'href="copy:9:0">Copy</a>' in rendered
    assert "cite:9:1" not in rendered  # a mark inside code is code
    dark = markdown_html("```python\ndef add(a, b):\n    return a + b\n```", 9, dark=True)
    assert set(re.findall(r"color: (#[0-9A-Fa-f]{3,6})", dark)) != colours  # a style for dark palettes


def test_an_unknown_language_or_none_is_shown_plain_and_escaped() -> None:
    rendered = markdown_html("```nosuchlanguage\nif a < b && c:\n```\n\n```\nx\n```", 4)
    assert "if a &lt; b &amp;&amp; c:" in rendered and "<span style" not in rendered
    assert 'class="lang">nosuchlanguage<' in rendered and 'class="lang">code<' in rendered
    assert 'href="copy:4:1"' in rendered
    assert "copy:" not in markdown_html("```python\nx = 1\n```")  # unsaved: nothing to copy from yet


def test_code_texts_are_the_blocks_own_text_in_link_order() -> None:
    text = ("Two blocks:\n\n```python\nprint('<b>&amp;')\n```\n\n- a list\n\n  ```sh\n  echo  \"$HOME\"\n"
            "  ```\n")
    assert code_texts(text) == ["print('<b>&amp;')\n", 'echo  "$HOME"\n']
    rendered = markdown_html(text, 3)
    assert 'href="copy:3:0"' in rendered and 'href="copy:3:1"' in rendered
    assert parse_copy_link("copy:3:1") == (3, 1) and parse_copy_link("cite:3:1") is None


def test_inline_code_keeps_its_text_and_its_own_look() -> None:
    rendered = markdown_html("Run `pip install <name>` first [2].", 8)
    assert "<code>pip install &lt;name&gt;</code>" in rendered and 'href="cite:8:2"' in rendered


def test_message_actions_are_quiet_links_and_parse_back() -> None:
    answer = message_html("assistant", "Blue.", 7, actions=("copy", "read", "regenerate"))
    for action, label in (("copy", "Copy"), ("read", "Read aloud"), ("regenerate", "Regenerate")):
        assert f'href="message:{action}:7">{label}</a>' in answer
    assert "message:edit" not in answer and "<hr" not in answer
    assert "message:" not in message_html("assistant", "Blue.", None, actions=("copy",))
    question = message_html("user", "Which colour?", 6, actions=("copy", "edit"))
    assert 'class="you"' in question and 'href="message:edit:6"' in question
    assert parse_message_link("message:read:7") == ("read", 7)
    assert parse_message_link("message:delete:7") is None and parse_message_link("cite:7:1") is None
