"""Diagnosis for benchmark 1: where CloneLab's training step spends more than the bare loop.

The same 4-256-256-2 leaky_relu MLP, Adam and batches of 256 from the CartPole ``.npz``,
stepped with one piece of ``train_bc``'s step added at a time; variants interleave within each
repeat and each reports samples/s (median of the repeats).

    .venv/bin/python bench/train_step_parts.py --data /tmp/clonelab-bench/cartpole_50k.npz
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from benchlib import machine, summary, write_json
from npz_demos import NpzDemos
from torch import nn

from clonelab.models.losses import categorical_nll
from clonelab.models.policy import Policy, PolicySpec

HERE = Path(__file__).resolve().parent
BATCH = 256


def samples_per_s(model: nn.Module, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                  obs: torch.Tensor, acts: torch.Tensor, *, steps: int, checks: bool) -> float:
    """Train ``steps`` steps; ``checks`` adds train_bc's finiteness check and loss sum."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(len(acts))
    usable = len(acts) - len(acts) % BATCH
    window = torch.zeros(())
    start = time.perf_counter()
    for i in range(steps):
        batch = order[(i * BATCH) % usable : (i * BATCH) % usable + BATCH]
        loss = loss_fn(obs[batch], acts[batch])
        if checks and not torch.isfinite(loss):
            raise RuntimeError("non-finite loss")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if checks:
            window += loss.detach()
    return steps * BATCH / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "train_step_parts.json")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    demos = NpzDemos(args.data)
    data = demos.transitions()
    obs, acts = torch.as_tensor(data.observations), torch.as_tensor(data.actions)
    mean, std = obs.mean(0), obs.std(0)
    n_actions = int(demos.action_space.n)
    mlp = nn.Sequential(nn.Linear(obs.shape[1], 256), nn.LeakyReLU(), nn.Linear(256, 256),
                        nn.LeakyReLU(), nn.Linear(256, n_actions))
    policy = Policy(PolicySpec(env_id=demos.env_id, observation_space=demos.observation_space,
                               action_space=demos.action_space))
    variants = {
        "bare: cross_entropy": (mlp, lambda o, a: F.cross_entropy(mlp(o), a), False),
        "+ normalise per batch": (mlp, lambda o, a: F.cross_entropy(mlp((o - mean) / std), a),
                                  False),
        "+ one-hot NLL (models.losses)": (mlp, lambda o, a: categorical_nll(mlp(o), a), False),
        "+ finiteness check, loss sum": (mlp, lambda o, a: F.cross_entropy(mlp(o), a), True),
        "Policy.loss": (policy, lambda o, a: policy.loss(o, a), False),
        "Policy.loss + check, sum (train_bc's step)": (policy, lambda o, a: policy.loss(o, a),
                                                        True),
    }
    before = machine()
    rates: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, (model, loss_fn, checks) in variants.items():
            rates[name].append(samples_per_s(model, loss_fn, obs, acts, steps=args.steps,
                                             checks=checks))
    report = {"command": " ".join(sys.argv), "machine_before": before,
              "machine_after": machine(),
              "samples_per_s": {name: summary(values) for name, values in rates.items()}}
    write_json(args.out, report)
    print(json.dumps({k: round(v["median"]) for k, v in report["samples_per_s"].items()},
                     indent=2))


if __name__ == "__main__":
    main()
