"""Two play sessions stepped together by one counter: the Qt-free half of side-by-side play.

`TwinRun` holds two panes, each a `PlaySession` with an action source, reset with the same seed
and stepped together. A pane whose episode ended (or whose recorded actions ran out) holds its
last state while the other goes on. The Compare view puts a timer in front of it
(`clonelab.app.watch.lockstep.Lockstep`); the video export renders it frame by frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clonelab.models.agent import PolicyAgent
from clonelab.models.policy import Policy
from clonelab.recorder.catalog import make_env
from clonelab.recorder.dict_observations import flatten_observation
from clonelab.recorder.replay import RecordedActions, observations_match, replayed_actions
from clonelab.recorder.session import PlaySession


@dataclass
class Pane:
    """One side: a session, what acts in it, and how its steps are labelled.

    A pane replaying a recording gets its `recorded` observations and keeps `first_mismatch`,
    the first step whose observation the env did not reproduce (or where it ended early).
    """

    session: Any
    source: Any
    actor: str
    device: str
    recorded: Any = None
    observation: Any = None
    done: bool = False
    last: Any = None
    """The latest `StepOutcome` (None right after a reset)."""
    last_action: Any = None
    """The action of the latest step (None right after a reset)."""
    first_mismatch: int | None = None

    def reset(self, seed: int | None, options: dict[str, Any] | None) -> None:
        """Reset the env and the source for a new episode from `seed`."""
        self.observation = self.session.reset(seed=seed, options=options)
        self.source.reset(seed)
        self.done = False
        self.last = self.last_action = None
        self._check()

    def step(self) -> None:
        """Take one step unless the pane has ended."""
        if self.done:
            return
        action = self.source.act(self.observation)
        outcome = self.session.step(action, actor=self.actor, device=self.device)
        self.observation = outcome.obs
        self.last, self.last_action = outcome, action
        # A replay source that has handed out every recorded action has nothing more to play.
        exhausted = bool(getattr(self.source, "exhausted", False))
        self.done = bool(outcome.terminated or outcome.truncated or exhausted)
        self._check()

    def _check(self) -> None:
        if self.recorded is None:
            return
        taken = self.session.steps
        ended_early = self.done and taken < len(self.recorded) - 1
        # A Dict observation is compared as the flat row the dataset holds.
        simulated = flatten_observation(self.session.env.observation_space, self.observation)
        if ended_early or not observations_match(self.recorded[taken], simulated):
            if self.first_mismatch is None or taken < self.first_mismatch:
                self.first_mismatch = taken

    @property
    def episode_return(self) -> float:
        """The return so far."""
        return 0.0 if self.last is None else float(self.last.episode_return)


def make_pane(env_id: str, source: Any, actor: str, device: str, *,
              recorded: Any = None) -> Pane:
    """A pane with its own env of `env_id` rendering to rgb_array."""
    env = make_env(env_id, render_mode="rgb_array")
    return Pane(PlaySession(env, env_id=env_id), source, actor, device, recorded=recorded)


class TwinRun:
    """Left and right panes reset with one seed and stepped by one counter.

    The run is over when both panes have ended, or when the counter reaches `limit`.
    """

    def __init__(self, left: Pane, right: Pane, *, seed: int | None,
                 options: dict[str, Any] | None = None, limit: int | None = None) -> None:
        self.panes = (left, right)
        self.seed = seed
        self.options = options
        self.limit = limit
        self.step_count = 0
        self.reset()

    @property
    def left(self) -> Pane:
        """The demo (or the human) side."""
        return self.panes[0]

    @property
    def right(self) -> Pane:
        """The policy side."""
        return self.panes[1]

    @property
    def over(self) -> bool:
        """Whether there is nothing left to step."""
        at_limit = self.limit is not None and self.step_count >= self.limit
        return at_limit or all(pane.done for pane in self.panes)

    def reset(self) -> None:
        """Back to step 0: both panes reset with the run's seed."""
        for pane in self.panes:
            pane.reset(self.seed, self.options)
        self.step_count = 0

    def step(self) -> bool:
        """Advance both panes one step; False when the run was already over."""
        if self.over:
            return False
        for pane in self.panes:
            pane.step()
        self.step_count += 1
        return True

    def seek(self, step: int) -> None:
        """Go to counter value `step` by replaying from the seed (envs cannot step back)."""
        if step < self.step_count:
            self.reset()
        while self.step_count < step and self.step():
            pass


def demo_and_clone(env_id: str, episode: Any, policy: Policy, *,
                   deterministic: bool = True) -> TwinRun:
    """A `TwinRun` of the demo's recorded actions (left) and the policy (right), same seed.

    Both envs render to rgb_array; the run is limited to the demo's length; the left pane
    checks that it reproduces the recorded observations (`Pane.first_mismatch`).
    """
    left = make_pane(env_id, RecordedActions(replayed_actions(episode)), "human", "keyboard",
                     recorded=episode.observations)
    right = make_pane(env_id, PolicyAgent(policy, deterministic=deterministic, seed=episode.seed),
                      "agent", "policy")
    return TwinRun(left, right, seed=episode.seed, options=episode.options or None,
                   limit=len(episode.actions))


def close_run(run: TwinRun) -> None:
    """Close both panes' envs."""
    for pane in run.panes:
        pane.session.env.close()
