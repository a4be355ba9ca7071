"""The Play tab's keyboard: keys go to a rebind in progress, else to the player, and a
turn-based world takes one turn per press."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from clonelab.app.play.game_keys import GameKeys

if TYPE_CHECKING:
    from clonelab.app.play.play_view import PlayView


class PlayKeys(QObject):
    """Routes the keys `view`'s game binds (GameKeys) to its controls panel or its player."""

    def __init__(self, view: PlayView) -> None:
        super().__init__(view)
        self._view = view
        self.game_keys = GameKeys(view, plays=self._plays)
        self.game_keys.pressed.connect(self._on_pressed)
        self.game_keys.released.connect(self._on_released)
        self.game_keys.focus_lost.connect(self._on_focus_lost)

    def _plays(self, name: str) -> bool:
        view = self._view
        return view.controls.capturing_key or (view.source is not None
                                               and view.source.binds(name))

    def _on_pressed(self, name: str) -> None:
        view = self._view
        if view.controls.capturing_key:
            view.controls.capture_key(name)
        elif view.loop is not None and view.loop.turn_based:
            # One press, one turn, at the press; a press while paused is no turn for later,
            # and a held key's repeat (X11 sends some as a release and a press) is none either.
            if view.source is not None and view.loop.running:
                view.source.press(name)
                if not self.game_keys.repeating:
                    view.loop.take_turn()
        elif view.source is not None:
            view.source.press(name)

    def _on_released(self, name: str) -> None:
        if self._view.source is not None:
            self._view.source.release(name)

    def _on_focus_lost(self) -> None:
        if self._view.source is not None:
            self._view.source.release_all()
