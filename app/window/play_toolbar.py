"""The window's Play toolbar: the env to play, the Play tab's commands and the speed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QMainWindow, QMenu, QToolButton

from clonelab.app.play.play_actions import PlayActions
from clonelab.recorder.catalog import CATALOG


def build_play_toolbar(window: QMainWindow, actions: PlayActions,
                       on_env_chosen: Callable[[str], None]) -> QComboBox:
    """Add the toolbar to `window`; returns its env combo box (the catalog's envs)."""
    bar = window.addToolBar("Play")
    bar.setObjectName("playToolbar")
    combo = QComboBox()
    combo.setToolTip("The environment to play (Environment menu for others)")
    for env_id, entry in CATALOG.items():
        combo.addItem(entry.title, env_id)
    combo.activated.connect(lambda index: on_env_chosen(combo.itemData(index)))
    bar.addWidget(combo)
    a = actions
    bar.addSeparator()
    bar.addActions([a.pause, a.step, a.record, a.wait_for_input])
    speed = QToolButton()
    speed.setToolTip("Playing speed (- and = change it)")
    speed.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    speed_menu = QMenu(speed)
    speed_menu.addActions(a.speeds.actions())
    speed.setMenu(speed_menu)
    speed.setText(f"Speed {a.speeds.checkedAction().text()}")
    for action in a.speeds.actions():  # every change, not only clicks here: - and = too
        action.toggled.connect(
            lambda on, action=action: on and speed.setText(f"Speed {action.text()}"))
    bar.addWidget(speed)
    bar.addSeparator()
    bar.addActions([a.keep, a.discard, a.delete_last, a.controls])
    # Nothing on the toolbar takes the keys from the game.
    combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    for button in bar.findChildren(QToolButton):
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return combo
