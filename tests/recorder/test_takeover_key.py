"""The takeover key is one the env leaves free: Shift, or Ctrl where the env binds Shift."""

from __future__ import annotations

from clonelab.recorder.catalog import CATALOG, get_entry
from clonelab.recorder.human_source import HumanSource
from clonelab.recorder.takeover_human import TAKEOVER_KEYS, TakeoverHuman


def _human(env_id: str) -> TakeoverHuman:
    entry = get_entry(env_id)
    return TakeoverHuman(HumanSource(entry.keyboard, entry.gamepad))


def test_minigrid_drops_on_shift_so_ctrl_takes_over_and_the_arrows_still_drive() -> None:
    human = _human("MiniGrid-Empty-5x5-v0")
    assert human.key == "ctrl"
    human.press("ctrl")
    human.press("up")
    assert human.wants_control(None)
    assert human.act(None) == 2  # forward, not a combination the map does not know
    human.release("ctrl")
    assert not human.wants_control(None)


def test_every_catalog_env_has_a_free_takeover_key() -> None:
    for env_id in CATALOG:
        human = _human(env_id)
        assert human.key in TAKEOVER_KEYS, env_id
        assert not human.source.binds(human.key), env_id
