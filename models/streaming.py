"""Training data larger than memory: batches streamed from the episode files.

A background thread reads the training episodes in a seeded random order, each a chunk of rows
at a time (`train_inputs.episode_chunks`: READ_ROWS steps, a multiple of the HDF5 image chunk,
so a raw episode is never held whole), preprocesses them and hands whole preprocessed episodes
over a small queue (the prefetch). The training thread keeps a buffer of episodes within a
byte budget and draws each batch uniformly from the rows of the buffered episodes that have not
yet been drawn: every row is drawn once per pass, rows of many episodes mix in every batch, and
the memory held is the buffer's, not the dataset's. A finished episode leaves the buffer and
the next one comes in. Histories (frame stacks) are built per batch from the buffered episode,
exactly as `StackedRows` builds them from rows in memory.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch

from clonelab.models.data import DatasetLike, TrainingError
from clonelab.models.observations import ObservationPipeline, stack_index, stacked
from clonelab.models.train_inputs import Inputs, episode_chunks, joined, shifted_episode

__all__ = ["StreamedBatches", "preprocessed_bytes"]

log = logging.getLogger(__name__)

# Preprocessed episodes read ahead of the buffer by the reading thread.
PREFETCH_EPISODES = 2
# Steps the reading thread reads and preprocesses at a time: four HDF5 image chunks (32 frames
# each), so its passing memory (raw frames, and floats while resizing: 26 MB for 128 Atari
# frames) stays small beside the buffer while the training thread runs.
STREAM_READ_ROWS = 128
# Batches' worth of undrawn rows below which the buffer waits for the next episode instead of
# drawing from fewer episodes.
MIN_BATCHES_BUFFERED = 4


def preprocessed_bytes(dataset: DatasetLike, pipeline: ObservationPipeline,
                       episode_ids: Sequence[int]) -> int:
    """Bytes the episodes' preprocessed rows take in memory (from the index: nothing is read)."""
    frame = pipeline.frame_shape(dataset.observation_space)
    per_row = int(np.prod(frame)) * (1 if len(frame) == 3 else 4)  # uint8 frames, float vectors
    steps = sum(dataset.episode_info(i).steps for i in episode_ids)  # type: ignore[attr-defined]
    return steps * per_row


