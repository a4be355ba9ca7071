"""The Takeover tab's background work, Qt-free: commit the round's episodes, aggregate, retrain.

The demos stay as recorded; takeover episodes go whole to a dataset in the demos' workspace folder
(`recorder.workspace_folder`: `<demos>.clonelab/takeover`, made at the first commit), with actor
"human" at the intervention steps and "agent" elsewhere. Training reads every demo
row plus only the human rows of the takeover episodes (the clone's own steps teach nothing).
The app runs it on a worker thread, so the HDF5 commit and the training stay off the UI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from clonelab.models.failures.ensemble import Ensemble, EnsembleConfig, EnsembleProgress
from clonelab.models.failures.ood import CalibratedScore
from clonelab.models.failures.rounds import RoundsConfig, episode_seed, split_demos, train_round
from clonelab.models.failures.takeover import intervention_flags
from clonelab.models.training import TrainConfig
from clonelab.recorder.dataset import DemoDataset, EpisodeData
from clonelab.recorder.jobs import CancelCheck
from clonelab.recorder.schema import row_shape
from clonelab.recorder.workspace_folder import WorkspaceFolder

log = logging.getLogger(__name__)

TAKEOVER_TAG = "takeover"
QUICK_TRAIN = TrainConfig(epochs=20, batch_size=64, hidden=(64, 64), device="cpu",
                          log_every=50)


TAKEOVER_ROUNDS = RoundsConfig(ensemble=EnsembleConfig(members=3, train=QUICK_TRAIN),
                               max_episode_steps=500)
"""Rounds a person plays in the Takeover tab: a quick 3-member retraining between rounds (the
person waits for it), episodes cut at 500 steps. The tab plays rounds until the person stops,
so `rounds` is not a limit there."""


@dataclass(frozen=True, kw_only=True, eq=False)
class Retrained:
    """A freshly trained clone with its calibrated risk scores."""

    ensemble: Ensemble
    scores: tuple[CalibratedScore, ...]
    labels: int
    """Human-labelled rows the training saw (from every takeover episode so far)."""
    rows: int
    """Rows trained on (demos and human labels)."""
    takeovers: DemoDataset | None = None
    """The takeover dataset (None while no episode has been committed)."""


def takeover_path(demos: Path, root: Path | None = None) -> Path:
    """Where the takeover episodes of a demo dataset go: `takeover/` in its workspace folder
    (beside it, or under `root`), or the sibling `<name>-takeover` an older version wrote."""
    return WorkspaceFolder.of(Path(demos), root).takeover


def read_takeovers(demos: DemoDataset, path: Path) -> DemoDataset | None:
    """The takeover dataset at `path`, or None while no episode has been committed there."""
    if not Path(path).exists():
        return None
    return DemoDataset.open(path, env_id=demos.env_id)


def open_takeovers(demos: DemoDataset, path: Path) -> DemoDataset:
    """The takeover dataset at `path`, created with the demos' env and spaces when absent."""
    takeovers = read_takeovers(demos, path)
    if takeovers is not None:
        return takeovers
    return DemoDataset.create(path, env_id=demos.env_id,
                              observation_space=demos.observation_space,
                              action_space=demos.action_space)


def human_rows(takeovers: DemoDataset) -> tuple[np.ndarray, np.ndarray]:
    """Observations and actions of every step a human took in the takeover episodes."""
    space = takeovers.observation_space
    observations = [np.empty((0, *row_shape(space)), space.dtype)]
    actions = [np.empty((0, *row_shape(takeovers.action_space)), takeovers.action_space.dtype)]
    for episode_id in takeovers.episode_ids:
        if not takeovers.episode_info(episode_id).actor_steps.get("human", 0):
            continue
        episode = takeovers.load_episode(episode_id)
        flags = intervention_flags(episode)
        observations.append(episode.observations[:-1][flags])
        actions.append(np.asarray(episode.actions)[flags])
    return np.concatenate(observations), np.concatenate(actions)


def retrain(
    config: RoundsConfig,
    demos: DemoDataset,
    takeovers: Path,
    new_episodes: Sequence[EpisodeData] = (),
    *,
    tags: Sequence[str] = (TAKEOVER_TAG,),
    first_scores: Sequence[CalibratedScore] = (),
    cancel: CancelCheck | None = None,
) -> Generator[EnsembleProgress, None, Retrained | None]:
    """Commit `new_episodes` to the takeover dataset at `takeovers` (created by the first
    commit), then train `config.ensemble` on demos + the human rows of every takeover episode.

    The same step as a round of `models.failures.rounds.help_rounds` (`split_demos`, then
    `train_round`): the risk scores are calibrated on demo episodes held out of training; with
    `first_scores` (the first round's) their scales are kept, so new labels can only lower the
    scores. Returns None when cancelled.
    """
    # Nothing is created on disk before there is an episode to keep.
    stored = (open_takeovers if new_episodes else read_takeovers)(demos, takeovers)
    for episode in new_episodes:
        assert stored is not None  # opened or created just above
        stored.append(episode, tags=tuple(tags))
    split = split_demos(demos, config.ensemble)
    data = split.training
    labels = 0
    if stored is not None:
        observations, actions = human_rows(stored)
        labels = len(actions)
        if labels:
            data = data.with_rows(observations, actions, episode_id=data.next_episode_id())
    model = yield from train_round(config.ensemble, config.risk, data, split.held_out,
                                   first=first_scores, cancel=cancel)
    if model is None:
        return None
    log.info("retrained on %d rows (%d human labels)", len(data), labels)
    return Retrained(ensemble=model.ensemble, scores=model.scores, labels=labels,
                     rows=len(data), takeovers=stored)


@dataclass(eq=False)
class TakeoverRounds:
    """The bookkeeping of takeover rounds played by a person: which round is playing, the
    interventions of its episodes so far, the episodes not yet committed, the first round's
    scores (whose scales later rounds keep)."""

    round: int = 0
    counts: list[int] = field(default_factory=list)
    """Interventions (takeovers, or help requests) in each episode of the round so far."""
    pending: list[EpisodeData] = field(default_factory=list)
    first_scores: tuple[CalibratedScore, ...] = ()

    def next_seed(self, seed: int) -> int:
        """The reset seed of the next episode (as `help_rounds` seeds its episodes)."""
        return episode_seed(seed, self.round, len(self.counts))

    def add_episode(self, episode: EpisodeData, count: int, *, episodes_per_round: int) -> bool:
        """Book a finished episode with its interventions; True when it completes the round."""
        self.counts.append(count)
        self.pending.append(episode)
        return len(self.counts) >= episodes_per_round

    def tags(self, mode: str) -> tuple[str, ...]:
        """The tags the round's episodes are committed with."""
        return (TAKEOVER_TAG, mode, f"round={self.round}")

    def retrained(self, result: Retrained, committed: int) -> None:
        """A retraining ended that committed the first `committed` pending episodes."""
        if committed:
            del self.pending[:committed]
            self.round += 1
            self.counts = []
        self.first_scores = self.first_scores or result.scores
