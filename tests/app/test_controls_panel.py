"""The controls panel names what each key, button and stick does."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from clonelab.app.play.controls_panel import ControlsPanel
from clonelab.app.window.settings import Settings
from clonelab.app.window.workspace import ResolvedEntry
from clonelab.recorder.catalog import get_entry, make_env


@pytest.fixture
def show(qtbot, tmp_path):
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))

    def show(env_id: str) -> ControlsPanel:
        panel = ControlsPanel(settings)
        qtbot.addWidget(panel)
        entry = get_entry(env_id)
        env = make_env(env_id)
        panel.show_env(ResolvedEntry(entry, entry, ""), env)
        env.close()
        return panel

    return show


def test_discrete_keys_show_what_they_do(show):
    rows = show("LunarLander-v3").shown_rows("keys")
    assert "left -> fire left engine" in rows
    assert "up -> fire main engine" in rows
    assert "right -> fire right engine" in rows


def test_key_combinations_are_named_too(show):
    rows = show("ALE/Pong-v5").shown_rows("keys")
    assert "up -> up, space+up: up + fire" in rows


def test_continuous_keys_and_sticks_name_the_dimensions(show):
    panel = show("CarRacing-v3")
    keys = panel.shown_rows("keys")
    assert "left -> steer -1" in keys
    assert "up -> gas +1" in keys
    assert "down -> brake +0.8" in keys
    assert panel.shown_rows("axes") == ["axis 0 -> steer × 1", "axis 1 -> gas × 1",
                                        "axis 1 -> brake × 0.8"]
    assert "button0 -> gas +1" in panel.shown_rows("pad")


def test_long_names_are_not_cut_off(show, qtbot):
    panel = show("ALE/Pong-v5")
    panel.resize(320, 600)
    panel.show()
    qtbot.waitExposed(panel)
    table = panel._keys
    for row in range(table.rowCount()):
        item = table.item(row, 1)
        # Either the whole text fits its column or its tooltip holds the whole text.
        fits = table.fontMetrics().horizontalAdvance(item.text()) < table.columnWidth(1)
        assert fits or item.toolTip() == item.text()
    assert table.columnWidth(0) >= table.fontMetrics().horizontalAdvance("space")


def test_the_axes_table_shows_what_each_stick_drives_whole(show, qtbot):
    panel = show("CarRacing-v3")
    panel.resize(330, 700)
    panel.show()
    qtbot.waitExposed(panel)
    table = panel._axes
    for row in range(table.rowCount()):
        text = table.item(row, 1).text()
        assert table.fontMetrics().horizontalAdvance(text) < table.columnWidth(1), text
