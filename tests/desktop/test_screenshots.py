"""`make screenshots` keeps working: every main state of the window is rendered to a real PNG."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from desktop.screenshots import take_screenshots


@pytest.mark.slow
def test_screenshots_render_every_main_state(qtbot, tmp_path: Path) -> None:
    saved = take_screenshots(tmp_path / "shots", lambda _line: None)
    names = [path.stem for path in saved]
    for state in ("01-empty", "02-answer", "03-documents", "05-voice-call", "06-error-banner",
                  "07-dark"):
        assert state in names
    images = {path.stem: QImage(str(path)) for path in saved}
    assert all(not image.isNull() and image.width() >= 800 for image in images.values())
    light, dark = images["03-documents"], images["07-dark"]
    assert light.pixelColor(600, 300).lightness() > dark.pixelColor(600, 300).lightness()
