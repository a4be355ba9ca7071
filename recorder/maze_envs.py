"""PointMaze_TwoWays-v3: gymnasium-robotics' PointMaze with a map of two equally good ways.

The ball starts below a wall block and the goal lies above it; going round the block on the
left or on the right is equally short, so good demos split into two modes (docs/failures.md).
It is gymnasium-robotics' own `PointMazeEnv` with a custom `maze_map`, registered under its
own id so that `clonelab expert`, datasets and checkpoints can name it; the EnvSpec names
gymnasium-robotics' entry point and the map, so Minari rebuilds it without CloneLab.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys

import gymnasium

TWO_WAYS_ID = "PointMaze_TwoWays-v3"
TWO_WAYS_MAP: list[list[int | str]] = [
    [1, 1, 1, 1, 1],
    [1, 0, "g", 0, 1],
    [1, 0, 1, 0, 1],
    [1, 0, "r", 0, 1],
    [1, 1, 1, 1, 1],
]
"""1 wall, 0 open, "r" the ball's start cell, "g" the goal's (PointMaze adds up to a quarter
cell of noise to both)."""
TWO_WAYS_MAX_STEPS = 150
"""The expert needs 60-90 steps either way round; 150 leaves a clone room to hesitate."""
RENDER_SIZE = 240
"""Frames of 240x240: MuJoCo's software rendering keeps up with play speed at this size."""


def import_robotics_quietly() -> None:
    """Import gymnasium-robotics without the notice 1.4.2 prints to stderr on import (about
    its Adroit envs' rewards, which CloneLab does not use). A missing package stays for
    `gymnasium.make` to report."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.suppress(ImportError):
        importlib.import_module("gymnasium_robotics")


def register_maze_envs() -> None:
    """Register PointMaze_TwoWays-v3 (building it needs gymnasium-robotics and mujoco).

    MuJoCo renders through EGL on Linux unless MUJOCO_GL says otherwise, so frames come
    without a window or display (headless machines, the app's own frame view).
    """
    if sys.platform.startswith("linux"):
        os.environ.setdefault("MUJOCO_GL", "egl")
    if TWO_WAYS_ID in gymnasium.envs.registry:
        return
    gymnasium.register(
        TWO_WAYS_ID,
        entry_point="gymnasium_robotics.envs.maze.point_maze:PointMazeEnv",
        max_episode_steps=TWO_WAYS_MAX_STEPS,
        kwargs={"maze_map": TWO_WAYS_MAP, "continuing_task": False,
                "width": RENDER_SIZE, "height": RENDER_SIZE},
    )
