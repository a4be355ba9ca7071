"""Saving and loading policies: one `.pt` file of plain tensors plus a JSON config string.

Loading never runs code from the file: `torch.load(weights_only=True)` only rebuilds tensors,
strings, numbers, lists and dicts, and the policy is rebuilt from the JSON. The format is
documented in docs/checkpoint-format.md.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import gymnasium as gym
import torch

from clonelab.models.heads import HeadSpec
from clonelab.models.observations import ObservationPipeline
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.torsos import ConvTorso, TorsoName
from clonelab.models.training import TrainConfig
from clonelab.recorder.schema import app_version, space_from_json, space_to_json

log = logging.getLogger(__name__)

FORMAT = "clonelab-policy"
FORMAT_VERSION = 1


class CheckpointError(Exception):
    """A checkpoint cannot be written or read; one line naming the file and the problem."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = os.fspath(path)
        self.problem = " ".join(str(problem).split())
        super().__init__(f"{self.path}: {self.problem}")


class PolicyEnvMismatch(CheckpointError):
    """The policy was trained on another env than the one asked for."""

    def __init__(self, path: str | os.PathLike[str], trained_on: str, wanted: str) -> None:
        self.trained_on = trained_on
        self.wanted = wanted
        super().__init__(
            path,
            f"this policy was trained on {trained_on}, not {wanted}; choose a policy trained on "
            f"{wanted} or switch the env to {trained_on}",
        )


@dataclass(frozen=True, kw_only=True, eq=False)
class CheckpointInfo:
    """What a checkpoint's JSON says about its policy."""

    env_id: str
    observation_space: gym.Space
    action_space: gym.Space
    architecture: dict[str, Any]
    train_config: TrainConfig
    pipeline: ObservationPipeline
    """The observation preprocessing (the identity for checkpoints written before it)."""
    dataset_fingerprint: str
    clonelab_version: str
    created: str


