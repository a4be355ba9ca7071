"""Training inputs: a dataset's frames through the policy's pipeline, stacked by row index.

The frames are preprocessed once (crop, resize, grey, to uint8) as they are read, READ_ROWS
steps at a time (`episode_chunks`), into one array allocated up front, so neither the raw
recording nor a whole raw episode is ever held; the history is never materialised:
`StackedRows.gather` fetches rows t-k+1..t of each batch row t, clipped at its episode's
first row (`observations.stack_index`), and lays them side by side on the device.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from clonelab.models.data import DatasetLike, TrainingError, TransitionsLike, load_checked
from clonelab.models.observations import (
    ObservationPipeline,
    first_rows,
    preprocess_frames,
    stack_index,
    stacked,
)
from clonelab.models.train_device import DeviceRows
from clonelab.recorder.jobs import drain
from clonelab.recorder.memory import give_back_freed_memory

log = logging.getLogger(__name__)

# Steps read and preprocessed at a time: one HDF5 image chunk. 32 raw Atari frames are 3 MB
# (a whole Pong game 1.3 GB); greying and resizing them takes about 40 MB of floats. Loading
# 15,000 Pong frames (100 MiB converted) raised the peak by 196 MiB in chunks of 32, 289 in
# chunks of 64 and 456 in chunks of 256, at the same speed (about 0.8 ms a frame, one core).
READ_ROWS = 32


@dataclass(frozen=True)
class Inputs:
    """A dataset's steps as training reads them: preprocessed observations (one per step,
    not stacked), with the actions, rewards and episode ids of `TransitionsLike`."""

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    episode_ids: np.ndarray


@runtime_checkable
class ChunkedDataset(Protocol):
    """A dataset that reads an episode a chunk of rows at a time and knows its episodes'
    lengths without reading them (`recorder.dataset.DemoDataset`, `EpisodeSubset`)."""

    def episode_info(self, episode_id: int) -> Any: ...

    def transition_chunks(self, episode_id: int, rows: int) -> Iterator[TransitionsLike]: ...


class _Rows:
    """Rows of one episode, read through `load_checked`'s checks."""

    def __init__(self, dataset: DatasetLike, episode_id: int, rows: TransitionsLike) -> None:
        self._rows = rows
        self.env_id = f"{dataset.env_id}, episode {episode_id}"
        self.observation_space = dataset.observation_space

    def transitions(self, episode_ids: Sequence[int] | None = None) -> TransitionsLike:
        return self._rows


def episode_chunks(dataset: DatasetLike, episode_id: int, pipeline: ObservationPipeline, *,
                   rows: int = READ_ROWS) -> Iterator[Inputs]:
    """One episode's checked steps in order, preprocessed by `pipeline` (not stacked), at
    most `rows` to an `Inputs` from a `ChunkedDataset` (from other datasets, the episode
    whole). Raises `TrainingError` for misshapen or non-finite rows."""
    if isinstance(dataset, ChunkedDataset):
        chunks = dataset.transition_chunks(episode_id, rows)
    else:
        chunks = iter([dataset.transitions([episode_id])])
    for chunk in chunks:
        data = load_checked(_Rows(dataset, episode_id, chunk))  # type: ignore[arg-type]
        yield Inputs(observations=preprocess_frames(pipeline, data.observations),
                     actions=np.asarray(data.actions), rewards=np.asarray(data.rewards),
                     episode_ids=np.asarray(data.episode_ids))


def load_inputs(dataset: DatasetLike, pipeline: ObservationPipeline, *,
                action_shift: int = 0) -> Inputs:
    """The dataset's checked steps with `pipeline`'s preprocessing applied (not its history),
    each observation paired with the action `action_shift` steps later (`shift_actions`).

    Frames that change (resize, crop, grey) are read and converted READ_ROWS steps at a time
    (`episode_chunks`); an episode whose frames differ from the dataset's is refused with its
    id, as is a history longer than every episode. Raises `TrainingError`.
    """
    return drain(loading_inputs(dataset, pipeline, action_shift=action_shift))


def loading_inputs(dataset: DatasetLike, pipeline: ObservationPipeline, *,
                   action_shift: int = 0) -> Generator[tuple[int, int], None, Inputs]:
    """`load_inputs` as a generator: yields (steps converted, steps in all) after every chunk
    of frames it converts, and returns the `Inputs`."""
    if pipeline.changes_frames:
        inputs = yield from _converted(dataset, pipeline)
        # The conversions' freed float intermediates stay in the heap: loading 100,000 Pong
        # frames kept about 370 MiB more than the frames until they were given back.
        give_back_freed_memory()
    else:
        data = load_checked(dataset)
        inputs = Inputs(observations=preprocess_frames(pipeline, data.observations),
                        actions=np.asarray(data.actions), rewards=np.asarray(data.rewards),
                        episode_ids=np.asarray(data.episode_ids))
    inputs = shift_actions(inputs, action_shift, dataset.env_id)
    if pipeline.history > 1:  # one step fits every episode (np.unique took 1.4 ms of 50,000)
        _, lengths = np.unique(inputs.episode_ids, return_counts=True)
        if pipeline.history > int(lengths.max()):
            raise TrainingError(
                f"dataset for {dataset.env_id}: a history of {pipeline.history} steps is "
                f"longer than every episode (the longest has {int(lengths.max())}); choose a "
                f"history of at most {int(lengths.max())}")
    return inputs


