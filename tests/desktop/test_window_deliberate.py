"""Deliberate mode in the window, with the real model and database: the menu toggle turns it on
and says what it costs, progress shows in the answer's place, the answer shows how many answers
agree and folds the others, and a reopened conversation shows the same from what was saved."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from storage.answer_samples import AnswerSamples
from tests.desktop.window_helpers import ask, open_test_window, own_database

SHOWN_MS = 5000


def test_deliberate_answers_show_their_agreement_and_the_other_answers(qtbot, longwit_home: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    window.chat.options = replace(window.chat.options, max_tokens=24)
    notices: list[str] = []
    window.pane.notice.connect(lambda text, _kind: notices.append(text))
    progress: list[tuple[int, int]] = []
    window.chat.deliberating.connect(lambda _cid, done, total: progress.append((done, total)))
    toggle = window.actions_by_name["Deliberate answers"]
    toggle.trigger()
    assert toggle.isChecked() and window.chat.deliberate == 5
    assert any("5 times as long" in n for n in notices)

    done = ask(qtbot, window, "Name one animal that lives in the sea.")
    assert progress == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert done.agreement.endswith("of 5 answers agree")
    shown = window.pane.view.plain_text()
    assert done.agreement in shown and done.text.split()[0] in shown
    with own_database(window) as db:
        samples = AnswerSamples(db).for_message(done.message_id)
    assert len(samples) == 5 and sum(s.chosen for s in samples) == 1

    if done.others:  # the others are folded until their link is followed
        assert done.others[0] not in window.pane.view.plain_text()
        window.pane.view.toggle_aside(done.message_id, "others")
        assert done.others[0].split()[0] in window.pane.view.plain_text()

    toggle.trigger()
    assert window.chat.deliberate is None
    conversation = window.pane.conversation_id
    window.pane.open_conversation(None)
    window.pane.open_conversation(conversation)  # read back from the database
    qtbot.waitUntil(lambda: done.agreement in window.pane.view.plain_text(), timeout=SHOWN_MS)
