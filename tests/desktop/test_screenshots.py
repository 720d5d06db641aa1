"""`make screenshots` keeps working: every main state of the window is rendered to a real PNG."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from desktop.window.screenshots import take_screenshots


@pytest.mark.slow
def test_screenshots_render_every_main_state(qtbot, tmp_path: Path) -> None:
    saved = take_screenshots(tmp_path / "shots", lambda _line: None)
    names = [path.stem for path in saved]
    for state in ("01-empty", "01-welcome", "02-answer", "03-documents", "05-voice-call",
                  "06-error-banner", "07-dark", "08-code", "15-documents-dark", "09-welcome-dark",
                  "10-library-empty", "11-library", "12-memories", "13-dictation", "14-read-aloud"):
        assert state in names
    images = {path.stem: QImage(str(path)) for path in saved}
    assert all(not image.isNull() and image.width() >= 400 for image in images.values())
    assert all(images[name].width() >= 800 for name in names if name != "04-citation")
    assert mean_lightness(images["03-documents"]) > mean_lightness(images["07-dark"]) + 60
    assert mean_lightness(images["03-documents"]) > mean_lightness(images["15-documents-dark"]) + 60
    assert mean_lightness(images["08-code"]) > mean_lightness(images["07-dark"]) + 60
    assert mean_lightness(images["01-welcome"]) > mean_lightness(images["09-welcome-dark"]) + 60
    # The library with documents has rows drawn where the empty one has only its hint.
    assert distinct_colours(images["11-library"]) > distinct_colours(images["10-library-empty"])


def distinct_colours(image: QImage) -> int:
    return len({image.pixel(x, y) for x in range(0, image.width(), 4)
                for y in range(0, image.height() // 2, 4)})


def mean_lightness(image: QImage) -> float:
    points = [(x, y) for x in range(0, image.width(), 25) for y in range(0, image.height(), 25)]
    return sum(image.pixelColor(x, y).lightness() for x, y in points) / len(points)
