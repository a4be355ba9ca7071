"""DAgger vs BC at equal expert labels: the return per iteration over seeds, as JSON and a PNG.

Each seed runs `models.failures.dagger.run_dagger` (DAgger with the scripted expert, and the BC
baseline
retrained at every iteration on exactly as many expert labels); the plot shows each side's mean
over seeds with every seed's return as a dot. Pillow draws it, so no plotting library is needed.

    .venv/bin/python bench/dagger_curve.py                 # the setting of docs/failures.md
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from benchlib import machine, write_json
from PIL import Image, ImageDraw, ImageFont

from clonelab.models.failures.dagger import DaggerConfig, run_dagger
from clonelab.models.training import TrainConfig
from clonelab.recorder.jobs import drain

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent / "docs"
SIZE = (900, 560)
MARGIN = (80, 58, 30, 56)  # left, top, right, bottom
COLOURS = {"DAgger": (31, 119, 180), "BC (equal labels)": (214, 39, 40)}


def run_seed(args: argparse.Namespace, seed: int) -> dict[str, Any]:
    """One DAgger run with its baseline; the result's summary plus the wall time."""
    config = DaggerConfig(
        env_id=args.env, iterations=args.iterations, episodes_per_iter=args.episodes_per_iter,
        decay=args.decay, eval_episodes=args.eval_episodes, seed=seed,
        max_episode_steps=args.max_episode_steps,
        train=TrainConfig(steps=args.steps, batch_size=args.batch, hidden=args.hidden,
                          seed=seed, device="cpu", log_every=args.steps),
    )
    start = time.perf_counter()
    result = drain(run_dagger(config))
    return result.summary() | {"seed": seed, "wall_s": time.perf_counter() - start}


def _scale(value: float, low: float, high: float, start: int, end: int) -> float:
    return start + (value - low) / (high - low) * (end - start) if high > low else start


def draw(runs: list[dict[str, Any]], title: str, path: Path) -> None:
    """Mean return per iteration of each side (lines) and every seed (dots)."""
    curves = {"DAgger": np.array([run["iteration_returns"] for run in runs], dtype=float),
              "BC (equal labels)": np.array([run["bc_returns"] for run in runs], dtype=float)}
    labels = np.array([run["label_counts"] for run in runs], dtype=float).mean(axis=0)
    iterations = len(labels)
    low = min(float(c.min()) for c in curves.values())
    high = max(float(c.max()) for c in curves.values())
    low, high = low - 0.05 * (high - low + 1), high + 0.05 * (high - low + 1)
    image = Image.new("RGB", SIZE, "white")
    pen = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=15)
    left, top, right, bottom = MARGIN[0], MARGIN[1], SIZE[0] - MARGIN[2], SIZE[1] - MARGIN[3]

    def x_of(i: float) -> float:
        return _scale(i, -0.3, iterations - 0.7, left, right)

    def y_of(value: float) -> float:
        return _scale(value, low, high, bottom, top)

    pen.rectangle((left, top, right, bottom), outline="black")
    for tick in np.linspace(low, high, 6):
        pen.line((left - 5, y_of(tick), left, y_of(tick)), fill="black")
        pen.line((left, y_of(tick), right, y_of(tick)), fill=(230, 230, 230))
        pen.text((left - 8, y_of(tick)), f"{tick:.0f}", fill="black", font=font, anchor="rm")
    for i in range(iterations):
        pen.text((x_of(i), bottom + 8), f"{i}", fill="black", font=font, anchor="mt")
        pen.text((x_of(i), bottom + 26), f"{labels[i]:.0f}", fill=(90, 90, 90), font=font,
                 anchor="mt")
    pen.text((left - 8, bottom + 8), "iteration", fill="black", font=font, anchor="rt")
    pen.text((left - 8, bottom + 26), "labels", fill=(90, 90, 90), font=font, anchor="rt")
    pen.text((left, top - 30), title, fill="black", font=font, anchor="lb")
    pen.text((left, top - 8), "return: mean over seeds (lines), each seed (dots)",
             fill=(90, 90, 90), font=font, anchor="lb")
    for offset, (name, values) in zip((-0.06, 0.06), curves.items(), strict=True):
        colour = COLOURS[name]
        means = values.mean(axis=0)
        pen.line([(x_of(i), y_of(m)) for i, m in enumerate(means)], fill=colour, width=3)
        for i in range(iterations):
            for value in values[:, i]:
                x, y = x_of(i + offset), y_of(value)
                pen.ellipse((x - 3, y - 3, x + 3, y + 3), outline=colour)
        legend_y = top + 12 + 22 * list(curves).index(name)
        pen.line((right - 190, legend_y, right - 160, legend_y), fill=colour, width=3)
        pen.text((right - 150, legend_y), name, fill="black", font=font, anchor="lm")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="LunarLander-v3")
    parser.add_argument("--iterations", type=int, default=8)
    parser.add_argument("--episodes-per-iter", type=int, default=1)
    parser.add_argument("--decay", type=float, default=0.5)
    parser.add_argument("--steps", type=int, default=1000, help="gradient steps per clone")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--hidden", type=int, nargs="+", default=[4],
                        help="hidden layer sizes: one layer of 4 units is the weak learner of "
                        "docs/failures.md")
    parser.add_argument("--eval-episodes", type=int, default=10)
    parser.add_argument("--max-episode-steps", type=int, default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "dagger_curve.json")
    parser.add_argument("--png", type=Path, default=DOCS / "dagger_curve.png")
    args = parser.parse_args()
    args.hidden = tuple(args.hidden)
    torch.set_num_threads(1)  # the machines are shared; one thread per process ran fastest

    before = machine()
    runs = []
    for seed in args.seeds:
        runs.append(run_seed(args, seed))
        print(json.dumps({key: runs[-1][key] for key in ("seed", "label_counts",
                                                         "iteration_returns", "bc_returns",
                                                         "wall_s")}), flush=True)
    dagger = np.array([run["iteration_returns"] for run in runs], dtype=float)
    bc = np.array([run["bc_returns"] for run in runs], dtype=float)
    report = {
        "command": " ".join(sys.argv),
        "settings": {key: str(value) if isinstance(value, Path) else value
                     for key, value in vars(args).items()} | {"hidden": list(args.hidden)},
        "machine_before": before,
        "machine_after": machine(),
        "mean_labels": np.mean([run["label_counts"] for run in runs], axis=0).tolist(),
        "dagger_mean": dagger.mean(axis=0).tolist(),
        "bc_mean": bc.mean(axis=0).tolist(),
        "runs": runs,
    }
    write_json(args.out, report)
    title = (f"{args.env}: DAgger vs BC at equal expert labels, {len(args.seeds)} seeds, "
             f"{args.episodes_per_iter} episode(s) per iteration")
    draw(runs, title, args.png)
    print(json.dumps({"mean_labels": report["mean_labels"], "dagger_mean": report["dagger_mean"],
                      "bc_mean": report["bc_mean"]}, indent=1))


if __name__ == "__main__":
    main()