class StreamedBatches:
    """Shuffled (observations, actions) batches of the episodes `episode_ids`, read from their
    files on a background thread, holding at most about `buffer_bytes` of preprocessed rows.

    The episode list is fixed when the stream starts: episodes appended to the dataset later are
    not read. `check` sees each episode as read (its errors reach `next_batch`). `close()` ends
    the reading thread.
    """

    def __init__(self, dataset: DatasetLike, pipeline: ObservationPipeline,
                 episode_ids: Sequence[int], *, batch_size: int, buffer_bytes: int, seed: int,
                 action_shift: int = 0, check: Callable[[Inputs], None] | None = None) -> None:
        if not episode_ids:
            raise TrainingError(f"dataset for {dataset.env_id}: no episodes to stream")
        self.episode_ids = tuple(episode_ids)
        self.batch_size = batch_size
        self.history = pipeline.history
        self._buffer_bytes = buffer_bytes
        self._buffered: dict[int, Inputs] = {}  # slot -> episode
        self._left: dict[int, int] = {}  # slot -> rows not yet drawn
        self._next_slot = 0
        # The undrawn rows of every buffered episode, as (slot, row) pairs.
        self._pool_slot = np.empty(0, dtype=np.int64)
        self._pool_row = np.empty(0, dtype=np.int64)
        self._held_bytes = 0
        self._draw = np.random.default_rng(seed)
        self._episodes: queue.Queue[Inputs | BaseException] = queue.Queue(PREFETCH_EPISODES)
        self._stop = threading.Event()
        self._check = check
        self._reader = threading.Thread(
            target=self._read, name="clonelab-stream",
            args=(dataset, pipeline, action_shift, seed), daemon=True)
        self._reader.start()

    def close(self) -> None:
        """Stop the reading thread (it ends after the chunk it is reading)."""
        self._stop.set()
        while self._reader.is_alive():
            try:
                self._episodes.get_nowait()  # unblock a reader waiting to hand an episode over
            except queue.Empty:
                self._reader.join(timeout=0.05)

    @property
    def held_bytes(self) -> int:
        """Bytes of preprocessed rows now in the buffer."""
        return self._held_bytes

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, *input) observations (uint8 frames or float32 vectors) and (B, ...) actions, on
        the CPU: `batch_size` rows drawn without replacement from the buffered episodes."""
        self._top_up()
        count = min(self.batch_size, len(self._pool_slot))
        picked = self._draw.choice(len(self._pool_slot), size=count, replace=False)
        slots, rows = self._pool_slot[picked], self._pool_row[picked]
        self._pool_slot = np.delete(self._pool_slot, picked)
        self._pool_row = np.delete(self._pool_row, picked)
        observations, actions = [], []
        for slot in np.unique(slots):  # one gather per episode
            mine = rows[slots == slot]
            entry = self._buffered[int(slot)]
            index = torch.as_tensor(mine)
            frames = torch.as_tensor(entry.observations)
            if self.history > 1:
                first = torch.zeros(len(frames), dtype=torch.long)
                frames = stacked(frames[stack_index(index, first, self.history)], self.history)
            else:
                frames = frames[index]
            observations.append(frames)
            actions.append(torch.as_tensor(entry.actions[mine]))
            self._left[int(slot)] -= len(mine)
            if self._left[int(slot)] == 0:
                self._held_bytes -= entry.observations.nbytes
                del self._buffered[int(slot)], self._left[int(slot)]
        return torch.cat(observations), torch.cat(actions)

    def _top_up(self) -> None:
        """Take episodes from the reader while the buffer has room; wait for one only when
        fewer than MIN_BATCHES_BUFFERED batches of rows are left to draw."""
        while True:
            undrawn = len(self._pool_slot)
            room = self._held_bytes < self._buffer_bytes or not self._buffered
            if not room and undrawn >= self.batch_size:
                return
            wait = undrawn < MIN_BATCHES_BUFFERED * self.batch_size
            try:
                item = self._episodes.get(block=wait, timeout=None if wait else 0)
            except queue.Empty:
                return
            if isinstance(item, BaseException):
                raise item
            slot, rows = self._next_slot, len(item.actions)
            self._next_slot += 1
            self._buffered[slot], self._left[slot] = item, rows
            self._pool_slot = np.concatenate([self._pool_slot, np.full(rows, slot)])
            self._pool_row = np.concatenate([self._pool_row, np.arange(rows)])
            self._held_bytes += item.observations.nbytes

    def _read(self, dataset: DatasetLike, pipeline: ObservationPipeline, action_shift: int,
              seed: int) -> None:
        """The reading thread: every episode once per pass, in a new seeded order each pass."""
        order = np.random.default_rng(seed + 1)
        try:
            while not self._stop.is_set():
                handed = 0
                for episode_id in order.permutation(self.episode_ids):
                    episode = self._episode(dataset, pipeline, int(episode_id), action_shift)
                    if episode is None:
                        continue
                    handed += 1
                    while not self._stop.is_set():
                        try:
                            self._episodes.put(episode, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if self._stop.is_set():
                        return
                if not handed:
                    raise TrainingError(f"dataset for {dataset.env_id}: an action shift of "
                                        f"{action_shift} steps leaves nothing to train on")
        except BaseException as error:  # noqa: BLE001 - handed to the training thread
            self._episodes.put(error)

    def _episode(self, dataset: DatasetLike, pipeline: ObservationPipeline, episode_id: int,
                 action_shift: int) -> Inputs | None:
        """One episode, read and preprocessed a chunk at a time; None when the action shift
        leaves nothing of it."""
        chunks: Iterator[Inputs] = episode_chunks(dataset, episode_id, pipeline,
                                                  rows=STREAM_READ_ROWS)
        parts = [chunk for chunk in chunks if not self._stop.is_set()]
        if not parts:
            return None
        whole = joined(parts)
        if self._check is not None:
            self._check(whole)
        return shifted_episode(whole, action_shift, dataset.env_id)
