"""Who acts at each step: the clone, or a human who takes over or is asked for help (no Qt).

A *controller* decides each step's action and actor. `HumanGate` (human-gated DAgger): the clone
acts unless the human holds the takeover control. `AskForHelp` (ThriftyDAgger-style): the clone
acts until a calibrated risk score (ensemble disagreement, OOD distance) passes a threshold, then
asks the human, and takes control back once the human's and the clone's actions agree for N
steps running. Steps where the human acted are interventions: recorded with actor "human", so
`intervention_flags(episode)` reads them back from any stored episode.

The app drives a controller from its timer; `play_episode` drives one headless, and
`ScriptedHuman` stands in for the person so whole rounds run in tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

import gymnasium as gym
import numpy as np

from clonelab.models.failures.compare import DEFAULT_TOLERANCE, compare_actions
from clonelab.recorder.episode import EpisodeData
from clonelab.recorder.schema import row_shape
from clonelab.recorder.session import PlaySession
from clonelab.recorder.sources import ActionSource, KeyboardSource

Mode = Literal["agent", "human"]
DEFAULT_AGREE_STEPS = 5


@dataclass(frozen=True, kw_only=True)
class Decision:
    """One step's choice: what the env is stepped with, who chose it, and why."""

    action: Any
    """The action to step the env with."""
    actor: str
    """"agent", "human" or "expert" (recorder.schema.ACTOR_NAMES)."""
    device: str
    """"policy", "keyboard", "gamepad" or "script" (recorder.schema.DEVICE_NAMES)."""
    label: Any = None
    """A teacher's action for this state when one was asked (DAgger's expert), else None."""
    agent_action: Any = None
    """What the clone proposed (for the app's display and the agreement check)."""
    intervention: bool = False
    """True when the human acted at this step."""
    requested_help: bool = False
    """True on the step where the clone asks for help. The app pauses here *before* stepping,
    asks the human, and on resume calls `decide` again for the same observation (the
    controller is in human mode by then, so no second request is counted)."""
    score: float = math.nan
    """The calibrated risk score checked at this step (NaN when none was)."""


class Controller(Protocol):
    """Decides every step who acts and with what (`HumanGate`, `AskForHelp`, DAgger's mix)."""

    def reset(self, seed: int | None = None) -> None: ...

    def decide(self, observation: Any) -> Decision: ...


class Human(ActionSource, Protocol):
    """A person at the controls: an action source that can also claim control."""

    device: str

    def wants_control(self, observation: Any) -> bool:
        """True while the takeover control is held (for `HumanGate`)."""
        ...


class ScriptedHuman:
    """A stand-in person for tests: a scripted expert that acts when asked, and holds the
    takeover control while `looks_bad(observation)` is true (never, without one)."""

    device = "script"

    def __init__(self, expert: ActionSource, *,
                 looks_bad: Callable[[Any], bool] | None = None) -> None:
        self.expert = expert
        self.looks_bad = looks_bad

    def reset(self, seed: int | None = None) -> None:
        self.expert.reset(seed)

    def act(self, observation: Any) -> Any:
        return self.expert.act(observation)

    def wants_control(self, observation: Any) -> bool:
        return bool(self.looks_bad(observation)) if self.looks_bad is not None else False


class HeldKeyHuman:
    """A person on the keyboard: holding `key` takes over; the other held keys give the action
    (the takeover key is left out, so it never turns a combination into the no-op)."""

    device = "keyboard"

    def __init__(self, source: KeyboardSource, key: str) -> None:
        self.source = source
        self.key = key

    def reset(self, seed: int | None = None) -> None:
        self.source.reset(seed)

    def act(self, observation: Any) -> Any:
        return self.source.keymap.action(self.source.held - {self.key})

    def wants_control(self, observation: Any) -> bool:
        return self.key in self.source.held


def actions_agree(first: Any, second: Any, action_space: gym.Space, *,
                  tolerance: float = DEFAULT_TOLERANCE) -> bool:
    """Whether two actions agree (equal, or Box actions within `tolerance` of the range)."""
    return bool(compare_actions([first], [second], action_space, tolerance=tolerance).agree[0])


class Solo:
    """One source in control throughout (the clone, or an expert), its steps optionally
    labelled by a `teacher` (e.g. the scripted expert, to score the clone on its own states)."""

    def __init__(self, source: ActionSource, *, actor: str = "agent", device: str = "policy",
                 teacher: ActionSource | None = None) -> None:
        self.source = source
        self.actor = actor
        self.device = device
        self.teacher = teacher

    def reset(self, seed: int | None = None) -> None:
        self.source.reset(seed)
        if self.teacher is not None:
            self.teacher.reset(seed)

    def decide(self, observation: Any) -> Decision:
        action = self.source.act(observation)
        label = self.teacher.act(observation) if self.teacher is not None else None
        return Decision(action=action, actor=self.actor, device=self.device, label=label)


class HumanGate:
    """Human-gated DAgger: the clone acts unless the human holds the takeover control."""

    def __init__(self, agent: ActionSource, human: Human) -> None:
        self.agent = agent
        self.human = human
        self.interventions = 0
        """Takeovers this episode (a held stretch counts once)."""
        self.intervention_steps = 0
        self._held = False

    def reset(self, seed: int | None = None) -> None:
        """Start an episode: counts back to 0."""
        self.agent.reset(seed)
        self.human.reset(seed)
        self.interventions = self.intervention_steps = 0
        self._held = False

    def decide(self, observation: Any) -> Decision:
        proposal = self.agent.act(observation)
        held = self.human.wants_control(observation)
        if held and not self._held:
            self.interventions += 1
        self._held = held
        if not held:
            return Decision(action=proposal, actor="agent", device="policy",
                            agent_action=proposal)
        self.intervention_steps += 1
        action = self.human.act(observation)
        return Decision(action=action, actor="human", device=self.human.device,
                        agent_action=proposal, intervention=True)