def joined(parts: Sequence[Inputs]) -> Inputs:
    """The rows of `parts` one after another, as one `Inputs`."""
    return Inputs(*(np.concatenate(column) for column in zip(
        *((p.observations, p.actions, p.rewards, p.episode_ids) for p in parts), strict=True)))


def shifted_episode(episode: Inputs, shift: int, env_id: str) -> Inputs | None:
    """One episode's rows through `shift_actions`; None when the shift leaves nothing of it."""
    if not shift:
        return episode
    if len(episode.actions) <= shift:
        return None
    return shift_actions(episode, shift, env_id)


def shift_actions(inputs: Inputs, shift: int, env_id: str) -> Inputs:
    """`inputs` with the observation of step t paired with the action of step t + `shift` of
    its episode; each episode's last `shift` rows drop (rewards stay with their observations).

    An episode of `shift` steps or fewer drops whole, said in one logged line; raises
    `TrainingError` when no episode is longer than `shift`.
    """
    if shift == 0:
        return inputs
    ids = inputs.episode_ids
    episodes, lengths = np.unique(ids, return_counts=True)
    short = episodes[lengths <= shift]
    if len(short) == len(episodes):
        raise TrainingError(
            f"dataset for {env_id}: an action shift of {shift} steps leaves nothing to train "
            f"on (the longest episode has {int(lengths.max())} steps); choose a shift of at "
            f"most {int(lengths.max()) - 1}")
    if len(short):
        log.warning("action shift %d: skipped %d episode(s) of %d steps or fewer (ids %s)",
                    shift, len(short), shift, ", ".join(str(int(i)) for i in short))
    # Rows of an episode are contiguous, so row t + shift is in t's episode iff the ids match
    # (some episode is longer than the shift, so there are more rows than it).
    rows = np.flatnonzero(ids[shift:] == ids[: len(ids) - shift])
    return Inputs(observations=inputs.observations[rows], actions=inputs.actions[rows + shift],
                  rewards=inputs.rewards[rows], episode_ids=ids[rows])


def _converted(dataset: DatasetLike, pipeline: ObservationPipeline,
               ) -> Generator[tuple[int, int], None, Inputs]:
    """Every episode through `episode_chunks`, the frames written into one array (allocated
    up front when a `ChunkedDataset` knows its steps: no concatenated copy)."""
    frames: list[np.ndarray] = []
    columns: list[tuple[np.ndarray, ...]] = []
    out: np.ndarray | None = None
    total = 0  # unknown without a ChunkedDataset's index
    if isinstance(dataset, ChunkedDataset):
        total = sum(dataset.episode_info(episode_id).steps for episode_id in dataset.episode_ids)
        out = np.empty((total, *pipeline.frame_shape(dataset.observation_space)), np.uint8)
    filled = 0
    for episode_id in dataset.episode_ids:
        for chunk in episode_chunks(dataset, episode_id, pipeline, rows=READ_ROWS):
            if out is None:
                frames.append(chunk.observations)
            else:
                out[filled : filled + len(chunk.observations)] = chunk.observations
            filled += len(chunk.observations)
            columns.append((chunk.actions, chunk.rewards, chunk.episode_ids))
            yield filled, total
    if not columns:
        load_checked(dataset)  # says there are no steps
    actions, rewards, episode_ids = (np.concatenate(column) for column in zip(*columns,
                                                                                strict=True))
    observations = np.concatenate(frames) if out is None else out[:filled]
    return Inputs(observations, actions, rewards, episode_ids)


class StackedRows:
    """Batches of stacked network inputs, gathered by row index from preprocessed rows."""

    def __init__(self, rows: DeviceRows, episode_ids: np.ndarray, history: int) -> None:
        self.rows = rows
        self.history = history
        # Each row's episode start, which only a history reads (0.35 ms for 50,000 rows).
        self._first = torch.as_tensor(first_rows(episode_ids) if history > 1
                                      else np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.rows)

    def gather(self, rows: torch.Tensor) -> torch.Tensor:
        """(B, *input_shape) inputs of `rows` (a CPU index tensor) on the device."""
        if self.history == 1:
            return self.rows.gather(rows)
        index = stack_index(rows, self._first, self.history)
        return stacked(self.rows.gather(index), self.history)
