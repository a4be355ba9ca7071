"""Why a clone fails: compounding error, and accuracy on demo states vs on its own states.

`compounding_error` replays each demo's start (its reset seed and options) with the clone in
control and measures, step by step, how far the clone's states are from the demo's. The curve
usually stays flat for a while and then climbs: small action errors move the clone to states
the demos never showed, where its errors grow. `action_agreement` puts the clone's accuracy on
demo states (what training sees) next to its agreement with the scripted expert on the states
it reaches itself (what it meets). `diagnose` runs both as one job (the Failures tab's).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from clonelab.models.agent import PolicyAgent
from clonelab.models.failures.compare import DEFAULT_TOLERANCE, compare_actions, compare_on_demo
from clonelab.models.failures.ood import StateScale
from clonelab.models.failures.takeover import Solo, play_episode
from clonelab.models.policy import Policy
from clonelab.recorder.catalog import make_env
from clonelab.recorder.configs import check_counts
from clonelab.recorder.dataset import EpisodeData
from clonelab.recorder.experts import has_expert, make_expert
from clonelab.recorder.jobs import CancelCheck, cancel_check
from clonelab.recorder.session import PlaySession
from clonelab.recorder.wording import plural

# On-policy rollouts start from these seeds: far from the `expert` command's demo seeds.
ROLLOUT_SEED = 30_000


class EpisodeSource(Protocol):
    """The part of `DemoDataset` the diagnostics read."""

    env_id: str
    episode_ids: Sequence[int]

    def load_episode(self, episode_id: int) -> EpisodeData: ...


@dataclass(frozen=True, kw_only=True, eq=False)
class CompoundingError:
    """The clone's distance from the demo over time, per episode and averaged (for a plot).

    Distances are root-mean-square gaps of normalised states (normalised by the demo states'
    per-feature mean and std; images by 1/255). When one trajectory ends first its last state
    stands in until the other ends, so a clone that falls early keeps its gap.
    """

    env_id: str
    episode_ids: tuple[int, ...]
    steps: np.ndarray
    """(L,) time steps 0..L-1, L the longest of all the demo and clone episodes (+1)."""
    mean: np.ndarray
    """(L,) mean distance over episodes at each step."""
    std: np.ndarray
    """(L,) standard deviation over episodes at each step."""
    per_episode: tuple[np.ndarray, ...]
    """Each episode's own distance curve (its own length)."""
    demo_returns: tuple[float, ...]
    clone_returns: tuple[float, ...]


def _padded(rows: np.ndarray, length: int) -> np.ndarray:
    """`rows` continued with its last row up to `length` rows."""
    return np.concatenate([rows, np.repeat(rows[-1:], length - len(rows), axis=0)])


def compounding_error(policy: Policy, dataset: EpisodeSource, *,
                      episode_ids: Sequence[int] | None = None) -> CompoundingError:
    """Start the clone from each demo's reset seed and compare its states with the demo's.

    The clone plays deterministically, for as long as the env lets it, or as long as the demo
    when the demo was truncated (a time limit, or a recording stopped early).

    Episodes without a recorded seed cannot be replayed and raise ValueError.
    """
    chosen = tuple(dataset.episode_ids if episode_ids is None else episode_ids)
    demos = [dataset.load_episode(episode_id) for episode_id in chosen]
    for episode_id, demo in zip(chosen, demos, strict=True):
        if demo.seed is None:
            raise ValueError(f"episode {episode_id} has no reset seed, so its start cannot be "
                             "replayed; record demos with seeds")
    scale = StateScale.fit(np.concatenate([demo.observations for demo in demos]))
    env = make_env(dataset.env_id)
    try:
        session = PlaySession(env, env_id=dataset.env_id)
        clone = Solo(PolicyAgent(policy))
        curves, clone_returns = [], []
        for demo in demos:
            assert demo.seed is not None  # checked above
            # A demo cut short by its recorder ends the clone there too; one the env ended
            # lets the clone play on (against the demo's held final state).
            cut = demo.steps if demo.steps and demo.truncations[-1] else None
            played = play_episode(session, clone, seed=demo.seed, options=demo.options,
                                  max_steps=cut).episode
            length = max(len(played.observations), len(demo.observations))
            curves.append(scale.distance(_padded(played.observations, length),
                                         _padded(demo.observations, length)))
            clone_returns.append(played.episode_return)
    finally:
        env.close()
    longest = max(len(curve) for curve in curves)
    stacked = np.stack([_padded(curve, longest) for curve in curves])
    return CompoundingError(
        env_id=dataset.env_id, episode_ids=chosen, steps=np.arange(longest),
        mean=stacked.mean(axis=0), std=stacked.std(axis=0), per_episode=tuple(curves),
        demo_returns=tuple(demo.episode_return for demo in demos),
        clone_returns=tuple(clone_returns),
    )


