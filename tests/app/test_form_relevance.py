"""The Train form greys out the fields that do nothing for the open dataset, and gives back
the person's values when they apply again."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from clonelab.app.train.form_relevance import (
    CONTINUOUS_FIELDS,
    IMAGE_FIELDS,
    FormRelevance,
    inapplicable_fields,
)
from clonelab.app.widgets.config_form import ConfigForm
from clonelab.models.training import TrainConfig
from tests.app.demo_data import expert_dataset, workspace_on

VECTORS = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
FRAMES = gym.spaces.Box(0, 255, (210, 160, 3), np.uint8)
TORQUE = gym.spaces.Box(-2.0, 2.0, (1,), np.float32)


def test_discrete_actions_on_frames_leave_out_the_continuous_heads_settings() -> None:
    why = inapplicable_fields(FRAMES, gym.spaces.Discrete(6), "gaussian")
    assert set(why) == set(CONTINUOUS_FIELDS)
    assert why["head"] == "this dataset's actions are Discrete(6) (the categorical head)"


def test_vectors_leave_out_the_image_options() -> None:
    why = inapplicable_fields(VECTORS, gym.spaces.Discrete(2), "gaussian")
    assert set(IMAGE_FIELDS) <= set(why) and "action_balance" not in why
    assert why["random_shift"] == "this dataset's observations are not image frames"


@pytest.mark.parametrize(("head", "unused"), [("gaussian", {"components", "bins"}),
                                              ("mixture", {"bins"}),
                                              ("discretised", {"components"})])
def test_continuous_actions_use_the_chosen_heads_settings_only(head, unused) -> None:
    why = inapplicable_fields(VECTORS, TORQUE, head)
    assert set(why) == set(IMAGE_FIELDS) | {"action_balance"} | unused


def test_greyed_fields_take_the_default_and_give_the_persons_value_back(qtbot, tmp_path
                                                                        ) -> None:
    form = ConfigForm(TrainConfig)
    qtbot.addWidget(form)
    form.editor("random_shift").setValue(4)
    form.editor("head").setCurrentText("mixture")
    form.set_applies("random_shift", "this dataset's observations are not image frames")
    form.set_applies("head", "this dataset's actions are Discrete(2) (the categorical head)")

    assert not form.editor("random_shift").isEnabled()
    assert form.editor("random_shift").toolTip().startswith(
        "Not used here: this dataset's observations are not image frames.")
    assert form.config() == TrainConfig()  # nothing greyed out reaches training

    form.set_applies("random_shift", None)
    form.set_applies("head", None)
    assert form.editor("head").isEnabled()
    assert form.config() == TrainConfig(random_shift=4, head="mixture")


def test_the_panels_form_follows_the_open_dataset(qtbot, tmp_path) -> None:
    dataset = expert_dataset(tmp_path / "demos", "CartPole-v1", seeds=(0,), max_steps=20)
    workspace = workspace_on(dataset.path, "CartPole-v1")
    form = ConfigForm(TrainConfig)
    qtbot.addWidget(form)
    FormRelevance(form, workspace)
    greyed = {name for name in (*IMAGE_FIELDS, *CONTINUOUS_FIELDS, "action_balance")
              if not form.editor(name).isEnabled()}
    assert greyed == {*IMAGE_FIELDS, *CONTINUOUS_FIELDS}
