"""How the conversation list draws its rows: a date header in small bold muted letters, or a
conversation as its title over a muted one-line preview, on a rounded tint when chosen or under the
mouse. Fonts are the list's own, scaled, so the person's font size still rules."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop.window.chrome_style import mix

HEADER_ROLE = Qt.ItemDataRole.UserRole + 3  # True on a date header
PREVIEW_ROLE = Qt.ItemDataRole.UserRole + 4  # the line under the title
PAD_X, PAD_Y, GAP = 10, 6, 2
HEADER_TOP = 10
SMALL = 0.88  # the preview's and headers' size, relative to the list's font

Index = QModelIndex | QPersistentModelIndex


def scaled(font: QFont, factor: float, bold: bool = False) -> QFont:
    small = QFont(font)
    if font.pointSizeF() > 0:
        small.setPointSizeF(font.pointSizeF() * factor)
    else:  # a font set in pixels: keep it in pixels
        small.setPixelSize(max(1, round(font.pixelSize() * factor)))
    small.setBold(bold)
    return small


class ConversationDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        small = QFontMetrics(scaled(option.font, SMALL, bold=True)).height()
        width = option.rect.width()
        if index.data(HEADER_ROLE):
            top = HEADER_TOP if index.row() > 0 else 2
            return QSize(width, top + small + 4)
        height = QFontMetrics(option.font).height() + 2 * PAD_Y
        if index.data(PREVIEW_ROLE):
            height += GAP + small
        return QSize(width, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        palette: QPalette = option.palette
        text = palette.color(QPalette.ColorRole.Text)
        muted = QColor(mix(text, palette.color(QPalette.ColorRole.Base), 0.36))  # about 4:1 on the sidebar
        rect: QRect = option.rect
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if index.data(HEADER_ROLE):
            painter.setFont(scaled(option.font, SMALL, bold=True))
            painter.setPen(muted)
            area = rect.adjusted(PAD_X, 0, -PAD_X, -4)
            painter.drawText(area, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                             str(index.data(Qt.ItemDataRole.DisplayRole)))
            painter.restore()
            return
        self._background(painter, option)
        area = rect.adjusted(PAD_X, PAD_Y, -PAD_X, -PAD_Y)
        metrics = QFontMetrics(option.font)
        painter.setFont(option.font)
        painter.setPen(text)
        title = metrics.elidedText(str(index.data(Qt.ItemDataRole.DisplayRole)), Qt.TextElideMode.ElideRight,
                                   area.width())
        painter.drawText(QRect(area.left(), area.top(), area.width(), metrics.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        preview = index.data(PREVIEW_ROLE)
        if preview:
            small = scaled(option.font, SMALL)
            small_metrics = QFontMetrics(small)
            painter.setFont(small)
            painter.setPen(muted)
            line = small_metrics.elidedText(str(preview), Qt.TextElideMode.ElideRight, area.width())
            painter.drawText(QRect(area.left(), area.top() + metrics.height() + GAP, area.width(),
                                   small_metrics.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)
        painter.restore()

    @staticmethod
    def _background(painter: QPainter, option: QStyleOptionViewItem) -> None:
        palette: QPalette = option.palette
        base, accent = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Highlight)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if not (selected or hovered):
            return
        dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
        share = (0.32 if dark else 0.16) if selected else (0.12 if dark else 0.06)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(mix(base, accent, share)))
        painter.drawRoundedRect(option.rect.adjusted(2, 1, -2, -1), 7, 7)
        if selected and option.state & QStyle.StateFlag.State_HasFocus:
            painter.setBrush(accent)  # where the keyboard is: a bar at the row's edge
            bar = option.rect.adjusted(2, 6, 0, -6)
            painter.drawRoundedRect(QRect(bar.left(), bar.top(), 3, bar.height()), 1.5, 1.5)
