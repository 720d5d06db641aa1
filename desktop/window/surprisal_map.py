"""The surprisal map: every passage of a document as one tile, in reading order, coloured by how
many bits per byte the model needed for it against the document's average.

Tiles, not a strip scaled by size, so that every passage can be seen, pointed at and chosen,
however long the book. The colours are blended into the palette's own base colour, so the scale
stays calm on a light theme and on a dark one: bluer is easier than the document's average,
amber is more surprising, and the base colour is the average itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPoint, QRect, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from engine.compression_meter import MIN_RANKED_BYTES, PassageSurprisal

TILE = 14
GAP = 2
EASIER = QColor("#3f88b5")  # a muted blue
HARDER = QColor("#d9822b")  # a muted amber
FULL_SCALE = math.log2(1.3)  # 30% over the average (or under it) is the strongest colour
MOST_MIX = 0.9  # the strongest colour keeps a little of the base, so no tile shouts


@dataclass(frozen=True)
class MapTile:
    index: int
    label: str
    bits_per_byte: float
    relative: float  # bits per byte over the document's average
    short: bool  # a heading or a page number: surprising by nature, shown paler

    def describe(self) -> str:
        note = " (a short passage: surprising by nature)" if self.short else ""
        return (f"{self.label}: {self.bits_per_byte:.2f} bits per byte, {self.relative:.2f} × the "
                f"document's average{note}")


def map_tiles(passages: list[PassageSurprisal], average: float) -> list[MapTile]:
    return [MapTile(p.index, p.label, p.bits_per_byte,
                    p.bits_per_byte / average if average else 1.0, p.bytes < MIN_RANKED_BYTES)
            for p in passages]


def mixed(base: QColor, tint: QColor, amount: float) -> QColor:
    amount = min(1.0, max(0.0, amount))
    return QColor.fromRgbF(*(b + (t - b) * amount for b, t in
                             zip(base.getRgbF()[:3], tint.getRgbF()[:3], strict=True)))


def surprise_colour(base: QColor, relative: float, short: bool = False) -> QColor:
    """The tile's colour: `base` at the document's average, towards blue below it and amber above."""
    if relative <= 0:
        return base
    strength = min(1.0, abs(math.log2(relative)) / FULL_SCALE) * MOST_MIX
    return mixed(base, HARDER if relative > 1 else EASIER, strength / 2 if short else strength)


class SurprisalMap(QWidget):
    """Click a tile (or move with the arrow keys and press Enter) to choose its passage."""

    passage_chosen = Signal(int)  # the passage's index in the document
    height_changed = Signal(int)  # the tiles' height at the present width

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("surprisal-map")
        self.setAccessibleName("Surprisal map")
        self.setAccessibleDescription("Each passage of the document in order, coloured by how "
                                      "surprising the model found it; arrow keys move, Enter opens.")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.tiles: list[MapTile] = []
        self.current = -1

    def show_tiles(self, tiles: list[MapTile]) -> None:
        self.tiles = tiles
        self.current = -1
        self._fit_height()
        self.update()

    def columns(self) -> int:
        return max(1, (self.width() - GAP) // (TILE + GAP))

    def tile_rect(self, position: int) -> QRect:
        row, column = divmod(position, self.columns())
        return QRect(GAP + column * (TILE + GAP), GAP + row * (TILE + GAP), TILE, TILE)

    def position_at(self, point: QPoint) -> int | None:
        column, row = (point.x() - GAP) // (TILE + GAP), (point.y() - GAP) // (TILE + GAP)
        if point.x() < GAP or point.y() < GAP or column >= self.columns():
            return None
        position = row * self.columns() + column
        inside = self.tile_rect(position).contains(point) if position < len(self.tiles) else False
        return position if inside else None

    def choose(self, position: int) -> None:
        self.set_current(position)
        self.passage_chosen.emit(self.tiles[position].index)

    def set_current(self, position: int) -> None:
        self.current = max(0, min(position, len(self.tiles) - 1))
        self.setAccessibleDescription(self.tiles[self.current].describe())
        self.update()

    # Qt ----------------------------------------------------------------------------------------

    def _fit_height(self) -> None:
        rows = math.ceil(len(self.tiles) / self.columns()) if self.tiles else 0
        height = GAP + rows * (TILE + GAP)
        if height != self.height():
            self.setFixedHeight(height)
            self.height_changed.emit(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_height()  # the height depends only on the width, so this settles at once

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        base = self.palette().color(QPalette.ColorRole.Base)
        edge = self.palette().color(QPalette.ColorRole.Mid)
        for position, tile in enumerate(self.tiles):
            rect = self.tile_rect(position)
            painter.fillRect(rect, surprise_colour(base, tile.relative, tile.short))
            painter.setPen(QPen(edge, 1))
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
        if 0 <= self.current < len(self.tiles):
            pen = QPen(self.palette().color(QPalette.ColorRole.Highlight), 2)
            painter.setPen(pen)
            painter.drawRect(self.tile_rect(self.current).adjusted(-1, -1, 0, 0))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        position = self.position_at(event.position().toPoint())
        if position is not None and event.button() == Qt.MouseButton.LeftButton:
            self.choose(position)
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.tiles:
            super().keyPressEvent(event)
            return
        moves = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -self.columns(),
                 Qt.Key.Key_Down: self.columns()}
        key = event.key()
        if key in moves:
            self.set_current(self.current + moves[key] if self.current >= 0 else 0)
        elif key == Qt.Key.Key_Home:
            self.set_current(0)
        elif key == Qt.Key.Key_End:
            self.set_current(len(self.tiles) - 1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and self.current >= 0:
            self.choose(self.current)
        else:
            super().keyPressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            position = self.position_at(event.pos())
            if position is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), self.tiles[position].describe(), self)
            return True
        return super().event(event)
