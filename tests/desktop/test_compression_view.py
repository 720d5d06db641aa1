"""The compression meter's view without a model: the figures read as `longwit compress` prints
them, the map's colours stay calm in both themes (the document's average is the background,
bluer below it, amber above), and a passage is chosen by a click or from the keyboard."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from desktop.window.dialogs.compression_dialog import figure_texts, snippet
from desktop.window.surprisal_map import (
    EASIER,
    GAP,
    HARDER,
    MOST_MIX,
    SurprisalMap,
    map_tiles,
    surprise_colour,
)
from desktop.window.theme import palette_for
from engine.compression_meter import CompressionReport, PassageSurprisal, TextCompression

PASSAGES = [PassageSurprisal(0, "§ Harbour", 200, 50, 300.0), PassageSurprisal(1, "§ Wrecks", 200, 60, 500.0),
            PassageSurprisal(2, "p. 3", 20, 8, 60.0)]


def distance(a: QColor, b: QColor) -> float:
    return sum(abs(x - y) for x, y in zip(a.getRgbF()[:3], b.getRgbF()[:3], strict=True))


def report(shifts: int = 1) -> CompressionReport:
    text = TextCompression(420, 118, 860.0, shifts)
    shuffled = TextCompression(420, 131, 1260.0, shifts)
    return CompressionReport("Velmora", "smollm2-135m-instruct", 2048, text, shuffled, PASSAGES,
                             [], 2.0)


def test_the_figures_read_like_the_command_line() -> None:
    figures = figure_texts(report(), 3)
    assert figures["Bits per byte"] == f"{860 / 420:.3f}   (words shuffled: {1260 / 420:.3f})"
    assert figures["Bits per token"].startswith(f"{860 / 118:.3f}")
    assert figures["Word order"] == f"saves {1 - 860 / 1260:.0%} of the shuffled copy's bits"
    assert figures["Compressed to"] == f"{(860 / 420) / 8:.1%} of its size (×{8 / (860 / 420):.1f})"
    assert figures["Size"] == "118 tokens, 420 bytes, 3 passages"
    assert figures["Model"] == "smollm2-135m-instruct, 2,048-token window; the window moved on once"
    assert figures["Time"] == f"2.0 s ({118 * 2 / 2:,.0f} tokens/s)"
    assert "moved on" not in figure_texts(report(shifts=0), 3)["Model"]


def test_a_snippet_is_one_short_line() -> None:
    assert snippet("a  b\n\nc") == "a b c"
    long = snippet("word " * 100)
    assert len(long) == 140 and long.endswith("…")


def test_the_map_is_calm_in_light_and_dark_themes() -> None:
    for scheme in ("light", "dark"):
        base = palette_for(scheme).color(palette_for(scheme).ColorRole.Base)
        assert surprise_colour(base, 1.0) == base  # the average is the background itself
        harder, easier = surprise_colour(base, 1.2), surprise_colour(base, 0.8)
        assert distance(harder, HARDER) < distance(base, HARDER)
        assert distance(easier, EASIER) < distance(base, EASIER)
        strongest = surprise_colour(base, 5.0)
        assert strongest == surprise_colour(base, 2.0)  # the scale stops, it does not shout
        assert distance(strongest, HARDER) > 0 and distance(strongest, base) > distance(harder, base)
        assert distance(surprise_colour(base, 5.0, short=True), base) < distance(strongest, base)
    assert 0 < MOST_MIX < 1


def test_tiles_are_relative_to_the_documents_average_and_short_passages_are_marked() -> None:
    tiles = map_tiles(PASSAGES, 2.0)
    assert [t.index for t in tiles] == [0, 1, 2]
    assert [round(t.relative, 3) for t in tiles] == [0.75, 1.25, 1.5]
    assert [t.short for t in tiles] == [False, False, True]
    assert "§ Wrecks: 2.50 bits per byte, 1.25 × the document's average" in tiles[1].describe()
    assert "surprising by nature" in tiles[2].describe()


def test_a_tile_is_chosen_by_a_click_or_the_keyboard(qtbot) -> None:
    view = SurprisalMap()
    qtbot.addWidget(view)
    view.resize(300, 40)
    view.show_tiles(map_tiles(PASSAGES, 2.0))
    chosen: list[int] = []
    view.passage_chosen.connect(chosen.append)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.tile_rect(1).center())
    assert chosen == [1] and view.current == 1
    gap = QPoint(view.tile_rect(0).right() + 1, view.tile_rect(0).center().y())
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=gap)  # between tiles: nothing
    assert chosen == [1]
    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert chosen == [1, 2]
    assert "p. 3" in view.accessibleDescription()
    qtbot.keyClick(view, Qt.Key.Key_Home)
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert chosen == [1, 2, 0]


def test_the_map_wraps_its_tiles_to_its_width(qtbot) -> None:
    view = SurprisalMap()
    qtbot.addWidget(view)
    many = [PassageSurprisal(i, f"p. {i}", 200, 50, 300.0) for i in range(100)]
    view.resize(160, 10)
    view.show_tiles(map_tiles(many, 1.5))
    columns = view.columns()
    assert 1 < columns < 100
    assert view.height() == view.tile_rect(99).bottom() + 1 + GAP  # the last row, and a gap
    assert view.tile_rect(columns).top() > view.tile_rect(0).bottom()  # the next row
