"""The `clonelab` command: open the app, or record, inspect, train and evaluate headless.

```
clonelab [ENV_ID]                                     open the app
clonelab expert ENV_ID --episodes N --out DATASET [ExpertConfig flags: --seed S, --noise P,
                --clean-labels, --max-steps N, --lag D]
clonelab info DATASET [--check] [--json]
clonelab doctor DATASET [--repair] [--json]
clonelab train DATASET --out POLICY [TrainConfig flags: --steps N | --epochs N, --batch-size B,
               --lr LR, --hidden 256,256, --weight-decay W, --val-fraction F, --seed S,
               --device auto|cpu|cuda|mps, --log-every N] [--nproc N [--nnodes M --node-rank R
               --master-addr HOST --master-port PORT]] [--progress-json] [--json]
clonelab eval POLICY [EvalConfig flags: --episodes N, --seed S, --no-deterministic
              (or --stochastic), --max-steps N] [--json]
clonelab dagger ENV_ID --out DIR [DaggerConfig flags: --iterations K, --episodes-per-iter M,
                --decay D, --expert-noise P (--noise), --eval-episodes N, --max-steps N,
                --seed S, ...] [TrainConfig flags of every clone] [--json]
clonelab irl DATASET --out DIR [--method airl|gail|maxent] [AdversarialConfig flags: --steps N,
             --seed S, ...] [MaxEntConfig flags: --maxent-iterations N, ...] [--json]
clonelab lag DATASET [LagConfig flags: --max-shift N, --reference auto|expert|clone, ...] [--json]
```
The flags of expert, train, eval, dagger and irl are generated from their jobs' config dataclasses
(`app.cli.config_args`), so `clonelab COMMAND --help` lists every field with its docstring and
default, and the app's forms (built from the same configs) share the defaults. Layer sizes list
the layers: `--hidden 64` is one hidden layer of 64, `--hidden 256,256` two.
The sub-commands never import Qt. With `--json` the last line printed is one JSON object, strict
JSON (`null` where a number does not exist or is not finite; `app.cli.output.strict_json`).
Errors exit with status 1 and one line on stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

DATASET_COMMANDS = ("info", "doctor")
SUBCOMMANDS = ("expert", "info", "doctor", "train", "eval", "irl", "dagger", "lag")


def build_parser() -> argparse.ArgumentParser:
    """The sub-command parser (the bare `clonelab [ENV_ID]` form is handled in main).

    The flags of expert, train, eval, dagger and irl are generated from their jobs' configs
    (`app.cli.config_args`): every config field is a flag, its docstring the help.
    """
    from clonelab.app.cli.config_args import add_config_arguments
    from clonelab.app.cli.launch import add_launch_arguments
    from clonelab.models.evaluation import EvalConfig
    from clonelab.models.expert_demos import ExpertConfig
    from clonelab.models.failures.dagger import DEFAULT_TRAIN, DaggerConfig
    from clonelab.models.irl import IRL_METHODS
    from clonelab.models.irl.adversarial import AdversarialConfig
    from clonelab.models.irl.maxent import MaxEntConfig
    from clonelab.models.lag_estimate import LagConfig
    from clonelab.models.training import TrainConfig

    parser = argparse.ArgumentParser(
        prog="clonelab",
        description="Record demonstrations, clone them with behavioral cloning, and watch "
        "the clone. Run `clonelab [ENV_ID]` with no sub-command to open the app.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    expert = commands.add_parser("expert", help="record scripted-expert demonstrations")
    expert.add_argument("env_id", metavar="ENV_ID")
    expert.add_argument("--out", required=True, metavar="DATASET",
                        help="dataset to create, or to append to when it exists")
    add_config_arguments(expert, ExpertConfig)
    _json_flag(expert)

    add_dataset_commands(commands)

    train = commands.add_parser("train", help="train a BC policy on a dataset")
    train.add_argument("dataset", metavar="DATASET")
    train.add_argument("--out", required=True, metavar="POLICY", help="checkpoint to write")
    add_config_arguments(train, TrainConfig, aliases={"batch_size": ("--batch",)})
    train.add_argument("--episode-ids", type=_episode_ids, metavar="IDS",
                       help="train on these episodes only, e.g. 0,3,5 (default: every episode)")
    train.add_argument("--progress-json", action="store_true",
                       help="print every progress record as one JSON line on stdout (what the "
                       "app reads from a multi-process run)")
    add_launch_arguments(train)
    _json_flag(train)

    evaluate = commands.add_parser("eval", help="evaluate a policy in its environment")
    evaluate.add_argument("policy", metavar="POLICY")
    add_config_arguments(evaluate, EvalConfig)
    evaluate.add_argument("--stochastic", dest="deterministic", action="store_false",
                          default=argparse.SUPPRESS, help="same as --no-deterministic")
    _json_flag(evaluate)

    irl = commands.add_parser("irl", help="learn the demonstrator's reward (inverse RL) and "
                              "train a policy on it")
    irl.add_argument("dataset", metavar="DATASET")
    irl.add_argument("--out", required=True, metavar="DIR",
                     help="folder for policy.pt, the reward and irl.json")
    irl.add_argument("--method", choices=IRL_METHODS, default=IRL_METHODS[0],
                     help="airl or gail for vector envs, maxent for grid worlds (default: "
                     f"{IRL_METHODS[0]})")
    adversarial = irl.add_argument_group("airl and gail (AdversarialConfig)")
    add_config_arguments(adversarial, AdversarialConfig, skip=("method", "ppo"))
    maxent = irl.add_argument_group("maxent (MaxEntConfig; --steps sets its iterations, --seed "
                                   "seeds its env and policy)")
    add_config_arguments(maxent, MaxEntConfig, prefix="maxent_",
                         flags={name: f"--maxent-{name.replace('_', '-')}"
                                for name in ("iterations", "lr", "horizon", "l2", "log_every")})
    _json_flag(irl)

    dagger = commands.add_parser("dagger", help="DAgger with the scripted expert, against BC "
                                 "given as many expert labels")
    dagger.add_argument("env_id", metavar="ENV_ID")
    dagger.add_argument("--out", required=True, metavar="DIR",
                        help="new folder for the labelled data (data/), policy.pt, "
                        "bc_policy.pt and dagger.json")
    add_config_arguments(dagger, DaggerConfig, skip=("env_id", "train"),
                         aliases={"expert_noise": ("--noise",),
                                  "max_episode_steps": ("--max-steps",)})
    clones = dagger.add_argument_group("training of every clone (TrainConfig; --seed seeds it)")
    add_config_arguments(clones, TrainConfig, skip=("seed",), base=DEFAULT_TRAIN,
                         prefix="train_", aliases={"batch_size": ("--batch",)})
    _json_flag(dagger)

    lag = commands.add_parser("lag", help="estimate the demonstrator's reaction lag (the "
                              "action shift to train with)")
    lag.add_argument("dataset", metavar="DATASET")
    add_config_arguments(lag, LagConfig)
    _json_flag(lag)
    return parser


def _episode_ids(text: str) -> tuple[int, ...]:
    try:
        ids = tuple(int(part) for part in text.replace(",", " ").split())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"episode ids are whole numbers, e.g. 0,3,5: {text!r}") from None
    if not ids:
        raise argparse.ArgumentTypeError("name at least one episode id")
    return ids


def add_dataset_commands(commands: argparse._SubParsersAction) -> None:
    """The info and doctor sub-commands (their own parser too: they import no torch)."""
    info = commands.add_parser("info", help="summarise a dataset (from its index; --check reads "
                                            "and checks every episode file first)")
    info.add_argument("dataset", metavar="DATASET")
    info.add_argument("--check", action="store_true",
                      help="read and check every episode file first (as `clonelab doctor`): "
                           "a damaged one is an error, not a summary")
    _json_flag(info)

    doctor = commands.add_parser(
        "doctor", help="check every episode file against the schema and its checksum",
        description="Check every episode file of a dataset against the schema and the checksum "
        "recorded at its commit, one line per problem; nothing changes without --repair.")
    doctor.add_argument("dataset", metavar="DATASET")
    doctor.add_argument("--repair", action="store_true",
                        help="move bad episode files into data/quarantine/ (never deleted) and "
                        "rebuild the index from the good ones; good files are not touched")
    _json_flag(doctor)


def build_dataset_parser() -> argparse.ArgumentParser:
    """A parser of `clonelab info` and `clonelab doctor` alone, built without importing torch
    or any job config, so that those two answer in about a second."""
    parser = argparse.ArgumentParser(prog="clonelab")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    add_dataset_commands(parser.add_subparsers(dest="command", metavar="COMMAND"))
    return parser


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="end with one JSON line")


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

    if first_word in DATASET_COMMANDS:
        args = build_dataset_parser().parse_args(args_list)
        _configure_logging(args.verbose)
        from clonelab.app.cli.dataset_commands import run

        return run(args)
    args = build_parser().parse_args(args_list)
    _configure_logging(args.verbose)
    if args.command is None:
        build_parser().print_help()
        return 0
    from clonelab.app.cli.launch import launch, wants_launch

    if wants_launch(args):
        return launch(args, args_list)
    from clonelab.app.cli import commands as cli_commands

    return cli_commands.run(args)


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )

