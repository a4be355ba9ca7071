"""Pixel BC throughput: CloneLab's train_bc vs a bare PyTorch loop on Pong-shaped frames.

Both sides train the same network (Nature DQN convolutions, channels-last, then CloneLab's
default 256x256 MLP and a 6-way head), with Adam (lr 1e-3) at the same batch size, on the
same uint8 frames: 84x84 grey, 4 stacked, the Atari preprocessing's output, scaled to [0, 1]
on the device in the forward pass. The frames are synthesised (a ball and two paddles on a
noisy field, so the network sees Pong-like sparse images); their content does not change the
arithmetic. All sides run in `--precision` (default auto: bfloat16 autocast on CPUs with
bfloat16 dot products, as train_bc picks, float32 elsewhere). A third side, the bare loop with
contiguous (NCHW) weights and input, measures what channels-last buys. Rounds rotate the
order of the sides; each number is the median.
--variants adds, once each: the "dqn" and the small "cnn" torso trained as CloneLab policies
on the same frames, and train_bc with torch.compile (its first steps and its steady rate).

    .venv/bin/python bench/pixel_throughput.py --threads 1 2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from benchlib import machine, summary, write_json
from npz_demos import NpzTransitions
from torch import nn

from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.torsos import TorsoName
from clonelab.models.train_config import Precision
from clonelab.models.train_device import resolve_precision
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain

HERE = Path(__file__).resolve().parent
FRAME_SHAPE = (84, 84, 4)
N_ACTIONS = 6  # Pong's action set


class PixelDemos:
    """Synthetic Pong-shaped demos with the `DatasetLike` surface `train_bc` reads."""

    env_id = "PongFrames-v0"  # not an env: nothing here is played

    def __init__(self, rows: int, *, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        frames = rng.integers(0, 40, (rows, *FRAME_SHAPE), dtype=np.uint8)
        for row in range(rows):
            ball = rng.integers(4, 80, 2)
            frames[row, ball[0] - 1 : ball[0] + 1, ball[1] - 1 : ball[1] + 1, :] = 236
            for column in (4, 78):
                top = int(rng.integers(0, 70))
                frames[row, top : top + 14, column : column + 2, :] = 147
        self.rows = NpzTransitions(
            observations=frames, actions=rng.integers(0, N_ACTIONS, rows).astype(np.int64),
            rewards=np.zeros(rows, np.float32), episode_ids=np.zeros(rows, np.int64))
        self.observation_space = gym.spaces.Box(0, 255, FRAME_SHAPE, np.uint8)
        self.action_space = gym.spaces.Discrete(N_ACTIONS)
        self.episode_ids = [0]

    def fingerprint(self) -> str:
        """A fixed name: the frames are rebuilt from the seed."""
        return f"pixel-demos-{len(self.rows.actions)}"

    def transitions(self, episode_ids: object = None) -> NpzTransitions:
        """All rows (one episode)."""
        return self.rows


def bare_network(channels_last: bool = True) -> nn.Module:
    """The network CloneLab builds for these frames, written out by hand."""
    net = nn.Sequential(
        nn.Conv2d(FRAME_SHAPE[2], 32, 8, stride=4), nn.LeakyReLU(),
        nn.Conv2d(32, 64, 4, stride=2), nn.LeakyReLU(),
        nn.Conv2d(64, 64, 3, stride=1), nn.LeakyReLU(),
        nn.Flatten(),
        nn.Linear(3136, 256), nn.LeakyReLU(),
        nn.Linear(256, 256), nn.LeakyReLU(),
        nn.Linear(256, N_ACTIONS),
    )
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    return net


def autocast_for(device: torch.device, precision: Precision) -> contextlib.AbstractContextManager:
    """The autocast CloneLab's `precision` gives the DQN torso on `device`."""
    dtype = resolve_precision(precision, device, torso="dqn")
    if dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


