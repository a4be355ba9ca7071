"""Diagnosis for benchmark 1: what CloneLab's training step costs against the bare loop's.

The same 4-256-256-2 leaky_relu MLP and batches of 256 from the CartPole ``.npz``, stepped
by the bare loop's step, by the bare step with one change, by ``train_bc``'s step before
issue 10 (each batch normalised, the one-hot NLL, a finiteness check every step) and by its
step now (``Policy.loss`` on rows normalised once, the fused NLL, the losses kept for the record,
fused Adam). Variants interleave within each repeat; each reports samples per wall second and
per CPU second of the thread (the latter holds up on a busy machine), medians of the repeats.

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

from clonelab.models.policy import Policy, PolicySpec

HERE = Path(__file__).resolve().parent
BATCH = 256
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def one_hot_nll(logits: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """models.losses.categorical_nll before issue 10: the formula written out."""
    one_hot = F.one_hot(actions, num_classes=logits.shape[-1]).to(logits.dtype)
    return -(one_hot * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean()


def rates(model: nn.Module, loss_fn: LossFn, obs: torch.Tensor, acts: torch.Tensor, *,
          steps: int, check_every_step: bool, window: str, fused: bool
          ) -> tuple[float, float]:
    """(samples per wall second, per thread CPU second) over ``steps`` steps; ``window`` is
    how the losses between progress records are kept: "none", "sum" (one tensor, added to
    each step: before issue 10) or "list" (kept, summed at the record: now)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused or None)
    order = torch.randperm(len(acts))
    usable = len(acts) - len(acts) % BATCH
    total = torch.zeros(())
    kept: list[torch.Tensor] = []
    wall, cpu = time.perf_counter(), time.thread_time()
    for i in range(steps):
        batch = order[(i * BATCH) % usable : (i * BATCH) % usable + BATCH]
        loss = loss_fn(obs[batch], acts[batch])
        if check_every_step and not torch.isfinite(loss):
            raise RuntimeError("non-finite loss")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if window == "sum":
            total += loss.detach()
        elif window == "list":
            kept.append(loss.detach())
    samples = steps * BATCH
    return samples / (time.perf_counter() - wall), samples / (time.thread_time() - cpu)


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
    obs, acts = torch.as_tensor(data.observations), torch.as_tensor(data.actions).long()
    mean, std = obs.mean(0), obs.std(0)
    normalised = (obs - mean) / std
    n_actions = int(demos.action_space.n)
    mlp = nn.Sequential(nn.Linear(obs.shape[1], 256), nn.LeakyReLU(), nn.Linear(256, 256),
                        nn.LeakyReLU(), nn.Linear(256, n_actions))
    policy = Policy(PolicySpec(env_id=demos.env_id, observation_space=demos.observation_space,
                               action_space=demos.action_space))
    policy.set_observation_stats(mean.numpy(), std.numpy())

    def before(o: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        return one_hot_nll(policy.head(policy.features(o)), a)

    def now(o: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        return policy.loss(o, a, normalised=True)

    def bare(o: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(mlp(o), a)

    # name: (model, loss, inputs, check every step, window, fused Adam)
    variants: dict[str, tuple[nn.Module, LossFn, torch.Tensor, bool, str, bool]] = {
        "bare: cross_entropy, Adam": (mlp, bare, normalised, False, "none", False),
        "bare + the window's losses kept": (mlp, bare, normalised, False, "list", False),
        "bare + fused Adam": (mlp, bare, normalised, False, "none", True),
        "train_bc's step before (per-batch normalising, one-hot NLL, check and sum each step)":
            (policy, before, obs, True, "sum", False),
        "train_bc's step now (rows normalised once, fused NLL, losses kept, fused Adam)":
            (policy, now, normalised, False, "list", True),
    }
    before_run = machine()
    wall: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for repeat in range(args.repeats + 1):
        for name, (model, loss_fn, inputs, check, window, fused) in variants.items():
            per_wall, per_cpu = rates(model, loss_fn, inputs, acts, steps=args.steps,
                                      check_every_step=check, window=window, fused=fused)
            if repeat:  # the first repeat warms up
                wall[name].append(per_wall)
                cpu[name].append(per_cpu)
    report = {"command": " ".join(sys.argv), "machine_before": before_run,
              "machine_after": machine(),
              "samples_per_wall_s": {name: summary(values) for name, values in wall.items()},
              "samples_per_cpu_s": {name: summary(values) for name, values in cpu.items()}}
    write_json(args.out, report)
    print(json.dumps({name: {"wall": round(report["samples_per_wall_s"][name]["median"]),
                             "cpu": round(report["samples_per_cpu_s"][name]["median"])}
                      for name in variants}, indent=2))


if __name__ == "__main__":
    main()
