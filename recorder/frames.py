"""The picture of an env's current state, without drawing again what the env drew already.

CarRacing draws its whole scene (road, car, gauges) for every observation, at its window size,
and scales that to the 96x96 observation; `render()` draws the scene once more to scale it to
600x400. That second drawing is most of the cost of a video export of CarRacing, so
`rendered_frame` scales the drawing the step made instead. It is the picture `render()` gives
but for what the observation leaves out: the skid marks (a fraction of a percent of the pixels
where the car slides) and the reward counter's last 0.1. Every other env is rendered as usual.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["rendered_frame"]


def rendered_frame(env: Any, height: int | None = None) -> np.ndarray:
    """`env.render()` of an rgb_array env, from the step's own drawing where it has one;
    ValueError for an env that renders nothing.

    With `height`, a drawing is scaled straight to that many rows (render()'s aspect kept),
    not to render()'s size first; other frames come at render()'s size.
    """
    inner = env.unwrapped
    drawing = getattr(inner, "surf", None)
    if (type(inner).__name__ == "CarRacing" and inner.render_mode == "rgb_array"
            and drawing is not None and hasattr(inner, "_create_image_array")):
        from gymnasium.envs.box2d.car_racing import VIDEO_H, VIDEO_W

        size = (VIDEO_W, VIDEO_H) if height is None else (round(VIDEO_W * height / VIDEO_H),
                                                           height)
        return np.asarray(inner._create_image_array(drawing, size))
    frame = env.render()
    if frame is None:
        raise ValueError(f"{inner.spec.id if inner.spec else inner} renders no frame")
    return np.asarray(frame)
