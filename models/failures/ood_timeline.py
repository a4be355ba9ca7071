"""How far from the demos, and how unsure, the clone is at each step of an episode (Qt-free).

The OOD score is `models.failures.ood.fit_ood` on the dataset's demo states, calibrated so that
above 1 reads "further from the demos than the held-out quantile of demo states". Where a
trajectory leaves the demos' states is `first_departure`, the first step whose score passes the
threshold, worded by `departure_text`: one definition for the Watch and Compare tabs, so that the
same states get the same step, score and words in both. The uncertainty is the entropy of the
action distribution (Discrete), the mean sigma (Box), or an ensemble's calibrated disagreement
when one is at hand. The views run `clone_timeline` on a worker thread and draw the result with
`app.watch.ood_plot.OodPlot`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from clonelab.models.agent import PolicyAgent
from clonelab.models.failures.ood import CalibratedScore, fit_ood
from clonelab.models.observations import episode_inputs, episode_inputs_in_chunks
from clonelab.models.policy import Policy
from clonelab.recorder.catalog import make_env
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.dataset_chunks import stored_episode
from clonelab.recorder.dict_observations import flatten_observation
from clonelab.recorder.memory import give_back_freed_memory
from clonelab.recorder.schema import FRAMES_PER_CHUNK, row_shape

OOD_THRESHOLD = 1.0
# Rows per forward pass when rating a trajectory (bounded memory for image observations).
_CHUNK = 1024


@dataclass(frozen=True)
class Departure:
    """The first state of a trajectory out of the demos' distribution."""

    step: int
    score: float
    """Its calibrated OOD score (above `threshold`)."""
    threshold: float = OOD_THRESHOLD


def first_departure(ood: Any, threshold: float = OOD_THRESHOLD) -> Departure | None:
    """The first step whose calibrated OOD score passes `threshold` (NaN, a state not rated,
    never does), or None when every state is within the demos' distribution."""
    scores = np.asarray(ood, dtype=float)
    above = np.flatnonzero(scores > threshold)
    if len(above) == 0:
        return None
    step = int(above[0])
    return Departure(step, float(scores[step]), threshold)


def departure_text(departure: Departure | None, *, so_far: bool = False,
                   threshold: float = OOD_THRESHOLD) -> str:
    """Where a trajectory leaves the demos' states, in the words every view uses.

    A trajectory whose first state is already out did not leave: it starts outside (a start
    the demos never showed, such as a fresh random seed). `so_far` for a trajectory still
    growing.
    """
    if departure is None:
        return (f"stays within the demos' states{' so far' if so_far else ''} "
                f"(OOD score ≤ {threshold:g})")
    score = f"OOD score {departure.score:.2f} > {departure.threshold:g}"
    if departure.step == 0:
        return f"starts outside the demos' states ({score} at step 0)"
    return f"leaves the demos' states at step {departure.step} ({score})"


@dataclass(frozen=True, kw_only=True, eq=False)
class OodTimeline:
    """Per-step OOD score and policy uncertainty along one trajectory."""

    ood: np.ndarray
    """(T,) calibrated OOD score of each state (above `threshold`: out of distribution)."""
    uncertainty: np.ndarray
    """(T,) the policy's uncertainty in each state."""
    uncertainty_name: str
    """What `uncertainty` measures ("entropy", "sigma", "ensemble disagreement")."""
    threshold: float = OOD_THRESHOLD

    @property
    def above(self) -> np.ndarray:
        """Indices of the steps whose OOD score exceeds the threshold."""
        return np.flatnonzero(self.ood > self.threshold)

    @property
    def departure(self) -> Departure | None:
        """Where the trajectory is first out of the demos' distribution (`first_departure`)."""
        return first_departure(self.ood, self.threshold)

    @property
    def first_ood(self) -> int | None:
        """The step of `departure`, or None if the trajectory never leaves."""
        departure = self.departure
        return None if departure is None else departure.step


