"""The video export job: a demo and its clone side by side, written once, cancellable."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import av
import gymnasium as gym
import numpy as np
import pytest
import torch
from PIL import Image

from clonelab.models import video_export
from clonelab.models.agent import PolicyAgent
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.video_export import (
    ExportConfig,
    ExportError,
    export_comparison,
    export_frames,
    export_policy,
    export_recording,
    pane_captions,
)
from clonelab.recorder.action_names import env_names
from clonelab.recorder.jobs import drain
from clonelab.recorder.replay_process import ReplayedStep
from tests.models.fakes import cartpole_controller, rollout

STEPS = 12


@pytest.fixture(scope="module")
def demo() -> SimpleNamespace:
    env = gym.make("CartPole-v1")
    try:
        episode = rollout(env, cartpole_controller, seed=7)
    finally:
        env.close()
    return SimpleNamespace(observations=episode.observations[: STEPS + 1],
                           actions=episode.actions[:STEPS], seed=7, options={},
                           played_actions=None)


@pytest.fixture(scope="module")
def policy() -> Policy:
    torch.manual_seed(0)
    box = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)
    spec = PolicySpec(env_id="CartPole-v1", observation_space=box,
                      action_space=gym.spaces.Discrete(2), hidden=(8,))
    return Policy(spec).eval()


def test_export_writes_one_frame_per_step_and_names_the_file(demo, policy, tmp_path: Path) -> None:
    config = ExportConfig(path=tmp_path / "run.gif", height=64)
    records = []
    result = drain(export_comparison(config, "CartPole-v1", demo, policy), records.append)
    assert result.path == config.path
    assert result.frames == STEPS + 1
    assert [r.frames for r in records] == list(range(1, STEPS + 2))
    with Image.open(result.path) as gif:
        assert gif.n_frames == STEPS + 1
        assert gif.size[1] > 64  # the pane plus its caption line


def mp4_frames(path: Path) -> tuple[int, float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sum(1 for _ in container.decode(stream)), float(stream.average_rate)


def test_mp4_export_has_a_frame_per_step_at_the_recording_s_rate(demo, policy,
                                                                  tmp_path: Path) -> None:
    config = ExportConfig(path=tmp_path / "run.mp4", height=64, fps=50)
    records = []
    result = drain(export_comparison(config, "CartPole-v1", demo, policy), records.append)
    assert result.path == config.path and result.frames == STEPS + 1
    assert records[-1].frames == STEPS + 1 and records[-1].limit == STEPS + 1
    assert mp4_frames(result.path) == (STEPS + 1, 50.0)
    assert [p.name for p in tmp_path.iterdir()] == ["run.mp4"]


def test_watch_s_export_replays_the_episode_from_its_seed(policy, tmp_path: Path) -> None:
    config = ExportConfig(path=tmp_path / "clone.mp4", height=64, fps=50)
    result = drain(export_policy(config, "CartPole-v1", policy, 3))
    env = gym.make("CartPole-v1")
    try:
        episode = rollout(env, PolicyAgent(policy, seed=3).act, seed=3)
    finally:
        env.close()
    assert result.frames == len(episode.actions) + 1
    assert mp4_frames(result.path) == (result.frames, 50.0)


def test_a_recording_s_frames_export_one_per_observation(demo, tmp_path: Path) -> None:
    frames = [np.full((20, 30, 3), 10 * i, np.uint8) for i in range(STEPS + 1)]
    episode = SimpleNamespace(actions=demo.actions, rewards=np.ones(STEPS))
    config = ExportConfig(path=tmp_path / "demo.mp4", height=40, fps=15)
    result = drain(export_recording(config, frames, episode))
    assert mp4_frames(result.path) == (STEPS + 1, 15.0)


@pytest.mark.parametrize("name", ["run.mp4", "run.gif"])
def test_a_cancelled_mp4_or_gif_leaves_no_file(tmp_path: Path, name: str) -> None:
    made = []

    def frames():
        while True:
            made.append(1)
            yield np.zeros((16, 16, 3), np.uint8)

    config = ExportConfig(path=tmp_path / name)
    result = drain(export_frames(config, frames(), cancel=lambda: len(made) >= 5))
    assert result.path is None and len(made) == 5  # no frame is made after the cancel
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_path_is_one_line_before_any_frame(tmp_path: Path) -> None:
    made = []
    config = ExportConfig(path=tmp_path / "gone" / "run.mp4")
    job = export_frames(config, (made.append(1) or np.zeros((8, 8, 3), np.uint8)
                                 for _ in range(3)))
    with pytest.raises(ExportError, match=r"gone/run.mp4: cannot write there"):
        drain(job)
    assert made == []


def test_a_cancelled_export_writes_nothing(demo, policy, tmp_path: Path) -> None:
    config = ExportConfig(path=tmp_path / "run.gif", height=64)
    seen = []
    result = drain(export_comparison(config, "CartPole-v1", demo, policy,
                                     cancel=lambda: len(seen) >= 3), seen.append)
    assert result.path is None and result.frames == 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("path", Path("run.avi"), ".gif or .mp4"),
    ("fps", 0.0, "fps must be positive"),
    ("height", 4, "at least 16"),
])
def test_export_config_refuses_what_cannot_be_written(field, value, message) -> None:
    fields = {"path": Path("run.gif"), field: value}
    with pytest.raises(ValueError, match=message):
        ExportConfig(**fields)


def test_captions_name_each_side_s_last_action() -> None:
    names = env_names("CartPole-v1")
    frame = np.zeros((4, 4, 3), np.uint8)
    start = ReplayedStep(frame, 0.0, None, False)
    assert pane_captions(0, [start, start], ("demo", "clone"), names) == [
        "demo  step 0  return 0.0\n", "clone  step 0  return 0.0\n"]
    moved = [ReplayedStep(frame, 1.0, 0, False), ReplayedStep(frame, 1.0, 1, False)]
    assert pane_captions(1, moved, ("demo", "clone"), names) == [
        "demo  step 1  return 1.0\npush left", "clone  step 1  return 1.0\npush right"]


def test_a_demo_replayed_in_its_own_process_exports_the_same_video(demo, policy, tmp_path: Path,
                                                                  monkeypatch) -> None:
    here = drain(export_comparison(ExportConfig(path=tmp_path / "here.gif", height=64),
                                   "CartPole-v1", demo, policy))
    monkeypatch.setattr(video_export, "_slow_to_step", lambda *_args: True)
    there = drain(export_comparison(ExportConfig(path=tmp_path / "there.gif", height=64),
                                    "CartPole-v1", demo, policy))
    assert here.frames == there.frames == STEPS + 1
    with Image.open(here.path) as a, Image.open(there.path) as b:
        for index in range(a.n_frames):
            a.seek(index)
            b.seek(index)
            assert np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB")))
