"""The `clonelab` command: open the app, or record, inspect, train and evaluate headless.

```
clonelab [ENV_ID]                                     open the app
clonelab expert ENV_ID --episodes N --out DATASET [--seed S] [--noise P]
clonelab info DATASET [--json]
clonelab train DATASET --out POLICY [--steps N | --epochs N] [--batch B] [--lr LR]
               [--hidden H] [--seed S] [--device auto|cpu|cuda|mps] [--json]
clonelab eval POLICY --episodes N [--seed S] [--stochastic] [--json]
clonelab dagger ENV_ID --iterations K --episodes-per-iter M --out DIR [--seed S] [--steps N]
               [--hidden H] [--decay D] [--noise P] [--eval-episodes N] [--json]
clonelab irl DATASET --out DIR [--method airl|gail|maxent] [--steps N] [--seed S] [--json]
```
The sub-commands never import Qt. With `--json` the last line printed is one JSON object.
Errors exit with status 1 and one line on stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

SUBCOMMANDS = ("expert", "info", "train", "eval", "irl", "dagger")


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1], got {text}")
    return value


def _hidden_sizes(text: str) -> tuple[int, ...]:
    """Parse `256` (two layers of 256) or `256,128` (one layer each)."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        message = f"expected sizes like 256 or 256,256, got {text}"
        raise argparse.ArgumentTypeError(message) from None
    if not sizes or min(sizes) <= 0:
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text}")
    return sizes * 2 if len(sizes) == 1 else sizes


def build_parser() -> argparse.ArgumentParser:
    """The sub-command parser (the bare `clonelab [ENV_ID]` form is handled in main)."""
    parser = argparse.ArgumentParser(
        prog="clonelab",
        description="Record demonstrations, clone them with behavioral cloning, and watch "
        "the clone. Run `clonelab [ENV_ID]` with no sub-command to open the app.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    expert = commands.add_parser("expert", help="record scripted-expert demonstrations")
    expert.add_argument("env_id", metavar="ENV_ID")
    expert.add_argument("--episodes", type=_positive_int, required=True)
    expert.add_argument("--out", required=True, metavar="DATASET",
                        help="dataset to create, or to append to when it exists")
    expert.add_argument("--seed", type=int, default=0, help="seed of the first episode")
    expert.add_argument("--noise", type=_probability, default=0.0,
                        help="probability of a random action at each step (imperfect expert)")
    expert.add_argument("--json", action="store_true", help="end with one JSON line")

    info = commands.add_parser("info", help="summarise a dataset")
    info.add_argument("dataset", metavar="DATASET")
    info.add_argument("--json", action="store_true", help="end with one JSON line")

    train = commands.add_parser("train", help="train a BC policy on a dataset")
    train.add_argument("dataset", metavar="DATASET")
    train.add_argument("--out", required=True, metavar="POLICY", help="checkpoint to write")
    budget = train.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=_positive_int, help="gradient steps")
    budget.add_argument("--epochs", type=_positive_int, help="passes over the data")
    train.add_argument("--batch", type=_positive_int, help="batch size")
    train.add_argument("--lr", type=float, help="Adam learning rate")
    train.add_argument("--hidden", type=_hidden_sizes, help="hidden layer sizes, e.g. 256,256")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto")
    train.add_argument("--json", action="store_true", help="end with one JSON line")

    evaluate = commands.add_parser("eval", help="evaluate a policy in its environment")
    evaluate.add_argument("policy", metavar="POLICY")
    evaluate.add_argument("--episodes", type=_positive_int, default=20)
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--stochastic", action="store_true",
                          help="sample actions instead of taking argmax / mu")
    evaluate.add_argument("--json", action="store_true", help="end with one JSON line")

    irl = commands.add_parser("irl", help="learn the demonstrator's reward (inverse RL) and "
                              "train a policy on it")
    irl.add_argument("dataset", metavar="DATASET")
    irl.add_argument("--out", required=True, metavar="DIR",
                     help="folder for policy.pt, the reward and irl.json")
    irl.add_argument("--method", choices=("airl", "gail", "maxent"), default="airl",
                     help="airl or gail for vector envs, maxent for MiniGrid rooms")
    irl.add_argument("--steps", type=_positive_int,
                     help="env steps (airl, gail; default 100000) or iterations (maxent; 300)")
    irl.add_argument("--seed", type=int, default=0)
    irl.add_argument("--json", action="store_true", help="end with one JSON line")

    dagger = commands.add_parser("dagger", help="DAgger with the scripted expert, against BC "
                                 "given as many expert labels")
    dagger.add_argument("env_id", metavar="ENV_ID")
    dagger.add_argument("--iterations", type=_positive_int, required=True)
    dagger.add_argument("--episodes-per-iter", type=_positive_int, required=True,
                        help="episodes rolled out and labelled per iteration")
    dagger.add_argument("--out", required=True, metavar="DIR",
                        help="new folder for the labelled data (data/), policy.pt, "
                        "bc_policy.pt and dagger.json")
    dagger.add_argument("--seed", type=int, default=0)
    dagger.add_argument("--steps", type=_positive_int,
                        help="gradient steps per clone (default 1000)")
    dagger.add_argument("--batch", type=_positive_int, help="batch size")
    dagger.add_argument("--hidden", type=_hidden_sizes, help="hidden layer sizes, e.g. 64,64")
    dagger.add_argument("--decay", type=_probability, default=0.5,
                        help="the expert acts with probability decay^i at iteration i")
    dagger.add_argument("--noise", type=_probability, default=0.0,
                        help="probability of a random expert action (imperfect expert)")
    dagger.add_argument("--eval-episodes", type=_positive_int, default=10)
    dagger.add_argument("--max-steps", type=_positive_int,
                        help="cap on the length of every episode played")
    dagger.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto")
    dagger.add_argument("--json", action="store_true", help="end with one JSON line")
    return parser


def build_app_parser() -> argparse.ArgumentParser:
    """The parser of the bare form, `clonelab [ENV_ID]`."""
    parser = argparse.ArgumentParser(
        prog="clonelab",
        description="Open the CloneLab app. Sub-commands: " + ", ".join(SUBCOMMANDS)
        + " (see `clonelab COMMAND --help`).",
    )
    parser.add_argument("env_id", nargs="?", metavar="ENV_ID",
                        help="environment to open (default: LunarLander-v3)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `clonelab` command and return its exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    first_word = next((a for a in args_list if not a.startswith("-")), None)
    if first_word not in SUBCOMMANDS and not {"-h", "--help"} & set(args_list[:1]):
        app_args = build_app_parser().parse_args(args_list)
        _configure_logging(app_args.verbose)
        from clonelab.app.window.main import run_app

        return run_app(app_args.env_id)

    args = build_parser().parse_args(args_list)
    _configure_logging(args.verbose)
    if args.command is None:
        build_parser().print_help()
        return 0
    from clonelab.app.cli import commands as cli_commands

    return cli_commands.run(args)


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )

