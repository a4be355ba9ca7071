"""`clonelab info` and `clonelab doctor`: the dataset commands, which import neither torch nor
Qt, so that they answer in about a second (`main` parses them with a parser of their own).

`execute` runs any sub-command's handler: user errors become one line on stderr and status 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from clonelab.app.cli.output import report, say
from clonelab.recorder.dataset import DatasetError, DemoDataset
from clonelab.recorder.dataset_doctor import check_dataset, check_opened, repair_dataset
from clonelab.recorder.dataset_summary import DatasetSummary, quick_summary

DATASET_ERRORS: tuple[type[Exception], ...] = (DatasetError, ValueError, OSError)

Handler = Callable[[argparse.Namespace], Any]


class Problems(Exception):
    """Problems that end a sub-command with status 1, one line each on stderr."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = tuple(lines)
        super().__init__("; ".join(lines))


def execute(args: argparse.Namespace, handler: Handler,
            user_errors: tuple[type[Exception], ...],
            silent: Mapping[type[Exception], int] | None = None) -> int:
    """Run `handler(args)` and print its summary; its exit status.

    A handler returns its summary, or (summary, exit status) when it reports problems itself,
    or None to print nothing. `user_errors` end with one line on stderr and status 1;
    `silent` errors end with their status and no line (someone else says why).
    """
    try:
        result = handler(args)
    except tuple(silent or {}) as quiet:
        return (silent or {})[type(quiet)]
    except Problems as found:
        for line in found.lines:
            say(args.command, "error", line)
        return 1
    except user_errors as error:
        say(args.command, "error", str(error))
        return 1
    except KeyboardInterrupt:
        print(f"clonelab {args.command}: interrupted", file=sys.stderr)
        return 130
    summary, status = result if isinstance(result, tuple) else (result, 0)
    if summary is not None:
        report(summary, as_json=args.json)
    return status


def run(args: argparse.Namespace) -> int:
    """Run `clonelab info` or `clonelab doctor`."""
    handlers = {"info": cmd_info, "doctor": cmd_doctor}
    return execute(args, handlers[args.command], DATASET_ERRORS)


def open_dataset(args: argparse.Namespace) -> DemoDataset:
    """Open ``args.dataset``; when opening repaired its index, say so in one line on stderr."""
    dataset = DemoDataset.open(Path(args.dataset))
    note_repair(args, dataset)
    return dataset


def note_repair(args: argparse.Namespace, dataset: DemoDataset) -> None:
    """Say in one line on stderr when opening `dataset` repaired its index."""
    if dataset.repair_note:
        say(args.command, "note", dataset.repair_note)


def cmd_info(args: argparse.Namespace) -> dict[str, Any]:
    """Summarise a dataset: env, episode and step counts, returns, who acted.

    From the totals every commit keeps (no episode file is read, so it answers in about a
    second at 100,000 episodes). With --check every episode file is read and checked first:
    a damaged one is an error, not a summary.
    """
    summary = None if args.check else quick_summary(args.dataset)
    if summary is None:
        dataset = open_dataset(args)
        if args.check:
            checkup = check_opened(dataset)
            if checkup.findings:
                raise Problems([str(finding) for finding in checkup.findings] + [
                    f"{len(checkup.findings)} of {checkup.episodes_checked} episode files are "
                    f"damaged; `clonelab doctor {args.dataset} --repair` sets them aside and "
                    "rebuilds the index"])
        summary = DatasetSummary.of(dataset)
    totals = summary.totals
    return {
        "env_id": summary.env_id,
        "dataset": str(args.dataset),
        "episodes": totals.episodes,
        "steps": totals.steps,
        "return_mean": totals.return_mean,
        "return_std": totals.return_std,
        "return_min": totals.return_min,
        "return_max": totals.return_max,
        "actors": summary.actors,
        "observation_space": str(summary.observation_space),
        "action_space": str(summary.action_space),
    }


def cmd_doctor(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    """Check every episode file; with --repair set the bad ones aside and rebuild the index.

    Status 1 while problems are left (found without --repair).
    """
    path = Path(args.dataset)
    repair = repair_dataset(path) if args.repair else None
    checkup = repair.checkup if repair is not None else check_dataset(path)
    set_aside = repair.set_aside if repair is not None else ()
    if not args.json:  # the table below holds the counts; these lines say what and where
        for finding in checkup.findings:
            print(finding)
        for moved in set_aside:
            print(f"set aside: {moved}")
        if repair is not None and repair.note is not None:
            print(f"index rebuilt: {repair.note}")
    summary: dict[str, Any] = {
        "dataset": str(path),
        "episodes_checked": checkup.episodes_checked,
        "problems": len(checkup.findings),
        "repaired": repair is not None and bool(checkup.findings),
        "set_aside": len(set_aside),
        "index_rebuilt": repair is not None and repair.note is not None,
    }
    if args.json:
        summary["findings"] = [{"file": str(finding.file), "episode": finding.episode_id,
                                "problem": finding.problem, "bad_file": finding.bad_file}
                               for finding in checkup.findings]
        summary["set_aside_files"] = [str(moved) for moved in set_aside]
    return summary, 1 if checkup.findings and repair is None else 0
