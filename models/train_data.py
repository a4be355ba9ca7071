"""Where a training run's rows come from: in memory when they fit, streamed when they do not.

`prepare` puts the dataset's preprocessed rows on the device once (`train_device.DeviceRows`)
when they fit `TrainConfig.memory_budget_mb`, and batches are slices of a seeded permutation
of the training rows. A dataset larger than the budget (or `TrainConfig.stream`) is streamed
instead: the training episodes are read from their files on a background thread through a
bounded buffer (`streaming.StreamedBatches`), and only a bounded sample of the held-out
episodes is kept for validation. Either way the run sees one `RunData`: `next_batch()` gives
(inputs, targets, global rows) on the device, and the validation rows sit beside it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch

from clonelab.models.action_balance import action_balance_weights
from clonelab.models.data import DatasetLike, TrainingError, input_stats, split_rows
from clonelab.models.distributed import World
from clonelab.models.episode_weights import epoch_order, parse_tag_weights, row_weights
from clonelab.models.observations import ObservationPipeline
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.streaming import StreamedBatches, preprocessed_bytes
from clonelab.models.train_config import TrainConfig
from clonelab.models.train_device import DeviceRows
from clonelab.models.train_inputs import (
    Inputs,
    StackedRows,
    episode_chunks,
    joined,
    loading_inputs,
    shifted_episode,
)

log = logging.getLogger(__name__)

VAL_SAMPLE_ROWS = 16_384
"""Held-out rows scored at each progress record at most (a seeded sample of them): scoring
every held-out row of a million-row dataset cost seconds per record."""
STATS_SAMPLE_ROWS = 100_000
"""Training rows a streamed run reads for the vector statistics."""
FRAME_MEAN_ROWS = 4096
"""Training frames the frame mean is taken over (spread over the rows; a streamed run reads
whole chunks of episodes in a seeded order)."""

Batch = tuple[torch.Tensor, torch.Tensor, int]


@dataclass
class RunData:
    """A run's training batches and validation rows."""

    next_batch: Callable[[], Batch]
    """This process's next (inputs, targets) on the device, and the global batch's row count."""
    rows_per_pass: int
    """Training rows of one pass over the data (an epoch)."""
    val_obs: StackedRows
    val_actions: torch.Tensor
    val_targets: torch.Tensor
    val_rows: torch.Tensor
    """The rows of `val_obs` scored at each record (CPU index tensor; empty: no validation)."""
    train_episodes: tuple[int, ...]
    val_episodes: tuple[int, ...]
    stream: StreamedBatches | None = None
    """The reader of a streamed run (None in memory)."""

    def close(self) -> None:
        """Stop a streamed run's reading thread."""
        if self.stream is not None:
            self.stream.close()


def preparing(config: TrainConfig, dataset: DatasetLike, policy: Policy, device: torch.device,
              world: World) -> Generator[tuple[int, int], None, RunData]:
    """The run's data for `policy` (whose vector statistics it sets) on `device`; yields
    (steps converted, steps in all) while it converts image frames into memory."""
    pipeline = policy.spec.pipeline
    size = preprocessed_bytes(dataset, pipeline, dataset.episode_ids) \
        if hasattr(dataset, "episode_info") else 0
    budget = config.memory_budget_mb * 2**20
    if config.stream or size > budget:
        if not hasattr(dataset, "episode_info"):
            raise TrainingError(f"dataset for {dataset.env_id}: streaming needs a recorded "
                                "dataset (its episode files)")
        log.info("streaming %d episodes (%.0f MB preprocessed; memory budget %d MB)",
                 len(dataset.episode_ids), size / 2**20, config.memory_budget_mb)
        return _streamed(config, dataset, policy, device, world)
    return (yield from _in_memory(config, dataset, policy, device, world))


def _in_memory(config: TrainConfig, dataset: DatasetLike, policy: Policy, device: torch.device,
               world: World) -> Generator[tuple[int, int], None, RunData]:
    pipeline = policy.spec.pipeline
    data = yield from loading_inputs(dataset, pipeline, action_shift=config.action_shift)
    check_actions(policy.spec, data.actions, dataset.env_id)
    split = split_rows(np.asarray(data.episode_ids), config.val_fraction, config.seed,
                       tails_when_few=True)
    observations = normalised_rows(policy, data.observations, split.train_rows)
    policy.to(device)
    # All rows go to the device once, unsplit: batches gather by row index, so the training
    # and validation sets never exist as copies (image datasets can be gigabytes). Row
    # indices stay on the CPU, where the permutation is drawn and host-held rows are gathered.
    obs = StackedRows(DeviceRows(observations, device), data.episode_ids, pipeline.history)
    actions = torch.as_tensor(data.actions, device=device)
    targets = policy.targets(actions)
    train_rows = torch.as_tensor(split.train_rows)
    weights = _row_weights(config, dataset, data, split.train_rows)  # None: uniform epochs
    batches = _PermutedRows(obs, targets, train_rows, weights, config.batch_size, world,
                            config.seed)
    return RunData(next_batch=batches.next_batch, rows_per_pass=len(train_rows), val_obs=obs,
                   val_actions=actions, val_targets=targets,
                   val_rows=_sample(torch.as_tensor(split.val_rows), config.seed),
                   train_episodes=split.train_episodes, val_episodes=split.val_episodes)


class _PermutedRows:
    """Batches as slices of a seeded permutation of the training rows, drawn anew each pass
    (with episode weights, rows drawn in proportion to them: `episode_weights.epoch_order`);
    each process takes its share of every global batch."""

    def __init__(self, obs: StackedRows, targets: torch.Tensor, train_rows: torch.Tensor,
                 weights: torch.Tensor | None, batch_size: int, world: World,
                 seed: int) -> None:
        self._obs, self._targets, self._rows = obs, targets, train_rows
        self._weights = weights
        self._global_batch = batch_size * world.size
        self._world = world
        self._shuffle = torch.Generator().manual_seed(seed)
        self._order = train_rows[:0]
        self._cursor = 0

    def next_batch(self) -> Batch:
        if self._cursor >= len(self._order):
            self._order = epoch_order(self._rows, self._weights, self._shuffle)
            self._cursor = 0
        global_rows = self._order[self._cursor : self._cursor + self._global_batch]
        self._cursor += self._global_batch
        batch = self._world.shard(global_rows) if self._world.distributed else global_rows
        device = self._targets.device
        targets = torch.index_select(self._targets, 0, batch.to(device, non_blocking=True))
        return self._obs.gather(batch), targets, len(global_rows)


def _row_weights(config: TrainConfig, dataset: DatasetLike, data: Inputs,
                 train_rows: np.ndarray) -> torch.Tensor | None:
    """Each training row's sampling weight: its episode's (models/episode_weights.py) times
    its action's (models/action_balance.py); refused in one line."""
    try:
        episodes = row_weights(dataset, np.asarray(data.episode_ids),
                               np.asarray(data.rewards), train_rows,
                               tag_weights=parse_tag_weights(config.tag_weights),
                               return_temperature=config.return_temperature)
    except ValueError as error:
        raise TrainingError(f"dataset for {dataset.env_id}: {error}") from None
    actions = action_balance_weights(np.asarray(data.actions)[train_rows],
                                     config.action_balance)
    if actions is None:
        return episodes
    if episodes is None:
        return actions
    return episodes * actions


def _streamed(config: TrainConfig, dataset: DatasetLike, policy: Policy, device: torch.device,
              world: World) -> RunData:
    if config.tag_weights or config.return_temperature is not None or config.action_balance:
        raise TrainingError(f"dataset for {dataset.env_id}: episode weights and action balance "
                            "need the rows in memory; raise the memory budget, or train "
                            "without them")
    pipeline = policy.spec.pipeline
    ids = np.asarray(dataset.episode_ids)
    steps = np.array([dataset.episode_info(int(i)).steps for i in ids])  # type: ignore[attr-defined]
    split = split_rows(np.repeat(ids, steps), config.val_fraction, config.seed)
    train_episodes = split.train_episodes
    if world.distributed:  # each process streams its own share of the episodes
        train_episodes = train_episodes[world.rank :: world.size] or train_episodes[:1]
    sample = _read_rows(dataset, pipeline, train_episodes,
                        STATS_SAMPLE_ROWS if policy.spec.observation_kind == "vector"
                        else FRAME_MEAN_ROWS, config)
    normalised_rows(policy, sample.observations, np.arange(len(sample.actions)))
    policy.to(device)
    held_out = _read_rows(dataset, pipeline, split.val_episodes, VAL_SAMPLE_ROWS, config)
    check_actions(policy.spec, held_out.actions, dataset.env_id)
    val_obs = StackedRows(DeviceRows(_normalise_all(policy, held_out.observations), device),
                          held_out.episode_ids, pipeline.history)
    val_actions = torch.as_tensor(held_out.actions, device=device)
    stream = StreamedBatches(dataset, pipeline, train_episodes, batch_size=config.batch_size,
                             buffer_bytes=config.memory_budget_mb * 2**20 // 2,
                             seed=config.seed + world.rank, action_shift=config.action_shift,
                             check=lambda episode: check_actions(policy.spec, episode.actions,
                                                                 dataset.env_id))

    def next_batch() -> Batch:
        observations, actions = stream.next_batch()
        inputs = policy.normalise(observations.to(device, non_blocking=True))
        targets = policy.targets(actions.to(device, non_blocking=True))
        return inputs, targets, len(actions) * world.size

    return RunData(next_batch=next_batch, rows_per_pass=int(len(split.train_rows)),
                   val_obs=val_obs, val_actions=val_actions,
                   val_targets=policy.targets(val_actions),
                   val_rows=torch.arange(len(held_out.actions)),
                   train_episodes=split.train_episodes, val_episodes=split.val_episodes,
                   stream=stream)


