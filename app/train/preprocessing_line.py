"""What the policy will read: the Train form's preprocessing in words, next to the form.

The pipeline is the one training builds (`TrainConfig.pipeline_for` on the dataset's
observation space), shown again on every edit of the history, frame size, crop or colour
fields: "84x84 grey, 4 frames stacked (from 210x160 colour frames; network input 84x84x4)"
for Pong, "8 values, history 1" for LunarLander. A pipeline that does not fit the frames says
why in red.
"""

from __future__ import annotations

import gymnasium as gym
from PySide6.QtWidgets import QWidget

from clonelab.app.widgets.config_form import ConfigForm, ConfigFormError
from clonelab.app.widgets.message_line import MessageLine
from clonelab.app.window.workspace import Workspace
from clonelab.models.observations import ObservationPipeline, PipelineError
from clonelab.recorder.schema import row_shape

_SIDES = ("top", "bottom", "left", "right")


def preprocessing_text(pipeline: ObservationPipeline, space: gym.Space) -> str:
    """`pipeline` on observations of `space`, for people; PipelineError when it cannot read
    them."""
    frame = pipeline.frame_shape(space)
    history = pipeline.history
    if len(frame) == 1:
        text = f"{frame[0]} values, history {history}"
        if history > 1:
            text += f" (the last {history} observations: network input {frame[0] * history})"
        return text
    height, width, channels = frame
    source = row_shape(space)
    parts = [f"{height}x{width} {'grey' if channels == 1 else 'colour'}",
             f"{history} frames stacked" if history > 1 else "1 frame"]
    if any(pipeline.crop):
        parts.append("crop " + ", ".join(f"{pixels} {side}" for pixels, side
                                         in zip(pipeline.crop, _SIDES, strict=True) if pixels))
    kind = "grey" if source[2] == 1 else "colour"
    return (", ".join(parts) + f" (from {source[0]}x{source[1]} {kind} frames; network input "
            f"{height}x{width}x{channels * history})")


class PreprocessingLine(MessageLine):
    """"Policy reads: ..." for the workspace's dataset and `form`'s TrainConfig, kept current."""

    def __init__(self, form: ConfigForm, workspace: Workspace,
                 parent: QWidget | None = None) -> None:
        super().__init__("preprocessingLine", parent)
        self._form = form
        self._workspace = workspace
        form.changed.connect(self.refresh)
        workspace.dataset_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Describe the pipeline the form's values and the dataset give now."""
        dataset = self._workspace.dataset
        if dataset is None:
            self.show_message("Policy reads: open a dataset to see its preprocessing.")
            return
        try:
            config = self._form.config()
        except ConfigFormError:
            self.show_message("Policy reads: (fix the form's values above)")
            return
        space = dataset.observation_space
        try:
            text = preprocessing_text(config.pipeline_for(dataset.env_id, space), space)
        except PipelineError as exc:
            self.show_message(f"Policy reads: {exc}", "error")
            return
        self.show_message(f"Policy reads: {text}")