@dataclass(frozen=True, kw_only=True)
class AgreementReport:
    """The clone on demo states (what training sees) and on its own states (what it meets)."""

    env_id: str
    demo_accuracy: float
    """Share of demo steps where the clone's action agrees with the demo's."""
    demo_steps: int
    onpolicy_agreement: float
    """Share of the clone's own steps where its action agrees with the scripted expert's."""
    onpolicy_steps: int
    clone_returns: tuple[float, ...]
    """Returns of the on-policy episodes."""


def action_agreement(policy: Policy, dataset: EpisodeSource, *, episodes: int = 5,
                     seed: int = ROLLOUT_SEED, episode_ids: Sequence[int] | None = None,
                     tolerance: float = DEFAULT_TOLERANCE) -> AgreementReport:
    """Accuracy on the demos' states next to agreement with the expert on the clone's states.

    The expert labels without noise (its own best action). Raises
    `recorder.experts.ExpertError` for envs without a scripted expert.
    """
    chosen = tuple(dataset.episode_ids if episode_ids is None else episode_ids)
    hits = steps = 0
    for episode_id in chosen:
        demo = dataset.load_episode(episode_id)
        comparison = compare_on_demo(policy, demo.observations, demo.actions,
                                     tolerance=tolerance)
        hits += int(comparison.agree.sum())
        steps += len(comparison.agree)
    env = make_env(dataset.env_id)
    try:
        session = PlaySession(env, env_id=dataset.env_id)
        clone = Solo(PolicyAgent(policy), teacher=make_expert(env))
        own_hits = own_steps = 0
        returns = []
        for index in range(episodes):
            played = play_episode(session, clone, seed=seed + index)
            agreement = compare_actions(played.labels, played.episode.actions,
                                        policy.spec.action_space, tolerance=tolerance)
            own_hits += int(agreement.agree.sum())
            own_steps += len(agreement.agree)
            returns.append(played.episode.episode_return)
    finally:
        env.close()
    return AgreementReport(
        env_id=dataset.env_id, demo_accuracy=hits / steps if steps else float("nan"),
        demo_steps=steps, onpolicy_agreement=own_hits / own_steps if own_steps else float("nan"),
        onpolicy_steps=own_steps, clone_returns=tuple(returns),
    )


@dataclass(frozen=True, kw_only=True)
class DiagnosticsConfig:
    """Which demo starts the clone replays, and how much it plays on its own."""

    demo_episodes: int = 10
    """Demo episodes (the first ones) whose starts the clone replays."""
    rollouts: int = 5
    """Episodes the clone plays on its own, labelled by the scripted expert (envs with one)."""
    rollout_seed: int = ROLLOUT_SEED
    """Seed of the first of the clone's own episodes."""
    tolerance: float = DEFAULT_TOLERANCE
    """Continuous actions agree within this share of the action range."""

    def __post_init__(self) -> None:
        check_counts(self, "demo_episodes", "rollouts")
        if not self.tolerance >= 0:
            raise ValueError(f"DiagnosticsConfig: tolerance must be 0 or more, "
                             f"got {self.tolerance!r}")


@dataclass(frozen=True, kw_only=True)
class DiagnosticsStage:
    """The part of `diagnose` that runs now, in words."""

    text: str


@dataclass(frozen=True, kw_only=True, eq=False)
class Diagnosis:
    """The compounding error and, where the env has a scripted expert, the agreement report."""

    error: CompoundingError
    agreement: AgreementReport | None
    """None without a scripted expert, or when the run was cancelled before it."""


def diagnose(config: DiagnosticsConfig, policy: Policy, dataset: EpisodeSource, *,
             cancel: CancelCheck | None = None
             ) -> Generator[DiagnosticsStage, None, Diagnosis | None]:
    """`compounding_error` over the first demos, then `action_agreement` when there is an expert.

    Returns None when cancelled before the compounding error is measured.
    """
    stop = cancel_check(cancel)
    episode_ids = tuple(dataset.episode_ids)[: config.demo_episodes]
    if not episode_ids:
        raise ValueError("The dataset has no episodes yet.")
    yield DiagnosticsStage(text=f"Replaying {len(episode_ids)} demo starts with the clone...")
    if stop():
        return None
    error = compounding_error(policy, dataset, episode_ids=episode_ids)
    report = None
    if has_expert(dataset.env_id) and not stop():
        yield DiagnosticsStage(
            text=f"Playing {plural(config.rollouts, 'episode')}, labelled by the scripted "
                 "expert...")
        report = action_agreement(policy, dataset, episodes=config.rollouts,
                                  seed=config.rollout_seed, episode_ids=episode_ids,
                                  tolerance=config.tolerance)
    return Diagnosis(error=error, agreement=report)