def _read_rows(dataset: DatasetLike, pipeline: ObservationPipeline, episode_ids: tuple[int, ...],
               limit: int, config: TrainConfig) -> Inputs:
    """Up to `limit` preprocessed rows of whole chunks of `episode_ids`, episodes in a seeded
    order (`action_shift` applied per episode)."""
    parts: list[Inputs] = []
    rows = 0
    for episode_id in np.random.default_rng(config.seed).permutation(np.asarray(episode_ids)):
        episode = shifted_episode(joined(list(episode_chunks(dataset, int(episode_id), pipeline))),
                                  config.action_shift, dataset.env_id)
        if episode is None:
            continue
        parts.append(episode)
        rows += len(episode.actions)
        if rows >= limit:
            break
    if not parts:
        empty = np.zeros((0, *pipeline.frame_shape(dataset.observation_space)))
        return Inputs(empty, np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64))
    return joined(parts)


def _sample(rows: torch.Tensor, seed: int) -> torch.Tensor:
    """At most VAL_SAMPLE_ROWS of `rows`, a seeded sample kept in order."""
    if len(rows) <= VAL_SAMPLE_ROWS:
        return rows
    picked = torch.randperm(len(rows), generator=torch.Generator().manual_seed(seed))
    return rows[picked[:VAL_SAMPLE_ROWS].sort().values]


def normalised_rows(policy: Policy, observations: np.ndarray,
                    train_rows: np.ndarray) -> np.ndarray:
    """The rows as the torso reads them, normalised once here rather than batch by batch.

    Vector rows set the policy's statistics (those of the training rows, one step's repeated
    for each step of the history) and go through `Policy.normalise`'s arithmetic one step at
    a time: stacked, they are bit for bit what the policy computes from a stacked raw input
    when it acts (tests/models/test_training_normalisation.py). Image frames stay uint8 (the
    torso scales them); they set the policy's frame mean, from up to FRAME_MEAN_ROWS training
    rows spread over the data.
    """
    if policy.spec.observation_kind != "vector":
        spread = np.linspace(0, len(train_rows) - 1, min(len(train_rows), FRAME_MEAN_ROWS))
        sample = observations[np.asarray(train_rows)[spread.astype(np.int64)]]
        policy.set_frame_mean(sample.mean(axis=0, dtype=np.float32))
        return observations
    history = policy.spec.pipeline.history
    # Without validation every row trains (the split's rows are sorted): read them in place.
    training = observations if len(train_rows) == len(observations) else observations[train_rows]
    mean, std = input_stats(training)
    policy.set_observation_stats(np.tile(mean, history), np.tile(std, history))
    return _normalise_all(policy, observations)


def _normalise_all(policy: Policy, observations: np.ndarray) -> np.ndarray:
    """Every row through the policy's one-step statistics (vectors; frames as they are)."""
    if policy.spec.observation_kind != "vector":
        return observations
    rows = torch.as_tensor(observations)
    step_size = policy.obs_mean.numel() // policy.spec.pipeline.history
    centred = rows.reshape(len(rows), -1).float() - policy.obs_mean[:step_size].cpu()
    return centred.div_(policy.obs_std[:step_size].cpu()).numpy()  # in place: one new array


def check_actions(spec: PolicySpec, actions: np.ndarray, env_id: str) -> None:
    """Refuse actions outside the Discrete range or of the wrong Box shape."""
    space = spec.action_space
    if isinstance(space, gym.spaces.Discrete):
        low, high = int(space.start), int(space.start) + int(space.n)
        if actions.ndim != 1 or actions.min() < low or actions.max() >= high:
            raise TrainingError(
                f"dataset for {env_id}: discrete actions must be single integers in "
                f"[{low}, {high}), found values from {actions.min()} to {actions.max()}"
            )
    elif tuple(actions.shape[1:]) != space.shape:
        raise TrainingError(
            f"dataset for {env_id}: actions have shape {actions.shape[1:]} per step but the "
            f"action space says {space.shape}"
        )
