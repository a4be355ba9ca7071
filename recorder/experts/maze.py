"""A waypoint-planner expert for gymnasium-robotics' PointMaze, as D4RL's maze2d data was made.

It plans the shortest route through the maze's cells and steers the ball with a PD controller
towards the next cell's centre (the goal itself in the goal's cell). Where several routes are
equally short (around a block, left or right) it breaks the tie at random once per episode,
seeded by the episode's seed, so a recording holds both ways about equally often: demos with
two modes, which a Gaussian clone averages where they part (its push there is about zero, and
it hesitates until it tips one way: docs/benchmarks.md, 8).
"""

from __future__ import annotations

from collections import deque
from typing import Any

import gymnasium
import numpy as np

from clonelab.recorder.experts.base import ScriptedExpert

Cell = tuple[int, int]
_STEPS = ((-1, 0), (1, 0), (0, -1), (0, 1))


class PointMazeExpert(ScriptedExpert):
    """Shortest route by cells, ties broken by a per-episode draw; PD control to each cell.

    D4RL's waypoint controller's gains: force = 10 (target - position) - 1 velocity, clipped
    to the action bounds. The route is re-planned from the ball's cell at every step, so the
    expert also labels states a clone wandered into (DAgger, takeover) with the way on from
    there, keeping the side it drew for the episode.
    """

    p_gain = 10.0
    d_gain = 1.0

    def __init__(self, env: gymnasium.Env, *, noise: float = 0.0, seed: int | None = None) -> None:
        super().__init__(env, noise=noise, seed=seed)
        maze = env.unwrapped.maze  # type: ignore[attr-defined]
        self._maze = maze
        self._open = {(row, col) for row, line in enumerate(maze.maze_map)
                      for col, cell in enumerate(line) if cell != 1}
        self._draw_tie_breaks()

    def reset(self, seed: int | None = None) -> None:
        """Start an episode: a seed replays its draw of sides (and of noise) exactly."""
        super().reset(seed)
        self._draw_tie_breaks()

    def _draw_tie_breaks(self) -> None:
        # One random rank per cell for the episode: of two equally short ways on, the one
        # through the lower-ranked cell is taken (at a fork both neighbours are open cells).
        self._rank = {cell: float(self._rng.random()) for cell in sorted(self._open)}

    def _cell(self, xy: np.ndarray) -> Cell:
        row, col = self._maze.cell_xy_to_rowcol(np.asarray(xy, dtype=np.float64))
        return int(row), int(col)

    def _next_cell(self, start: Cell, goal: Cell) -> Cell | None:
        """The next cell on the drawn shortest route from `start` to `goal` (None: there)."""
        if start == goal or start not in self._open or goal not in self._open:
            return None
        distance = {goal: 0}
        queue = deque([goal])
        while queue:
            row, col = queue.popleft()
            for d_row, d_col in _STEPS:
                cell = (row + d_row, col + d_col)
                if cell in self._open and cell not in distance:
                    distance[cell] = distance[(row, col)] + 1
                    queue.append(cell)
        if start not in distance:
            return None
        closer = [(start[0] + d_row, start[1] + d_col) for d_row, d_col in _STEPS]
        closer = [cell for cell in closer if distance.get(cell) == distance[start] - 1]
        return min(closer, key=self._rank.__getitem__)

    def route(self, observation: Any) -> list[Cell]:
        """The cells the expert would pass through from the observation's to the goal's."""
        cell, goal = self._cell(observation["achieved_goal"]), self._cell(
            observation["desired_goal"])
        cells = [cell]
        while (step := self._next_cell(cells[-1], goal)) is not None:
            cells.append(step)
        return cells

    def policy(self, observation: Any) -> np.ndarray:
        position = np.asarray(observation["achieved_goal"], dtype=np.float64)
        velocity = np.asarray(observation["observation"][2:4], dtype=np.float64)
        goal = np.asarray(observation["desired_goal"], dtype=np.float64)
        step = self._next_cell(self._cell(position), self._cell(goal))
        target = goal if step is None else self._maze.cell_rowcol_to_xy(np.array(step))
        force = self.p_gain * (target - position) - self.d_gain * velocity
        space = self.env.action_space
        return np.clip(force, space.low, space.high).astype(space.dtype)  # type: ignore[attr-defined]
