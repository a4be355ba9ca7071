"""Which Train form fields do something for the open dataset, and greying out the rest.

A Pong dataset has Discrete actions, so the continuous-action heads' settings (head,
components, bins) do nothing there; a LunarLander dataset has vectors, so the image options
(frame size, crop, colour, random shift) do nothing there. The form shows those fields greyed
out, with the reason in their tooltip, instead of letting a person tune a setting that has no
effect (or that training would refuse).
"""

from __future__ import annotations

import gymnasium as gym
from PySide6.QtCore import QObject

from clonelab.app.widgets.config_form import ConfigForm
from clonelab.app.window.workspace import Workspace
from clonelab.recorder.schema import is_image_space

IMAGE_FIELDS = ("frame_size", "crop", "colour", "random_shift")
CONTINUOUS_FIELDS = ("head", "components", "bins")
DISCRETE_FIELDS = ("action_balance",)
HEAD_FIELDS = {"components": "mixture", "bins": "discretised"}
"""Fields read by one head only, and that head."""
FIELDS = (*IMAGE_FIELDS, *CONTINUOUS_FIELDS, *DISCRETE_FIELDS)


def inapplicable_fields(observation_space: gym.Space, action_space: gym.Space,
                        head: str) -> dict[str, str]:
    """The TrainConfig fields that do nothing for data of these spaces with `head` chosen,
    each with why, in words for the form's tooltips."""
    why: dict[str, str] = {}
    if not is_image_space(observation_space):
        why.update(dict.fromkeys(IMAGE_FIELDS, "this dataset's observations are not image "
                                               "frames"))
    if isinstance(action_space, gym.spaces.Box):
        why.update(dict.fromkeys(DISCRETE_FIELDS, "this dataset's actions are continuous"))
        why.update({name: f"only the {wanted} head reads it"
                    for name, wanted in HEAD_FIELDS.items() if head != wanted})
    else:
        why.update(dict.fromkeys(CONTINUOUS_FIELDS, f"this dataset's actions are {action_space} "
                                                    "(the categorical head)"))
    return why


class FormRelevance(QObject):
    """Keeps `form`'s fields greyed out where they do nothing for the workspace's dataset."""

    def __init__(self, form: ConfigForm, workspace: Workspace) -> None:
        super().__init__(form)
        self._form = form
        self._workspace = workspace
        workspace.dataset_changed.connect(self.refresh)
        form.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Grey out what does nothing for the open dataset; with none open, everything
        applies."""
        dataset = self._workspace.dataset
        why: dict[str, str] = {}
        if dataset is not None:
            head = self._form.editor("head").property("currentText") or ""
            why = inapplicable_fields(dataset.observation_space, dataset.action_space, head)
        for name in FIELDS:
            self._form.set_applies(name, why.get(name))
