"""Training throughput of imitation's BC (run by /work/imitation-venv/bin/python).

Prints one JSON line: ``{"side": "imitation", "samples_per_s": ..., ...}``.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from bc_setup import load_demos, make_bc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help=".npz written by bench/export.py")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--warmup-batches", type=int, default=20,
                        help="untimed steps first, as the other sides warm up in-process")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    demos = load_demos(args.data)
    trainer = make_bc(demos, batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    trainer.train(n_batches=args.warmup_batches, progress_bar=False)
    start, cpu_start = time.perf_counter(), time.thread_time()
    trainer.train(n_epochs=args.epochs, progress_bar=False)
    seconds, cpu_seconds = time.perf_counter() - start, time.thread_time() - cpu_start
    # imitation's loader drops the last partial batch, so count the samples it really used.
    samples = args.epochs * (len(demos.actions) // args.batch_size) * args.batch_size
    print(
        json.dumps(
            {
                "side": "imitation",
                "samples": samples,
                "seconds": seconds,
                "samples_per_s": samples / seconds,
                "samples_per_cpu_s": samples / cpu_seconds,
                "torch_threads": torch.get_num_threads(),
            }
        )
    )


if __name__ == "__main__":
    main()