class AskForHelp:
    """ThriftyDAgger-style: ask for help when a calibrated risk score passes `threshold`.

    `scores` are calibrated scores (`models.failures.ood.CalibratedScore`: callables on a batch);
    the
    highest one counts. Once asked, the human acts until their actions and the clone's agree
    for `agree_steps` steps running; the clone acts again from the next step (and asks again if
    the score is still high). `release()` hands control back early (the app's "done helping").
    """

    def __init__(self, agent: ActionSource, human: ActionSource,
                 scores: Sequence[Callable[[np.ndarray], np.ndarray]], *,
                 action_space: gym.Space, threshold: float = 1.0,
                 agree_steps: int = DEFAULT_AGREE_STEPS, tolerance: float = DEFAULT_TOLERANCE,
                 human_device: str = "keyboard") -> None:
        if not scores:
            raise ValueError("AskForHelp needs at least one risk score")
        if agree_steps < 1:
            raise ValueError(f"agree_steps must be 1 or more, got {agree_steps!r}")
        self.agent = agent
        self.human = human
        self.scores = tuple(scores)
        self.action_space = action_space
        self.threshold = threshold
        self.agree_steps = agree_steps
        self.tolerance = tolerance
        self.human_device = human_device
        self.mode: Mode = "agent"
        self.requests = 0
        """Help requests this episode."""
        self.intervention_steps = 0
        self._agreeing = 0

    def reset(self, seed: int | None = None) -> None:
        """Start an episode with the clone in control and counts at 0."""
        self.agent.reset(seed)
        self.human.reset(seed)
        self.mode = "agent"
        self.requests = self.intervention_steps = self._agreeing = 0

    def release(self) -> None:
        """The human hands control back now."""
        self.mode = "agent"
        self._agreeing = 0

    def risk(self, observation: Any) -> float:
        """The highest calibrated score of one observation."""
        batch = np.asarray(observation)[None]
        return max(float(score(batch)[0]) for score in self.scores)

    def decide(self, observation: Any) -> Decision:
        proposal = self.agent.act(observation)
        risk = self.risk(observation)
        requested = False
        if self.mode == "agent":
            if risk <= self.threshold:
                return Decision(action=proposal, actor="agent", device="policy",
                                agent_action=proposal, score=risk)
            self.mode, self._agreeing, requested = "human", 0, True
            self.requests += 1
        action = self.human.act(observation)
        self.intervention_steps += 1
        agree = actions_agree(action, proposal, self.action_space, tolerance=self.tolerance)
        self._agreeing = self._agreeing + 1 if agree else 0
        if self._agreeing >= self.agree_steps:
            self.release()  # from the next step on
        return Decision(action=action, actor="human", device=self.human_device,
                        agent_action=proposal, intervention=True, requested_help=requested,
                        score=risk)


@dataclass(frozen=True, kw_only=True, eq=False)
class ControlledEpisode:
    """An episode played under a controller: as played, plus its labels and interventions."""

    episode: EpisodeData
    """As played: the actions the env was stepped with, and who chose each."""
    labels: np.ndarray
    """(T, ...) each step's `Decision.label`, or the action taken where there was none."""
    interventions: np.ndarray
    """(T,) True where the human acted."""
    requests: int
    """Help requests during the episode."""

    def labelled(self) -> EpisodeData:
        """The episode with the labels as its actions (how DAgger stores what it learns),
        keeping the actions played, where any differ, as `played_actions` so that the
        episode still replays."""
        played = self.episode.actions
        return replace(self.episode, actions=self.labels,
                       played_actions=None if np.array_equal(self.labels, played) else played)


def intervention_flags(episode: EpisodeData) -> np.ndarray:
    """(T,) True at the steps a human took (a stored takeover episode's interventions)."""
    return np.array([actor == "human" for actor in episode.actors], dtype=bool)


def play_episode(session: PlaySession, controller: Controller, *, seed: int,
                 options: dict[str, Any] | None = None,
                 max_steps: int | None = None) -> ControlledEpisode:
    """Play one episode from reset `seed` (and `options`) under `controller`, at most
    `max_steps` steps (an episode cut short is recorded as truncated)."""
    observation = session.reset(seed=seed, options=options)
    controller.reset(seed)
    labels, interventions, requests = [], [], 0
    while not session.episode_over and (max_steps is None or session.steps < max_steps):
        decision = controller.decide(observation)
        labels.append(decision.action if decision.label is None else decision.label)
        interventions.append(decision.intervention)
        requests += decision.requested_help
        observation = session.step(decision.action, actor=decision.actor,
                                   device=decision.device).obs
    episode = session.finish_episode()
    space = session.env.action_space
    return ControlledEpisode(
        episode=episode,
        labels=np.asarray(labels).astype(space.dtype, copy=False).reshape(
            len(labels), *row_shape(space)),
        interventions=np.asarray(interventions, dtype=bool),
        requests=requests,
    )