def write_weights_file(
    path: Path,
    *,
    file_format: str,
    config_json: str,
    state_dict: Mapping[str, torch.Tensor],
    what: str,
) -> Path:
    """Write {format, config_json, state_dict} with torch.save, atomically; returns the path.

    The file appears whole or not at all: it is written under a temporary name in the same
    folder, synced, then renamed over `path`. `what` names the kind of file in errors.
    """
    payload = {
        "format": file_format,
        "config_json": config_json,
        "state_dict": {key: value.detach().cpu() for key, value in state_dict.items()},
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as file:
            torch.save(payload, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as error:
        raise CheckpointError(path, f"cannot write the {what}: {error}") from error
    finally:
        temporary.unlink(missing_ok=True)  # gone already after a successful rename
    return path


def read_weights_file(
    path: Path, *, file_format: str, what: str
) -> tuple[str, dict[str, torch.Tensor]]:
    """(config_json, state_dict) of a file from `write_weights_file`; never runs its code.

    `torch.load(weights_only=True)` rebuilds only tensors, strings, numbers and containers.
    Raises `CheckpointError` for a missing, truncated, foreign or tampered file.
    """
    if not path.is_file():
        raise CheckpointError(path, f"no such {what} file")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for foreign or damaged bytes
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
        raise CheckpointError(
            path, f"not a readable CloneLab {what} ({type(error).__name__}: {reason})"
        ) from error
    if not isinstance(payload, dict) or payload.get("format") != file_format:
        raise CheckpointError(path, f"not a CloneLab {what} file (no {file_format} marker)")
    state_dict = payload.get("state_dict")
    if not isinstance(state_dict, dict) or not all(
        isinstance(value, torch.Tensor) for value in state_dict.values()
    ):
        raise CheckpointError(path, f"damaged {what} file: the weights are missing")
    config_json = payload.get("config_json")
    if not isinstance(config_json, str):
        raise CheckpointError(path, f"damaged {what} file: the config is missing")
    return config_json, state_dict


def check_finite(module: torch.nn.Module, path: Path, what: str) -> None:
    """Refuse loaded weights that hold NaN or infinities (CheckpointError naming the tensor).

    A run that diverged saves such weights; they would load and act, and every figure computed
    from them would be NaN. Buffers may hold infinities (an unbounded action space's bounds),
    never NaN.
    """
    tensors: list[tuple[str, torch.Tensor, bool]] = [
        (name, value, True) for name, value in module.named_parameters()]
    tensors += [(name, value, False) for name, value in module.named_buffers()]
    for name, value, learned in tensors:
        if not value.is_floating_point():
            continue
        bad = ~torch.isfinite(value) if learned else torch.isnan(value)
        if bool(bad.any()):
            raise CheckpointError(path, f"the {what}'s weights hold NaN or infinite values "
                                        f"({name}): the training run diverged; train again")


def save_policy(
    path: str | os.PathLike[str],
    policy: Policy,
    config: TrainConfig,
    *,
    dataset_fingerprint: str = "",
) -> Path:
    """Write `policy` with its training config to `path` atomically; returns the path."""
    path = Path(path)
    spec = policy.spec
    config_json = json.dumps(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "clonelab_version": app_version(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "env_id": spec.env_id,
            "observation_space": json.loads(space_to_json(spec.observation_space)),
            "action_space": json.loads(space_to_json(spec.action_space)),
            "architecture": spec.architecture(),
            "preprocessing": spec.pipeline.to_dict(),
            "train_config": config.to_dict(),
            "dataset_fingerprint": dataset_fingerprint,
        }
    )
    write_weights_file(path, file_format=FORMAT, config_json=config_json,
                       state_dict=policy.state_dict(), what="policy")
    log.info("saved %s policy to %s", spec.env_id, path)
    return path


def _read(path: Path) -> tuple[CheckpointInfo, dict[str, torch.Tensor]]:
    config_json, state_dict = read_weights_file(path, file_format=FORMAT, what="policy")
    try:
        config = json.loads(config_json)
        version = int(config["format_version"])
        if version > FORMAT_VERSION:
            raise CheckpointError(
                path, f"policy format version {version} is newer than this CloneLab reads "
                f"({FORMAT_VERSION}); update CloneLab"
            )
        info = CheckpointInfo(
            env_id=str(config["env_id"]),
            observation_space=space_from_json(json.dumps(config["observation_space"])),
            action_space=space_from_json(json.dumps(config["action_space"])),
            architecture=dict(config["architecture"]),
            train_config=TrainConfig.from_dict(config["train_config"]),
            pipeline=ObservationPipeline.from_dict(config.get("preprocessing")),
            dataset_fingerprint=str(config["dataset_fingerprint"]),
            clonelab_version=str(config["clonelab_version"]),
            created=str(config["created"]),
        )
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(path, f"damaged policy config ({type(error).__name__}: {error})") \
            from error
    return info, state_dict


def read_checkpoint_info(path: str | os.PathLike[str]) -> CheckpointInfo:
    """The JSON side of a checkpoint (env, spaces, training config, dataset fingerprint)."""
    return _read(Path(path))[0]


def load_policy(path: str | os.PathLike[str], *, env_id: str | None = None) -> Policy:
    """Rebuild a saved policy on the CPU, in eval mode.

    Raises `PolicyEnvMismatch` when `env_id` is given and differs from the policy's env, and
    `CheckpointError` for a missing, truncated, foreign or tampered file.
    """
    path = Path(path)
    info, state_dict = _read(path)
    if env_id is not None and env_id != info.env_id:
        raise PolicyEnvMismatch(path, info.env_id, env_id)
    try:
        # PolicySpec checks the space types itself and raises UnsupportedSpaceError.
        spec = PolicySpec(
            env_id=info.env_id,
            observation_space=cast(gym.spaces.Box, info.observation_space),
            action_space=cast(gym.spaces.Discrete | gym.spaces.Box, info.action_space),
            hidden=tuple(int(size) for size in info.architecture["hidden"]),
            # Named since the first format version: "mlp", or "cnn" before "dqn" existed.
            torso=cast(TorsoName, info.architecture["torso"]),
            pipeline=info.pipeline,
            # Checkpoints from before the other heads name "gaussian" or "categorical".
            head=HeadSpec.from_architecture(info.architecture),
        )
        policy = Policy(spec)
        if isinstance(policy.torso, ConvTorso) and "torso.frame_mean" not in state_dict:
            # Written before image torsos centred their frames: zeros keep how they played.
            state_dict = {**state_dict, "torso.frame_mean": policy.torso.frame_mean}
        policy.load_state_dict(state_dict, strict=True)
    except (KeyError, TypeError, RuntimeError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(path, f"the weights do not fit the stored config ({first})") \
            from error
    check_finite(policy, path, "policy")
    return policy.eval()
