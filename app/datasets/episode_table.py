"""The dataset browser's table: one row per episode, sortable, filtered by text and return."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from clonelab.recorder.episode_selection import InfoLike, matches, share_text

COLUMNS = ("ID", "Return", "Length", "Who acted", "Device", "Tags", "Operator", "Date")
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


def _date_text(started_at: float) -> str:
    if not math.isfinite(started_at):
        return ""
    return datetime.fromtimestamp(started_at).strftime("%Y-%m-%d %H:%M")


class EpisodeTableModel(QAbstractTableModel):
    """The episode summaries of a dataset (`EpisodeInfo`), one row each."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._infos: list[Any] = []

    def set_infos(self, infos: list[Any]) -> None:
        """Show these episode summaries."""
        self.beginResetModel()
        self._infos = list(infos)
        self.endResetModel()

    def info(self, row: int) -> Any:
        """The summary shown on `row`."""
        return self._infos[row]

    def infos(self) -> list[Any]:
        """All summaries, in dataset order."""
        return list(self._infos)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(self._infos)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 - Qt's name
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        info = self._infos[index.row()]
        column = index.column()
        if role == ID_ROLE:
            return info.episode_id
        if role == SORT_ROLE:
            return self._sort_value(info, column)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(info, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column <= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and info.notes:
            return info.notes
        return None

    @staticmethod
    def _display(info: Any, column: int) -> str:
        return (
            str(info.episode_id),
            f"{info.episode_return:.2f}",
            str(info.steps),
            share_text(info.actor_steps),
            share_text(info.device_steps),
            ", ".join(info.tags),
            info.operator,
            _date_text(info.started_at),
        )[column]

    @staticmethod
    def _sort_value(info: Any, column: int) -> Any:
        if column == 0:
            return info.episode_id
        if column == 1:
            return info.episode_return if math.isfinite(info.episode_return) else -math.inf
        if column == 2:
            return info.steps
        if column == 7:
            return info.started_at if math.isfinite(info.started_at) else -math.inf
        return EpisodeTableModel._display(info, column).lower()


class EpisodeFilterProxy(QSortFilterProxyModel):
    """Sorts by value (not text) and keeps rows that pass the text and return filters.

    Episodes in `hidden_ids` (deleted but still undoable) are filtered out too.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self._text = ""
        self._min_return: float | None = None
        self._hidden: frozenset[int] = frozenset()

    def set_text(self, text: str) -> None:
        """Keep episodes whose tags or operator contain `text` (any case)."""
        self.beginFilterChange()
        self._text = text
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_min_return(self, value: float | None) -> None:
        """Keep episodes whose return is at least `value` (None: no threshold)."""
        self.beginFilterChange()
        self._min_return = value
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_hidden_ids(self, ids: frozenset[int]) -> None:
        """Hide these episodes (pending deletion)."""
        self.beginFilterChange()
        self._hidden = frozenset(ids)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def visible_ids(self) -> list[int]:
        """The ids of the rows shown, in view order."""
        return [self.data(self.index(row, 0), ID_ROLE) for row in range(self.rowCount())]

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:  # noqa: N802
        info: InfoLike = self.sourceModel().info(source_row)
        if info.episode_id in self._hidden:
            return False
        return matches(info, text=self._text, min_return=self._min_return)
