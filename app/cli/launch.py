"""`clonelab train --nproc N`: the same command in N processes, started by torchrun's launcher.

The launcher is PyTorch's own (`torch.distributed.run`, what the `torchrun` command runs), so
`clonelab train DATASET --nproc 2 ...` and `torchrun --nproc-per-node 2 -m clonelab.app.cli
train DATASET ...` start the same processes. Each process is the ordinary `clonelab train`
without the launch flags; it finds its rank in the environment torchrun sets
(`models.distributed.World.from_env`). A failed or killed process ends the run with one line.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from clonelab.app.cli.output import say
from clonelab.models.distributed import DEFAULT_TIMEOUT_S, PEER_LOST_STATUS
from clonelab.recorder.dataset import DatasetError, DemoDataset

if TYPE_CHECKING:
    from torch.distributed.elastic.multiprocessing.errors import ProcessFailure

# flag -> (takes a value): the launch flags, which the worker processes do not get.
LAUNCH_FLAGS = {"--nproc": True, "--nnodes": True, "--node-rank": True,
                "--master-addr": True, "--master-port": True}


def add_launch_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that start a multi-process run (torchrun's, under CloneLab's names)."""
    group = parser.add_argument_group(
        "training in several processes (torch.distributed; see docs/scale.md)")
    group.add_argument("--nproc", type=int, default=1, metavar="N",
                       help="processes on this machine: one per GPU, or CPU processes sharing "
                       "the cores (default: 1). Each takes --batch-size rows a step: the global "
                       "batch is batch size x processes x nodes; the learning rate is not "
                       "rescaled")
    group.add_argument("--nnodes", type=int, default=1, metavar="M",
                       help="machines taking part (default: 1); run the same command on each, "
                       "with its own --node-rank")
    group.add_argument("--node-rank", type=int, default=0, metavar="R",
                       help="this machine's place among the --nnodes machines, 0 to M-1")
    group.add_argument("--master-addr", default="127.0.0.1", metavar="HOST",
                       help="address of the machine with --node-rank 0 (default: 127.0.0.1)")
    group.add_argument("--master-port", type=int, default=29500, metavar="PORT",
                       help="a free port on that machine (default: 29500)")
    group.add_argument("--collective-timeout", type=float, default=DEFAULT_TIMEOUT_S,
                       metavar="S", help="seconds a process waits for the others before the run "
                       f"fails (a dead process, a hung machine; default: {DEFAULT_TIMEOUT_S:g})")


def wants_launch(args: argparse.Namespace) -> bool:
    """True when the command asks for more than one process and is not one of them already."""
    import os

    several = getattr(args, "nproc", 1) > 1 or getattr(args, "nnodes", 1) > 1
    return several and "TORCHELASTIC_RUN_ID" not in os.environ


def worker_argv(argv: Sequence[str]) -> list[str]:
    """`argv` without the launch flags: the command each worker process runs."""
    kept: list[str] = []
    skip_value = False
    for word in argv:
        if skip_value:
            skip_value = False
            continue
        name = word.split("=", 1)[0]
        if name in LAUNCH_FLAGS:
            skip_value = LAUNCH_FLAGS[name] and "=" not in word
            continue
        kept.append(word)
    return kept


def torchrun_argv(args: argparse.Namespace, argv: Sequence[str]) -> list[str]:
    """torchrun's command line for this run: its launch flags, then the worker's module and
    arguments."""
    if args.nproc < 1 or args.nnodes < 1:
        raise ValueError("--nproc and --nnodes must be at least 1")
    if not 0 <= args.node_rank < args.nnodes:
        raise ValueError(f"--node-rank must lie in [0, {args.nnodes - 1}], got {args.node_rank}")
    launch = ["--nproc-per-node", str(args.nproc), "--nnodes", str(args.nnodes),
              "--max-restarts", "0"]
    if args.nnodes == 1:
        launch.append("--standalone")
    else:
        launch += ["--node-rank", str(args.node_rank), "--master-addr", args.master_addr,
                   "--master-port", str(args.master_port)]
    return [*launch, "-m", "clonelab.app.cli", *worker_argv(argv)]


def say_failure(args: argparse.Namespace, failures: Mapping[int, ProcessFailure]) -> None:
    """One line for a failed run: the process that was killed, else one that lost its peers.

    A process that failed on its own (exit status 1) has already said why in one line.
    """
    by_rank = sorted(failures.items())
    if any(f.exitcode == 1 for _, f in by_rank):
        return  # that process printed its own line (a bad dataset, a bad value)
    # The launcher ends the survivors with SIGTERM: a process killed otherwise came first.
    killed = sorted(((rank, f) for rank, f in by_rank if f.signal_name() != "<N/A>"),
                    key=lambda item: (item[1].signal_name() == "SIGTERM", item[0]))
    if killed:
        rank, failure = killed[0]
        say(args.command, "error", f"training process rank {rank} was killed by "
            f"{failure.signal_name()}; the run stopped")
    elif all(f.exitcode == PEER_LOST_STATUS for _, f in by_rank):
        say(args.command, "error", f"training process rank {by_rank[0][0]} lost the others "
            f"(none answered within {args.collective_timeout:g} s); the run stopped")


def launch(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run `argv` (a `clonelab train` command line) in the processes `args` asks for; the
    exit status: 0, or 1 with one line on stderr naming the first process that failed."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    try:
        command = torchrun_argv(args, argv)
        DemoDataset.open(Path(args.dataset))  # a bad path: one line, before any process starts
    except (DatasetError, OSError, ValueError) as error:
        say(args.command, "error", str(error))
        return 1
    if not args.verbose:
        # torchrun logs each start and stop at WARNING; the run's own lines say what matters.
        logging.getLogger("torch.distributed").setLevel(logging.CRITICAL)
    try:
        run(parse_args(command))
    except ChildFailedError as failed:
        say_failure(args, failed.failures)
        return 1
    except KeyboardInterrupt:
        say(args.command, "error", "interrupted")
        return 130
    return 0