def demo_ood(dataset: DemoDataset, *, seed: int = 0) -> CalibratedScore:
    """The calibrated nearest-neighbour OOD score of a dataset's demo states.

    Vector datasets are read whole. Image datasets are sampled: about IMAGE_OOD_STATES frames
    spread evenly over every episode, each read with the few rows stored beside it, so that a
    large Atari recording (100,000 raw frames are 10 GB) is neither held nor read whole.
    """
    if len(row_shape(dataset.observation_space)) == 1:
        return fit_ood(dataset.transitions(), seed=seed)
    steps = sum(dataset.episode_info(i).steps for i in dataset.episode_ids)
    every = max(1, steps // IMAGE_OOD_STATES)
    frames: list[np.ndarray] = []
    episode_ids: list[int] = []
    for episode_id in dataset.episode_ids:
        rows = stored_episode(dataset, episode_id).observations
        # Copies: a row is a view of the block of frames read with it.
        wanted = range(0, dataset.episode_info(episode_id).steps, every)
        frames += [rows[row].copy() for row in wanted]
        episode_ids += [episode_id] * len(wanted)
    fitted = fit_ood(SampledStates(np.stack(frames), np.array(episode_ids)), seed=seed)
    # The blocks read leave freed heap behind: the app held 122 MiB more once the Watch tab
    # had fitted Pong's 100,000 frames (reading all of them then), until given back.
    give_back_freed_memory()
    return fitted


@dataclass(frozen=True)
class SampledStates:
    """Frames sampled from a dataset's episodes, with the episode each comes from."""

    observations: np.ndarray
    episode_ids: np.ndarray


# Frames an image dataset's OOD score is fitted on, at most about (300 raw Atari frames are
# 30 MB; the reference keeps them pooled, `failures.ood.MAX_IMAGE_FEATURES`).
IMAGE_OOD_STATES = 300



@torch.inference_mode()
def policy_uncertainty(policy: Any, observations: Any) -> tuple[np.ndarray, str]:
    """(T,) uncertainty of `policy` on each observation, and the name of the measure.

    An `models.failures.ensemble.Ensemble`-like object (with `disagreement`) gives its disagreement;
    a Discrete policy the entropy of its action distribution (nats); a Box policy with a
    Gaussian head its mean sigma in env units; one with a mixture or discretised head the
    entropy of its action distribution (differential, nats, env units). Not their spread: two
    narrow modes are far apart, but a policy sure of taking one of them is not unsure.
    """
    observations = np.asarray(observations)
    if hasattr(policy, "disagreement"):
        return np.asarray(policy.disagreement(observations), float), "ensemble disagreement"
    # One episode's steps, with the history the policy has at play time.
    return input_uncertainty(policy, episode_inputs(policy.spec.pipeline, observations))


@torch.inference_mode()
def input_uncertainty(policy: Policy, inputs: torch.Tensor) -> tuple[np.ndarray, str]:
    """`policy_uncertainty` of a policy on network inputs already built (its pipeline's
    output, as `ObservationHistory.push` gives them)."""
    values = []
    for start in range(0, len(inputs), _CHUNK):
        batch = inputs[start : start + _CHUNK].to(policy.device)
        if policy.spec.action_kind == "discrete":
            probabilities = policy.action_probabilities(batch)
            entropy = -(probabilities * probabilities.clamp_min(1e-12).log()).sum(dim=-1)
            values.append(entropy.cpu())
        elif policy.spec.head.kind == "gaussian":
            _mu, sigma = policy.action_gaussian(batch)
            values.append(sigma.reshape(len(batch), -1).mean(dim=-1).cpu())
        else:
            values.append(policy.action_density(batch).entropy().cpu())
    gaussian = policy.spec.action_kind == "continuous" and policy.spec.head.kind == "gaussian"
    name = "sigma" if gaussian else "entropy"
    if not values:
        return np.zeros(0), name
    return torch.cat(values).double().numpy(), name


def clone_states(policy: Policy, env_id: str, episode: Any, *, deterministic: bool = True,
                 rows: int = FRAMES_PER_CHUNK) -> Iterator[np.ndarray]:
    """The states of the clone playing from the demo's reset seed and options, as long as
    the demo at most (T+1 states for T steps), `rows` at a time: a long Atari game of the
    clone is never held whole (5,000 raw Pong frames are 500 MB).

    The same start and limit as the Compare view's right pane
    (`clonelab.models.twin_run.demo_and_clone`).
    """
    if episode.seed is None:
        raise ValueError("the episode has no reset seed, so the clone cannot replay its start")
    env = make_env(env_id)
    try:
        space = env.observation_space
        agent = PolicyAgent(policy, deterministic=deterministic, seed=episode.seed)
        observation, _info = env.reset(seed=episode.seed, options=episode.options or None)
        agent.reset(episode.seed)
        states = [np.array(flatten_observation(space, observation))]  # own copies: envs reuse
        for _step in range(len(episode.actions)):
            observation, _reward, terminated, truncated, _info = env.step(agent.act(observation))
            states.append(np.array(flatten_observation(space, observation)))
            if len(states) == rows:
                yield np.stack(states)
                states = []
            if terminated or truncated:
                break
        if states:
            yield np.stack(states)
    finally:
        env.close()


def clone_timeline(policy: Policy, dataset: DemoDataset, episode: Any, *,
                   deterministic: bool = True, ood: CalibratedScore | None = None
                   ) -> OodTimeline:
    """Fit the OOD score on `dataset` (unless given), roll the clone out from the demo's
    start (`episode`'s seed, options and length) and rate every state it visits, a chunk of
    states at a time (`clone_states`)."""
    ood = demo_ood(dataset) if ood is None else ood
    scores: list[np.ndarray] = []
    uncertainties: list[np.ndarray] = [np.zeros(0)]
    name = "entropy"

    def rated(chunks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        for chunk in chunks:
            scores.append(np.asarray(ood(chunk), float))
            yield chunk

    states = clone_states(policy, dataset.env_id, episode, deterministic=deterministic)
    for inputs in episode_inputs_in_chunks(policy.spec.pipeline, rated(states)):
        uncertainty, name = input_uncertainty(policy, inputs)
        uncertainties.append(uncertainty)
    return OodTimeline(ood=np.concatenate(scores), uncertainty=np.concatenate(uncertainties),
                       uncertainty_name=name)
