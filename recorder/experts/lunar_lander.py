"""The LunarLander expert: gymnasium's own heuristic controller (returns above 200)."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from gymnasium.envs.box2d.lunar_lander import LunarLander, heuristic

from clonelab.recorder.experts.base import ScriptedExpert


class LunarLanderExpert(ScriptedExpert):
    """Discrete or continuous, whichever the env is (the heuristic reads `env.continuous`)."""

    def policy(self, observation: Any) -> Any:
        lander = cast(LunarLander, self.env.unwrapped)
        action = heuristic(lander, observation)
        if lander.continuous:
            return np.asarray(action, dtype=np.float32)
        return int(action)