def bare(demos: PixelDemos, *, steps: int, batch_size: int, device: torch.device,
         channels_last: bool = True, precision: Precision = "float32") -> float:
    """Samples/s of a bare loop: uint8 frames on the device, scaled and centred on their mean
    frame in the step (as CloneLab's torso does), Adam.

    float16 here runs without a scaler (no overflow in a short run): an upper bound."""
    torch.manual_seed(0)
    start = time.perf_counter()
    frames = torch.as_tensor(demos.rows.observations, device=device)
    actions = torch.as_tensor(demos.rows.actions, device=device)
    mean = (frames[:: max(1, len(frames) // 4096)].float().mean(0) / 255.0).permute(2, 0, 1)
    net = bare_network(channels_last).to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    rows = len(actions)
    order = torch.randperm(rows, device=device)
    cursor = 0
    for _ in range(steps):
        if cursor >= rows:
            order, cursor = torch.randperm(rows, device=device), 0
        batch = order[cursor : cursor + batch_size]
        cursor += batch_size
        x = frames[batch].permute(0, 3, 1, 2)
        if not channels_last:
            x = x.contiguous()
        with autocast_for(device, precision):
            loss = loss_fn(net(x.float() / 255.0 - mean), actions[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch_size / (time.perf_counter() - start)


def ours(demos: PixelDemos, *, steps: int, batch_size: int, device: torch.device,
         precision: Precision = "auto", compile_step: bool = False) -> float:
    """Samples/s of train_bc (validation off, one record at the end), call to result."""
    config = TrainConfig(steps=steps, batch_size=batch_size, val_fraction=0.0,
                         log_every=steps, device=device.type, precision=precision,
                         compile=compile_step)
    start = time.perf_counter()
    drain(train_bc(config, demos))
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch_size / (time.perf_counter() - start)


def torso_rate(demos: PixelDemos, torso: TorsoName, *, steps: int, batch_size: int) -> float:
    """Samples/s of a CloneLab policy with `torso` on these frames (loss, Adam; no train_bc)."""
    torch.manual_seed(0)
    policy = Policy(PolicySpec(env_id=demos.env_id, observation_space=demos.observation_space,
                               action_space=demos.action_space, torso=torso))
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-3)
    frames = torch.as_tensor(demos.rows.observations)
    targets = torch.as_tensor(demos.rows.actions)
    start = time.perf_counter()
    for step in range(steps):
        batch = torch.arange(step * batch_size, (step + 1) * batch_size) % len(targets)
        loss = policy.loss(frames[batch], targets[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return steps * batch_size / (time.perf_counter() - start)


def compiled_rates(demos: PixelDemos, *, steps: int, batch_size: int) -> dict[str, float]:
    """train_bc eager and compiled: seconds to the first record (10 steps, compiling) and the
    steady samples/s after it, from the run's own records."""
    rates = {}
    for label, compile_step in (("eager", False), ("compiled", True)):
        config = TrainConfig(steps=steps + 10, batch_size=batch_size, val_fraction=0.0,
                             log_every=10, device="cpu", compile=compile_step)
        history = drain(train_bc(config, demos)).history
        rates[f"{label}_first_10_steps_s"] = history[0].elapsed_s
        rates[f"{label}_steady_samples_per_s"] = (
            steps * batch_size / (history[-1].elapsed_s - history[0].elapsed_s))
    return rates


def variants(threads: int, *, rows: int, steps: int, batch_size: int) -> dict[str, float]:
    """One run each of the torso and compile variants at `threads` torch threads."""
    torch.set_num_threads(threads)
    demos = PixelDemos(rows)
    found: dict[str, float] = {}
    for torso in ("dqn", "cnn"):
        torso_rate(demos, torso, steps=2, batch_size=batch_size)  # warm-up
        found[f"{torso}_samples_per_s"] = torso_rate(demos, torso, steps=steps,
                                                     batch_size=batch_size)
    found.update(compiled_rates(demos, steps=steps, batch_size=batch_size))
    print(json.dumps({"threads": threads, **found}), flush=True)
    return found


def measure(threads: int, *, rows: int, steps: int, batch_size: int, rounds: int,
            precision: Precision) -> dict:
    """Interleaved rounds of the CPU sides at `threads` torch threads, all in `precision`."""
    torch.set_num_threads(threads)
    demos = PixelDemos(rows)
    cpu = torch.device("cpu")
    sides = {
        "clonelab": lambda: ours(demos, steps=steps, batch_size=batch_size, device=cpu,
                                 precision=precision),
        "bare": lambda: bare(demos, steps=steps, batch_size=batch_size, device=cpu,
                             precision=precision),
        "bare_nchw": lambda: bare(demos, steps=steps, batch_size=batch_size, device=cpu,
                                  channels_last=False, precision=precision),
    }
    for run in sides.values():  # warm-up: lazy initialisation in torch
        run()
    names = list(sides)
    results: list[dict] = []
    for i in range(rounds):
        order = names[i % len(names):] + names[: i % len(names)]
        result: dict = {name: sides[name]() for name in order}
        result["loadavg"] = machine()["loadavg"]
        results.append(result)
        print(json.dumps({"threads": threads, **result}), flush=True)
    return {
        "samples_per_s": {n: summary([r[n] for r in results]) for n in names},
        "clonelab_over_bare": summary([r["clonelab"] / r["bare"] for r in results]),
        "channels_last_gain": summary([r["bare"] / r["bare_nchw"] for r in results]),
        "rounds": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rows", type=int, default=2048)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--precision", default="auto", choices=("auto", "float32", "bfloat16"),
                        help="every side's arithmetic; auto: what train_bc picks on this CPU")
    parser.add_argument("--variants", action="store_true",
                        help="add one run each of the cnn torso and of torch.compile")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "pixel_throughput.json")
    args = parser.parse_args()
    before = machine()
    by_threads = {str(t): measure(t, rows=args.rows, steps=args.steps,
                                  batch_size=args.batch_size, rounds=args.rounds,
                                  precision=args.precision)
                  for t in args.threads}
    if args.variants:
        for threads in args.threads:
            by_threads[str(threads)]["variants"] = variants(
                threads, rows=args.rows, steps=args.steps * 2, batch_size=args.batch_size)
    report = {"command": " ".join(sys.argv), "rows": args.rows, "steps": args.steps,
              "precision": args.precision,
              "autocast_dtype": str(resolve_precision(args.precision, torch.device("cpu"),
                                                      torso="dqn")),
              "batch_size": args.batch_size, "machine_before": before,
              "machine_after": machine(), "by_threads": by_threads}
    write_json(args.out, report)
    for threads, result in by_threads.items():
        print(json.dumps({"threads": threads, **{k: result[k] for k in (
            "samples_per_s", "clonelab_over_bare", "channels_last_gain")}}))


if __name__ == "__main__":
    main()
