"""The Play tab's commands as QActions, shared by the Play menu, the toolbar and the shortcuts."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QWidget

from clonelab.recorder.keyboard import APP_SHORTCUTS

SPEEDS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


@dataclass(frozen=True, kw_only=True)
class PlayActions:
    """Every Play command; the play view connects and enables them, the window places them."""

    record: QAction
    pause: QAction
    step: QAction
    restart: QAction
    wait_for_input: QAction
    slower: QAction
    faster: QAction
    speeds: QActionGroup
    keep: QAction
    discard: QAction
    delete_last: QAction
    retry: QAction
    controls: QAction

    def speed_action(self, factor: float) -> QAction:
        """The checkable action of one speed."""
        return next(a for a in self.speeds.actions() if a.data() == factor)

    @property
    def speed(self) -> float:
        """The speed checked now."""
        checked = self.speeds.checkedAction()
        return float(checked.data()) if checked is not None else 1.0

    def nudged_speed(self, notches: int) -> float:
        """The speed `notches` steps up (or down) from the checked one, within SPEEDS."""
        index = SPEEDS.index(self.speed) + notches
        return SPEEDS[max(0, min(len(SPEEDS) - 1, index))]


def make_play_actions(parent: QWidget) -> PlayActions:
    """Build the actions with their shortcuts (one-key ones from APP_SHORTCUTS) and tooltips.

    No game binds those keys (recorder.keyboard.KeyboardMap refuses them). Every shortcut acts
    only while the focus is in `parent` (the Play tab), so none fires in another tab (R opening
    New dataset from the Train tab, P running the hidden game) or clashes with another tab's
    own (the Datasets tab's Del).
    """

    def action(text: str, keys: list[str], tip: str, *, checkable: bool = False) -> QAction:
        item = QAction(text, parent)
        item.setShortcuts([QKeySequence(key) for key in keys])
        item.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shown = f" ({', '.join(keys)})" if keys else ""
        item.setToolTip(tip + shown)
        item.setStatusTip(tip)
        item.setCheckable(checkable)
        return item

    speeds = QActionGroup(parent)
    for factor in SPEEDS:
        item = QAction(f"{factor:g}x", speeds)
        item.setCheckable(True)
        item.setData(factor)
        item.setToolTip(f"Play at {factor:g} times the environment's speed")
    key = APP_SHORTCUTS
    return PlayActions(
        record=action("Record", [key["record"]], "Record episodes into the dataset",
                      checkable=True),
        pause=action("Play", [key["pause"]], "Play or pause"),
        step=action("Step", [key["step"]], "Pause and advance exactly one step"),
        restart=action("Restart episode", ["Ctrl+R"], "Drop the running episode, start anew"),
        wait_for_input=action("Wait for input", [key["wait_for_input"]],
                              "Advance only while you press something (turn by turn)",
                              checkable=True),
        slower=action("Slower", [key["slower"]], "Lower the speed one notch"),
        faster=action("Faster", [key["faster"]], "Raise the speed one notch"),
        speeds=speeds,
        keep=action("Keep episode", [key["keep"]], "Commit the finished episode to the dataset"),
        discard=action("Discard episode", [key["discard"]], "Throw the finished episode away"),
        delete_last=action("Delete last episode", [key["delete_last"]],
                           "Delete the last episode of the dataset on screen (Ctrl+Z undoes)"),
        retry=action("Retry failed commits", [], "Try again to save episodes that failed"),
        controls=action("Show controls", [key["controls"]],
                        "Show the key and gamepad maps for remapping", checkable=True),
    )
