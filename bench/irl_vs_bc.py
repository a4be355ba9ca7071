"""BC against inverse RL from the same demos, on the demos' starts and under shifts they never had.

For each seed: record CartPole expert episodes (reset seeds ``1000 * seed + k``), train BC
(``train_bc`` with its defaults) and AIRL and GAIL (``train_adversarial``, 100k env steps) on
them, then play every policy and the scripted expert itself for 20 episodes (reset seeds
20,000 + i) in the plain env and in shifted ones (``models.irl.shift``): wider start states,
random pushes, and random actions slipped in. Every agent meets the same perturbations.

With ``--demo-steps N`` each demo keeps only its first N steps (cut as a truncation): demos
that never show the cart drifting far, the regime where cloning's errors compound.

Writes the raw numbers to bench/results/irl_vs_bc.json, a bar chart to docs/irl_vs_bc.png
(Pillow) and prints a Markdown table.

    .venv/bin/python bench/irl_vs_bc.py
    .venv/bin/python bench/irl_vs_bc.py --episodes 1 --demo-steps 100 \\
        --out bench/results/irl_vs_bc_short.json --plot docs/irl_vs_bc_short.png
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from benchlib import machine, write_json
from irl_cartpole import ENV_ID, record_demos
from PIL import Image, ImageDraw, ImageFont

from clonelab.models.irl.adversarial import AdversarialConfig, train_adversarial
from clonelab.models.irl.shift import Shift, evaluate_under_shift
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.catalog import make_env
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.experts import make_expert
from clonelab.recorder.jobs import drain

HERE = Path(__file__).resolve().parent
EVAL_SEED = 20_000
SHIFTS = (
    Shift(),
    Shift(kind="wide_starts", strength=1.0),
    Shift(kind="wide_starts", strength=1.5),
    Shift(kind="pushes", strength=1.0),
    Shift(kind="pushes", strength=2.0),
    Shift(kind="action_noise", strength=0.2),
    Shift(kind="action_noise", strength=0.4),
)
AGENTS = ("expert", "bc", "airl", "gail")
COLOURS = {"expert": (150, 150, 150), "bc": (52, 101, 164), "airl": (245, 121, 0),
           "gail": (78, 154, 6)}


def first_steps(dataset: DemoDataset, folder: Path, steps: int) -> DemoDataset:
    """A copy of `dataset` whose episodes keep their first `steps` steps (cut = truncated)."""
    copy = DemoDataset.create(folder, env_id=dataset.env_id,
                              observation_space=dataset.observation_space,
                              action_space=dataset.action_space, operator="scripted expert")
    for episode_id in dataset.episode_ids:
        episode = dataset.load_episode(episode_id)
        n = min(steps, len(episode.actions))
        truncations = np.array(episode.truncations[:n], dtype=bool)
        truncations[-1] = not episode.terminations[n - 1]
        copy.append(dataclasses.replace(
            episode, observations=episode.observations[:n + 1], actions=episode.actions[:n],
            rewards=episode.rewards[:n], terminations=episode.terminations[:n],
            truncations=truncations, timestamps=episode.timestamps[:n + 1],
            actors=episode.actors[:n], devices=episode.devices[:n]))
    return copy


def train_agents(seed: int, *, episodes: int, demo_steps: int | None, irl_steps: int,
                 workdir: Path) -> dict[str, object]:
    """The expert, and BC, AIRL and GAIL policies trained on the same recorded demos."""
    dataset = record_demos(workdir / f"demos_{seed}", episodes=episodes, seed=1000 * seed)
    if demo_steps is not None:
        dataset = first_steps(dataset, workdir / f"first_{seed}", demo_steps)
    agents: dict[str, object] = {"expert": make_expert(make_env(ENV_ID), seed=seed)}
    started = time.perf_counter()
    agents["bc"] = drain(train_bc(TrainConfig(seed=seed, device="cpu"),
                                              dataset)).policy
    print(f"seed {seed}: bc trained in {time.perf_counter() - started:.0f} s", flush=True)
    for method in ("airl", "gail"):
        config = AdversarialConfig(method=method, steps=irl_steps,  # type: ignore[arg-type]
                                   seed=seed)
        result = drain(train_adversarial(config, dataset))  # type: ignore[arg-type]
        agents[method] = result.policy
        print(f"seed {seed}: {method} trained in {result.seconds:.0f} s", flush=True)
    return agents


def draw_chart(path: Path, table: dict[str, dict[str, list[float]]], title: str) -> None:
    """Grouped bars: mean return over seeds per shift and agent, with min-max whiskers."""
    width, height, left, bottom, top = 1100, 480, 60, 70, 50
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    plot_h = height - top - bottom
    ymax = 500.0

    def y_of(value: float) -> float:
        return top + plot_h * (1 - value / ymax)

    for tick in range(0, 501, 100):
        y = y_of(tick)
        draw.line([(left, y), (width - 20, y)], fill=(225, 225, 225))
        draw.text((left - 35, y - 6), f"{tick}", fill="black", font=font)
    group_w = (width - left - 20) / len(table)
    bar_w = group_w * 0.8 / len(AGENTS)
    for g, (shift, by_agent) in enumerate(table.items()):
        x0 = left + g * group_w + group_w * 0.1
        for a, agent in enumerate(AGENTS):
            values = by_agent[agent]
            mean = float(np.mean(values))
            x = x0 + a * bar_w
            draw.rectangle([x, y_of(mean), x + bar_w - 2, y_of(0)], fill=COLOURS[agent])
            centre = x + bar_w / 2 - 1
            draw.line([(centre, y_of(min(values))), (centre, y_of(max(values)))], fill="black")
        draw.text((x0, height - bottom + 8), shift, fill="black", font=font)
    for a, agent in enumerate(AGENTS):
        x = left + a * 120
        draw.rectangle([x, height - 28, x + 14, height - 14], fill=COLOURS[agent])
        draw.text((x + 20, height - 28), agent.upper() if agent != "expert" else "expert",
                  fill="black", font=font)
    draw.text((left, 15), title, fill="black", font=font)
    draw.text((left, 30), "mean return over seeds (bars), min-max over seeds (whiskers)",
              fill=(90, 90, 90), font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--episodes", type=int, default=5, help="expert episodes")
    parser.add_argument("--demo-steps", type=int, help="keep each demo's first N steps only")
    parser.add_argument("--irl-steps", type=int, default=100_000)
    parser.add_argument("--eval-episodes", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "irl_vs_bc.json")
    parser.add_argument("--plot", type=Path, default=HERE.parent / "docs" / "irl_vs_bc.png")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    before = machine()
    started = time.perf_counter()
    returns: dict[str, dict[str, list[float]]] = {s.label: {a: [] for a in AGENTS}
                                                  for s in SHIFTS}
    with tempfile.TemporaryDirectory(prefix="clonelab-irl-bc-") as workdir:
        for seed in args.seeds:
            agents = train_agents(seed, episodes=args.episodes, demo_steps=args.demo_steps,
                                  irl_steps=args.irl_steps, workdir=Path(workdir))
            for shift in SHIFTS:
                for name, agent in agents.items():
                    scores = evaluate_under_shift(agent, ENV_ID, shift,  # type: ignore[arg-type]
                                                  episodes=args.eval_episodes, seed=EVAL_SEED)
                    returns[shift.label][name].append(scores.return_mean)
                print(json.dumps({"seed": seed, "shift": shift.label}
                                 | {a: returns[shift.label][a][-1] for a in AGENTS}), flush=True)
    write_json(args.out, {
        "command": " ".join(sys.argv),
        "settings": vars(args) | {"out": str(args.out), "plot": str(args.plot)},
        "machine_before": before,
        "machine_after": machine(),
        "wall_s": time.perf_counter() - started,
        "returns": returns,
    })
    demos = f"{args.episodes} expert episode{'s' if args.episodes > 1 else ''}"
    if args.demo_steps:
        demos += f", the first {args.demo_steps} steps of {'it' if args.episodes == 1 else 'each'}"
    draw_chart(args.plot, returns, f"CartPole-v1 from {demos}: BC vs AIRL vs GAIL "
               f"({args.irl_steps:,} env steps), {len(args.seeds)} seeds")
    print("| shift | " + " | ".join(AGENTS) + " |")
    print("|---|" + "---|" * len(AGENTS))
    for shift, by_agent in returns.items():
        cells = [f"{np.mean(v):.0f} ({min(v):.0f}-{max(v):.0f})" for v in by_agent.values()]
        print(f"| {shift} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
