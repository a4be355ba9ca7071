"""`clonelab lag DATASET`: estimate the demonstrator's reaction lag from their recording."""

from __future__ import annotations

import argparse
from typing import Any

from clonelab.app.cli.config_args import config_from_args
from clonelab.models.lag_estimate import LagConfig, estimate_lag
from clonelab.recorder.jobs import drain


def cmd_lag(args: argparse.Namespace) -> dict[str, Any]:
    """Agreement per shift with the reference, and the suggested `--action-shift`."""
    from clonelab.app.cli.commands import _progress, open_dataset

    config: LagConfig = config_from_args(LagConfig, args)
    dataset = open_dataset(args)
    with _progress(0, "lag") as bar:

        def show(progress: Any) -> None:
            bar.total = progress.total
            bar.n = progress.done
            bar.set_description(progress.stage)

        estimate = drain(estimate_lag(config, dataset), show)
    assert estimate is not None  # nothing cancels a CLI run but Ctrl+C
    return {
        "env_id": estimate.env_id,
        "dataset": str(args.dataset),
        "reference": estimate.reference,
        "steps": estimate.steps,
        # Shift s is entry s (JSON objects come out with sorted keys: "10" before "2").
        "agreement_by_shift": [round(value, 4) for value in estimate.agreement],
        "suggested_action_shift": estimate.best_shift,
    }
