"""DAgger vs BC at equal expert labels over seeds: mean and 95% t-interval per iteration.

Each case runs `models.failures.dagger_seeds.run_dagger_seeds` (one DAgger run per seed, BC
retrained at every iteration on exactly as many expert demo labels, both scored on the same
seeded starts) and writes `bench/results/dagger_seeds_<case>.json`; `--draw` renders the
cases' JSON with the Failures tab's own plot (`app.failures.dagger_plot.DaggerSeedsPlot`,
offscreen Qt) to `docs/dagger_seeds_<case>.png`.

    .venv/bin/python bench/dagger_seeds.py lunar-1x4 lunar-2x64 acrobot-1x4 lunar-cli   # then
    .venv/bin/python bench/dagger_seeds.py lunar-lag5
    .venv/bin/python bench/dagger_seeds.py --draw lunar-1x4 lunar-2x64 acrobot-1x4 lunar-cli \\
        lunar-lag5
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import torch
from benchlib import machine, write_json

from clonelab.models.failures.dagger import DaggerConfig, DaggerProgress
from clonelab.models.failures.dagger_seeds import (
    DaggerSeedsConfig,
    DaggerSeedsResult,
    SeedPoint,
    run_dagger_seeds,
)
from clonelab.models.training import TrainConfig
from clonelab.recorder.jobs import drain

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent / "docs"


def _setting(hidden: tuple[int, ...], **run: Any) -> DaggerSeedsConfig:
    settings: dict[str, Any] = dict(iterations=8, episodes_per_iter=1, eval_episodes=20)
    return DaggerSeedsConfig(seeds=8, run=DaggerConfig(
        env_id=run.pop("env_id", "LunarLander-v3"), **(settings | run),
        train=TrainConfig(steps=1000, batch_size=128, hidden=hidden, device="cpu",
                          log_every=1000)))


CASES: dict[str, DaggerSeedsConfig] = {
    # The weak learner of docs/failures.md: 4 units cannot fit the expert everywhere.
    "lunar-1x4": _setting((4,)),
    # A learner that can fit the expert: BC's demos from random starts may be enough.
    "lunar-2x64": _setting((64, 64)),
    # Another env, the weak learner: short episodes, a swing-up rule.
    "acrobot-1x4": _setting((4,), env_id="Acrobot-v1"),
    # A lagged expert (5 steps late, as a person reacting 100 ms late at 50 fps) and a learner
    # that can fit the unlagged expert: the labels themselves are now hard to fit.
    "lunar-lag5": dataclasses.replace(_setting((64, 64), expert_lag=5), seeds=6),
    # `clonelab dagger`'s defaults before issue 11 (2x256, 2 episodes per iteration).
    "lunar-cli": DaggerSeedsConfig(seeds=5, run=DaggerConfig(
        env_id="LunarLander-v3", iterations=5, episodes_per_iter=2, eval_episodes=20,
        train=TrainConfig(steps=1000, device="cpu", log_every=1000))),
}


def _path(case: str) -> Path:
    return HERE / "results" / f"dagger_seeds_{case}.json"


def run_case(case: str, seeds: int | None) -> None:
    """Run one case seed by seed, printing each point; its JSON is rewritten after every seed,
    so a run cut short keeps the seeds it finished."""
    config = CASES[case]
    if seeds is not None:
        config = dataclasses.replace(config, seeds=seeds)
    before = machine()
    start = time.perf_counter()
    points: list[SeedPoint] = []

    def write(result: DaggerSeedsResult) -> None:
        write_json(_path(case), {"command": " ".join(sys.argv), "case": case,
                                 "machine_before": before, "machine_after": machine(),
                                 "wall_s": time.perf_counter() - start,
                                 "config": _jsonable(dataclasses.asdict(config)),
                                 "result": result.summary()})

    def on_point(point: SeedPoint) -> None:
        points.append(point)
        print(json.dumps({"case": case, "seed": point.seed, "iteration": point.point.iteration,
                          "labels": point.point.labels, "dagger": point.point.dagger_return,
                          "bc": point.point.bc_return,
                          "s": round(time.perf_counter() - start, 1)}), flush=True)
        if point.point.iteration == point.point.iterations - 1:  # a seed finished
            write(DaggerSeedsResult(config=config, points=tuple(points), last_run=None,
                                    cancelled=len(points) < config.seeds * config.run.iterations))

    write(drain(run_dagger_seeds(config), on_point))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def _seed_point(point: dict[str, Any], summary: dict[str, Any]) -> SeedPoint:
    # The JSON keeps what the plot draws; the rest of the record is not needed to draw it.
    progress = DaggerProgress(
        iteration=point["iteration"], iterations=summary["iterations"], beta=math.nan,
        labels=point["labels"], expert_share=math.nan, dagger_return=point["dagger_return"],
        bc_return=point["bc_return"], elapsed_s=math.nan)
    return SeedPoint(seed=point["seed"], seed_index=summary["seeds"].index(point["seed"]),
                     seeds=len(summary["seeds"]), point=progress)


def draw(case: str) -> Path:
    """Render a case's JSON with the app's DAgger plot to docs/dagger_seeds_<case>.png."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from clonelab.app.failures.dagger_plot import DaggerSeedsPlot

    app = QApplication.instance() or QApplication([])
    report = json.loads(_path(case).read_text())
    summary = report["result"]
    plot = DaggerSeedsPlot()
    plot.resize(820, 480)
    plot.show_points([_seed_point(point, summary) for point in summary["points"]])
    plot.setTitle(f"{summary['env_id']}, hidden {'x'.join(map(str, summary['hidden']))}, "
                  f"{len(summary['seeds'])} seeds: DAgger vs BC at equal expert labels")
    app.processEvents()
    path = DOCS / f"dagger_seeds_{case}.png"
    plot.grab().save(str(path))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="+", choices=sorted(CASES))
    parser.add_argument("--draw", action="store_true",
                        help="draw the cases' JSON results instead of running them")
    parser.add_argument("--seeds", type=int, default=None,
                        help="run this many seeds instead of the case's own number")
    args = parser.parse_args()
    torch.set_num_threads(1)  # the machine is shared
    for case in args.cases:
        if args.draw:
            print(draw(case))
        else:
            run_case(case, args.seeds)


if __name__ == "__main__":
    main()
