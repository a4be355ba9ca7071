"""The MiniGrid expert: shortest paths on the true grid (read through `env.unwrapped`).

Empty rooms: walk to the goal. DoorKey: fetch the key, open the door, walk to the goal. Each
step re-plans by breadth-first search over (cell, heading), so a random action from the noise
only costs a detour.
"""

from __future__ import annotations

from collections import deque
from typing import Any, TypeVar, cast

from minigrid.core.actions import Actions
from minigrid.core.constants import DIR_TO_VEC
from minigrid.core.world_object import Door, Goal, Key, WorldObj
from minigrid.minigrid_env import MiniGridEnv

from clonelab.recorder.experts.base import ScriptedExpert

Cell = tuple[int, int]
Pose = tuple[int, int, int]  # x, y, heading (0 east, 1 south, 2 west, 3 north)
Thing = TypeVar("Thing", bound=WorldObj)


class MiniGridExpert(ScriptedExpert):
    """Plans on the grid behind the pixel wrappers; the observation itself is not needed."""

    reads_observation = False

    def policy(self, observation: Any) -> int:
        grid_env = cast(MiniGridEnv, self.env.unwrapped)
        key = _find(grid_env, Key)
        door = _find(grid_env, Door)
        goal = _find(grid_env, Goal)
        if key is not None and door is not None and door[1].is_locked:
            target, finish = key[0], Actions.pickup
        elif door is not None and not door[1].is_open:
            target, finish = door[0], Actions.toggle
        elif goal is not None:
            target, finish = goal[0], Actions.forward
        else:
            return int(Actions.done)
        x, y = (int(v) for v in grid_env.agent_pos)
        return int(_first_step(grid_env, (x, y, int(grid_env.agent_dir)), target, finish))


def _find(grid_env: MiniGridEnv, kind: type[Thing]) -> tuple[Cell, Thing] | None:
    grid = grid_env.grid
    for index, thing in enumerate(grid.grid):
        if isinstance(thing, kind):
            return (index % grid.width, index // grid.width), thing
    return None


def _front(pose: Pose) -> Cell:
    dx, dy = DIR_TO_VEC[pose[2]]
    return pose[0] + int(dx), pose[1] + int(dy)


def _walkable(grid_env: MiniGridEnv, cell: Cell) -> bool:
    x, y = cell
    if not (0 <= x < grid_env.grid.width and 0 <= y < grid_env.grid.height):
        return False
    thing = grid_env.grid.get(x, y)
    return thing is None or (thing.can_overlap() and thing.type != "lava")


def _first_step(grid_env: MiniGridEnv, start: Pose, target: Cell, finish: Actions) -> Actions:
    """The first action of a shortest plan to face `target`, or `finish` when facing it."""
    first: dict[Pose, Actions | None] = {start: None}
    queue = deque([start])
    while queue:
        pose = queue.popleft()
        step = first[pose]
        if _front(pose) == target:
            return finish if step is None else step
        x, y, heading = pose
        moves = [
            (Actions.left, (x, y, (heading - 1) % 4)),
            (Actions.right, (x, y, (heading + 1) % 4)),
        ]
        if _walkable(grid_env, _front(pose)):
            moves.append((Actions.forward, (*_front(pose), heading)))
        for action, following in moves:
            if following not in first:
                first[following] = action if step is None else step
                queue.append(following)
    return Actions.done
