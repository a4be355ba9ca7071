"""Compare's video export of a CarRacing side by side: seconds to write it against playing it.

A 1,000-step CarRacing episode (seeded random steering, steady gas) is the demo; an untrained
CarRacing policy with the env's default preprocessing is the clone (what it does changes
little: its pane renders every step until the episode's end). Each variant runs in a fresh
process, rounds interleaved (A B C A B C ...), timed as the export's own wall seconds (what
a person waits for after clicking Export), and the whole process's wall and CPU seconds (with
its children: imports, the demo's replay process):

- ``current``: `export_comparison` as it is (the demo replays in a second process here);
- ``one-process``: the same with the demo replayed in the exporting process;
- ``before``: the export of an earlier commit (``--before REV``), from ``git archive``.

    .venv/bin/python bench/export_speed.py --rounds 3 --before 2150e63 \\
        --out bench/results/export_speed.json
    .venv/bin/python bench/export_speed.py --profile   # where one-process time goes

Playing the episode takes frames / fps seconds (1,000 frames at CarRacing's 50 fps: 20 s).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from benchlib import finish, machine, summary

ENV_ID = "CarRacing-v3"
FPS = 50.0
ROOT = Path(__file__).resolve().parents[1]


def make_demo(path: Path, steps: int, seed: int = 0) -> None:
    """A seeded `steps`-step CarRacing episode (observations and actions) saved to `path`."""
    from clonelab.recorder.catalog import make_env

    rng = np.random.default_rng(seed)
    env = make_env(ENV_ID)
    observation, _ = env.reset(seed=seed)
    observations, actions = [observation], []
    steer = 0.0
    for _ in range(steps):
        steer = float(np.clip(steer + rng.normal(0, 0.2), -1, 1))
        action = np.array([steer, 0.3, 0.0], np.float32)
        observation, _reward, terminated, truncated, _ = env.step(action)
        observations.append(observation)
        actions.append(action)
        if terminated or truncated:
            break
    env.close()
    np.savez(path, observations=np.array(observations), actions=np.array(actions), seed=seed)


def export_once(demo_path: Path, variant: str, out: Path) -> dict[str, object]:
    """Export the demo next to an untrained clone: frames written, the export's own wall
    seconds (imports and the policy's making aside) and the module that did it."""
    import torch

    from clonelab.models import video_export
    from clonelab.models.observations import default_pipeline
    from clonelab.models.policy import Policy, PolicySpec
    from clonelab.recorder.catalog import make_env
    from clonelab.recorder.jobs import drain

    torch.set_num_threads(1)
    data = np.load(demo_path)
    demo = SimpleNamespace(observations=data["observations"], actions=data["actions"],
                           seed=int(data["seed"]), options={}, fps=FPS)
    env = make_env(ENV_ID)
    torch.manual_seed(0)
    spec = PolicySpec(env_id=ENV_ID, observation_space=env.observation_space,
                      action_space=env.action_space,
                      pipeline=default_pipeline(ENV_ID, env.observation_space))
    env.close()
    policy = Policy(spec).eval()
    if variant == "one-process":
        video_export._slow_to_step = lambda *_args: False
    config = video_export.ExportConfig(path=out, fps=FPS)
    start = time.perf_counter()
    frames = drain(video_export.export_comparison(config, ENV_ID, demo, policy)).frames
    return {"frames": frames, "export_s": time.perf_counter() - start,
            "module": video_export.__file__}


def run_variant(variant: str, demo_path: Path, before: Path | None) -> dict[str, float]:
    """One export in a fresh process: wall and CPU seconds (with its children), frames."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run.mp4"
        code = ["--one", variant, "--demo", str(demo_path), "--video", str(out)]
        env_path = str(before) if variant == "before" else ""
        start = time.perf_counter()
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run([sys.executable, __file__, *code], capture_output=True,
                              text=True, env={**os.environ, "PYTHONPATH": env_path},
                              check=True)
        wall = time.perf_counter() - start
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        child = json.loads(done.stdout.strip().splitlines()[-1])
        cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime
                                                            - cpu_before.ru_stime)
        return {"export_s": child["export_s"], "process_wall_s": wall, "process_cpu_s": cpu,
                "frames": child["frames"], "module": child["module"],
                "mp4_kib": out.stat().st_size / 1024}


def checkout(rev: str, folder: Path) -> Path:
    """`rev`'s tree under `folder`, importable as `clonelab` from the returned path."""
    tree = folder / "tree"
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    (folder / "clonelab").symlink_to(tree)
    return folder


def profile(demo_path: Path) -> None:
    """cProfile of a one-process export: the functions with the most time of their own."""
    with tempfile.TemporaryDirectory() as folder:
        profiler = cProfile.Profile()
        profiler.enable()
        export_once(demo_path, "one-process", Path(folder) / "run.mp4")
        profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", default="current,one-process,before")
    parser.add_argument("--before", default=None, help="commit of the 'before' variant")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/export_speed.json")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--demo", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--video", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # a child: one export
        print(json.dumps(export_once(args.demo, args.one, args.video)))
        return
    variants = args.variants.split(",")
    if "before" in variants and args.before is None:
        variants.remove("before")
    with tempfile.TemporaryDirectory() as folder:
        demo_path = Path(folder) / "demo.npz"
        make_demo(demo_path, args.steps)
        if args.profile:
            profile(demo_path)
            return
        before = checkout(args.before, Path(folder) / "before") if args.before else None
        state = machine()
        runs: dict[str, list[dict[str, float]]] = {v: [] for v in variants}
        for round_ in range(args.rounds):
            for variant in variants:
                runs[variant].append(run_variant(variant, demo_path, before))
                print(f"round {round_} {variant}: {runs[variant][-1]}", flush=True)
    frames = runs[variants[0]][0]["frames"]
    results = {variant: {**{key: summary([r[key] for r in rs])
                            for key in ("export_s", "process_wall_s", "process_cpu_s")},
                         "frames": rs[0]["frames"], "module": rs[0]["module"],
                         "mp4_kib": statistics.median(r["mp4_kib"] for r in rs)}
               for variant, rs in runs.items()}
    finish(args.out, before=state, results_key="results", results=results,
           play_s=frames / FPS, before_rev=args.before)


if __name__ == "__main__":
    main()
