"""Random-shift augmentation: training stacks of image frames move by a few pixels, edges
repeated, all frames of a stack alike; validation and play read the frames unshifted."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from clonelab.models.augment import RandomShift
from clonelab.models.data import TrainingError
from clonelab.models.torsos import ConvTorso
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from tests.models.fakes import FakeDataset, FakeEpisode

FRAMES = gym.spaces.Box(0, 255, (6, 6, 1), np.uint8)


def _coordinates(batch: int, height: int, width: int) -> torch.Tensor:
    """(B, H, W, 3) frames whose channels hold each pixel's row, column and sample."""
    rows = torch.arange(height)[None, :, None].expand(batch, height, width)
    cols = torch.arange(width)[None, None, :].expand(batch, height, width)
    samples = torch.arange(batch)[:, None, None].expand(batch, height, width)
    return torch.stack([rows, cols, samples], dim=-1).to(torch.uint8)


def test_each_stack_moves_by_one_shift_within_the_pad_with_its_edges_repeated() -> None:
    pad, height, width = 3, 10, 12
    frames = _coordinates(200, height, width)
    shifted = RandomShift(pad, seed=0)(frames)
    assert shifted.shape == frames.shape and shifted.dtype == torch.uint8
    seen = set()
    for sample in range(len(frames)):
        rows, cols = shifted[sample, :, :, 0].long(), shifted[sample, :, :, 1].long()
        dy = int(rows[height // 2, 0]) - height // 2  # the middle row is never clamped
        dx = int(cols[0, width // 2]) - width // 2
        assert -pad <= dy <= pad and -pad <= dx <= pad
        expected_rows = (torch.arange(height) + dy).clamp(0, height - 1)
        expected_cols = (torch.arange(width) + dx).clamp(0, width - 1)
        assert torch.equal(rows, expected_rows[:, None].expand(height, width))
        assert torch.equal(cols, expected_cols[None, :].expand(height, width))
        assert torch.all(shifted[sample, :, :, 2] == sample)  # no pixel from another stack
        seen.add((dy, dx))
    assert len(seen) > 30  # of the 49 shifts, not one fixed offset


def test_shifts_repeat_with_the_seed_and_a_pad_of_zero_changes_nothing() -> None:
    frames = torch.randint(0, 255, (16, 8, 8, 4), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(0))
    assert torch.equal(RandomShift(2, seed=5)(frames), RandomShift(2, seed=5)(frames))
    assert not torch.equal(RandomShift(2, seed=5)(frames), RandomShift(2, seed=6)(frames))
    assert RandomShift(0, seed=5)(frames) is frames


def test_a_negative_shift_is_refused() -> None:
    with pytest.raises(ValueError, match="random_shift"):
        TrainConfig(random_shift=-1)


def test_training_shifts_its_batches_but_not_the_validation_frames(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    episodes = [FakeEpisode(rng.integers(0, 255, (n + 1, 6, 6, 1), dtype=np.uint8),
                            rng.integers(0, 2, n), np.zeros(n)) for n in (40, 40, 40)]
    demos = FakeDataset("Fake-v0", FRAMES, gym.spaces.Discrete(2), episodes)
    recorded = {frame.tobytes() for e in episodes for frame in e.observations}
    seen: dict[bool, list[np.ndarray]] = {True: [], False: []}
    forward = ConvTorso.forward

    def keeping_inputs(torso: ConvTorso, frames: torch.Tensor) -> torch.Tensor:
        seen[torso.training].extend(frames.numpy().copy())
        return forward(torso, frames)

    monkeypatch.setattr(ConvTorso, "forward", keeping_inputs)
    config = TrainConfig(steps=4, log_every=2, batch_size=16, hidden=(8,), device="cpu",
                         history=1, val_fraction=0.34, random_shift=2)
    drain(train_bc(config, demos))
    trained_on = [frame.tobytes() in recorded for frame in seen[True]]
    assert len(trained_on) == 4 * 16 and trained_on.count(False) > 40  # 24 of 25 shifts move
    assert seen[False] and all(frame.tobytes() in recorded for frame in seen[False])


def test_vector_observations_refuse_a_random_shift() -> None:
    episodes = [FakeEpisode(np.zeros((11, 4), np.float32), np.zeros(10, np.int64),
                            np.zeros(10))]
    demos = FakeDataset("CartPole-v1", gym.spaces.Box(-1, 1, (4,), np.float32),
                        gym.spaces.Discrete(2), episodes)
    with pytest.raises(TrainingError, match="random_shift moves image frames"):
        drain(train_bc(TrainConfig(steps=2, device="cpu", random_shift=4), demos))
