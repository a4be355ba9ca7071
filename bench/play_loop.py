"""Does the play loop hold the env's rate with recording on, while BC trains in the background?

Plays LunarLander-v3 at its 50 fps with the scripted expert at the controls, the frame shown in a
FrameView and every finished episode committed to a dataset on a worker thread, as in the Play
tab. First alone, then while `train_bc` runs on a GeneratorWorker, as the Train tab runs it.

Reported per phase: the achieved rate, and percentiles of the frame time (the UI thread's work for
one frame: act, step, render, show) and of the interval between frames. The goal: the rate holds
and the 99th percentile frame time stays within one frame's budget (20 ms at 50 fps).

    QT_QPA_PLATFORM=offscreen python bench/play_loop.py [--seconds 20] [--threads N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from clonelab.app.play.play_loop import PlayLoop  # noqa: E402
from clonelab.app.play.recording import CommitJob, EpisodeCommitter  # noqa: E402
from clonelab.app.widgets.frame_view import FrameView  # noqa: E402
from clonelab.app.widgets.workers import GeneratorWorker  # noqa: E402
from clonelab.models.device import leave_a_core_free  # noqa: E402
from clonelab.models.expert_demos import record_expert  # noqa: E402
from clonelab.models.training import TrainConfig, train_bc  # noqa: E402
from clonelab.recorder.catalog import get_entry, make_env  # noqa: E402
from clonelab.recorder.dataset import DemoDataset  # noqa: E402
from clonelab.recorder.experts import make_expert  # noqa: E402
from clonelab.recorder.session import PlaySession  # noqa: E402

ENV_ID = "LunarLander-v3"


class FrameClock:
    """Times each frame's UI-thread work and the gaps between frames."""

    def __init__(self) -> None:
        self.work_ms: list[float] = []
        self.interval_ms: list[float] = []
        self._last_end: float | None = None

    def record(self, started: float, ended: float) -> None:
        """Count one frame whose work ran from `started` to `ended` (perf_counter seconds)."""
        self.work_ms.append((ended - started) * 1e3)
        if self._last_end is not None:
            self.interval_ms.append((ended - self._last_end) * 1e3)
        self._last_end = ended

    def summary(self, seconds: float) -> dict[str, float]:
        """Rate and percentiles over the phase."""
        work, gaps = np.array(self.work_ms), np.array(self.interval_ms)
        return {
            "frames": len(work),
            "achieved_fps": len(work) / seconds,
            "frame_ms_p50": float(np.percentile(work, 50)),
            "frame_ms_p99": float(np.percentile(work, 99)),
            "frame_ms_max": float(work.max()),
            "interval_ms_p50": float(np.percentile(gaps, 50)),
            "interval_ms_p99": float(np.percentile(gaps, 99)),
        }


class InstrumentedSource:
    """The expert as the player, marking when each frame's work starts."""

    def __init__(self, expert) -> None:
        self._expert = expert
        self.started = 0.0

    def reset(self, seed: int | None = None) -> None:
        self._expert.reset(seed)

    def act(self, observation):
        self.started = time.perf_counter()
        return self._expert.act(observation)


def play_phase(app: QApplication, seconds: float, dataset: DemoDataset,
               training: GeneratorWorker | None) -> dict[str, float]:
    """Play for `seconds`, recording every episode, optionally while `training` runs."""
    env = make_env(ENV_ID, render_mode="rgb_array")
    source = InstrumentedSource(make_expert(env, seed=0))
    loop = PlayLoop(PlaySession(env, env_id=ENV_ID), source, get_entry(ENV_ID).fps,
                    actor="expert", device="script", seed=0)
    view = FrameView()
    view.resize(800, 533)
    view.show()
    committer = EpisodeCommitter()
    clock = FrameClock()

    def on_stepped(_outcome) -> None:
        view.set_frame(env.render())
        view.repaint()  # paint now, inside the timed frame, as a visible window would
        clock.record(source.started, time.perf_counter())

    def on_episode_finished(episode) -> None:
        committer.commit(CommitJob(dataset=dataset, episode=episode, tags=("bench",)))
        loop.start()

    loop.stepped.connect(on_stepped)
    loop.episode_finished.connect(on_episode_finished)
    if training is not None:
        training.start()
    loop.start()
    started = time.perf_counter()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    elapsed = time.perf_counter() - started
    loop.pause()
    committer.drain()
    summary = clock.summary(elapsed)
    summary["target_fps"] = loop.target_fps
    summary["episodes_committed"] = len(dataset)
    if training is not None:
        summary["training_still_running"] = training.is_running()
        training.cancel()
        training.wait(10_000)
    env.close()
    return summary


def training_worker(data_dir: Path) -> GeneratorWorker:
    """A BC run long enough to outlast the phase: 2x256 MLP on CartPole expert demos."""
    demos = record_expert(data_dir / "cartpole", "CartPole-v1", seeds=range(10))
    config = TrainConfig(steps=1_000_000, batch_size=256, device="cpu")
    return GeneratorWorker(lambda cancel: train_bc(config, demos, cancel=cancel.is_set))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--threads", type=int,
                        help="torch threads (default: all cores but one, as run_app sets)")
    args = parser.parse_args()
    if args.threads is None:
        threads = leave_a_core_free()
    else:
        threads = args.threads
        torch.set_num_threads(threads)
    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as tmp:
        env = make_env(ENV_ID)
        results = {}
        for phase, with_training in (("alone", False), ("while_training", True)):
            dataset = DemoDataset.create(Path(tmp) / phase, env_id=ENV_ID,
                                         observation_space=env.observation_space,
                                         action_space=env.action_space)
            worker = training_worker(Path(tmp) / f"{phase}-train") if with_training else None
            results[phase] = play_phase(app, args.seconds, dataset, worker)
    results["torch_threads"] = threads
    if args.json:
        print(json.dumps(results, sort_keys=True))
    else:
        for phase, summary in results.items():
            if not isinstance(summary, dict):
                print(f"{phase}: {summary}")
                continue
            print(phase)
            for key, value in summary.items():
                print(f"  {key:<24} {value:.2f}" if isinstance(value, float)
                      else f"  {key:<24} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
