"""Checkpoints: round trips, env mismatch, damaged and foreign files, and no code on load."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

from clonelab.models.checkpoint import (
    CheckpointError,
    PolicyEnvMismatch,
    load_policy,
    read_checkpoint_info,
    save_policy,
)
from clonelab.models.heads import HeadSpec
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from tests.models.fakes import FakeDataset

CONFIG = TrainConfig(steps=20, log_every=10, hidden=(32, 16), batch_size=64, device="cpu")


@pytest.fixture(scope="module")
def cartpole_file(tmp_path_factory: pytest.TempPathFactory, cartpole_demos: FakeDataset) -> Path:
    result = drain(train_bc(CONFIG, cartpole_demos))
    path = tmp_path_factory.mktemp("ckpt") / "cartpole.pt"
    save_policy(path, result.policy, CONFIG, dataset_fingerprint=result.dataset_fingerprint)
    return path


def untrained(obs: gym.Space, act: gym.Space, env_id: str) -> Policy:
    torch.manual_seed(0)
    return Policy(PolicySpec(env_id=env_id, observation_space=obs, action_space=act,
                             hidden=(16,)))


def test_a_trained_policy_round_trips_with_identical_actions(
    tmp_path: Path, cartpole_demos: FakeDataset
) -> None:
    result = drain(train_bc(CONFIG, cartpole_demos))
    path = save_policy(tmp_path / "p.pt", result.policy, CONFIG, dataset_fingerprint="abc")
    loaded = load_policy(path, env_id="CartPole-v1")
    observations = torch.as_tensor(cartpole_demos.transitions().observations)
    assert torch.equal(loaded.act(observations), result.policy.act(observations))
    state = result.policy.state_dict()
    assert all(torch.equal(loaded.state_dict()[key], value) for key, value in state.items())
    assert not loaded.training
    assert os.listdir(tmp_path) == ["p.pt"]  # no temporary file left behind


@pytest.mark.parametrize(
    ("obs", "act"),
    [
        (gym.spaces.Box(0, 255, (12, 10, 3), np.uint8), gym.spaces.Discrete(3, start=1)),
        (gym.spaces.Box(0, 255, (84, 84, 4), np.uint8), gym.spaces.Discrete(6)),  # "dqn"
        (gym.spaces.Box(-np.inf, np.inf, (3,), np.float32),
         gym.spaces.Box(np.array([-2.0, 0.0], np.float32), np.array([2.0, np.inf], np.float32))),
    ],
)
def test_image_and_gaussian_policies_round_trip(tmp_path: Path, obs: gym.Space,
                                                act: gym.Space) -> None:
    policy = untrained(obs, act, "Custom-v0")
    save_policy(tmp_path / "p.pt", policy, CONFIG)
    loaded = load_policy(tmp_path / "p.pt")
    assert loaded.spec.observation_space == obs and loaded.spec.action_space == act
    batch = torch.as_tensor(np.stack([obs.sample() for _ in range(5)]))
    assert torch.equal(loaded.act(batch), policy.act(batch))
    draws = [p.act(batch, deterministic=False, generator=torch.Generator().manual_seed(1))
             for p in (policy, loaded)]
    assert torch.equal(*draws)


# Saved by CloneLab before the "dqn" torso (commit d213899): a 48x40 RGB policy with the
# stride-2 "cnn" torso, which the default would no longer pick for frames this size.
LEGACY_CNN = Path(__file__).parent / "data" / "legacy_cnn_policy.pt"
LEGACY_PROBABILITIES = [
    [0.3559130132198334, 0.339141309261322, 0.30494561791419983],
    [0.3560010492801666, 0.3396495282649994, 0.304349422454834],
    [0.3575272262096405, 0.33940571546554565, 0.30306699872016907],
    [0.35669928789138794, 0.33996275067329407, 0.3033379018306732],
]


def test_a_checkpoint_from_before_the_dqn_torso_loads_and_acts_as_it_did() -> None:
    policy = load_policy(LEGACY_CNN)
    assert policy.spec.torso_name == "cnn"
    frames = torch.as_tensor(np.random.default_rng(0).integers(0, 256, (4, 48, 40, 3),
                                                               dtype=np.uint8))
    probabilities = policy.action_probabilities(frames)
    assert torch.allclose(probabilities, torch.tensor(LEGACY_PROBABILITIES), atol=1e-6)


def test_the_json_config_records_where_the_policy_came_from(cartpole_file: Path) -> None:
    info = read_checkpoint_info(cartpole_file)
    assert info.env_id == "CartPole-v1"
    assert info.train_config == CONFIG
    assert info.architecture["torso"] == "mlp" and info.architecture["hidden"] == [32, 16]
    assert info.architecture["head"] == "categorical"
    assert len(info.dataset_fingerprint) > 0 and info.clonelab_version
    assert info.action_space == gym.spaces.Discrete(2)


def test_another_env_is_a_mismatch_naming_both(cartpole_file: Path) -> None:
    with pytest.raises(PolicyEnvMismatch, match="trained on CartPole-v1, not Pendulum-v1"):
        load_policy(cartpole_file, env_id="Pendulum-v1")


def test_a_truncated_file_is_a_one_line_error(tmp_path: Path, cartpole_file: Path) -> None:
    data = cartpole_file.read_bytes()
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated.pt: not a readable") as error:
        load_policy(truncated)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a readable"),
        (b"hello, not a policy\n", "not a readable"),
        (None, "no clonelab-policy marker"),
    ],
)
def test_foreign_files_are_refused(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "foreign.pt"
    if content is None:
        torch.save({"weights": torch.zeros(3)}, path)  # a valid torch file, not ours
    else:
        path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message):
        load_policy(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="nope.pt: no such policy file"):
        load_policy(tmp_path / "nope.pt")


def test_a_damaged_config_is_refused(tmp_path: Path, cartpole_file: Path) -> None:
    payload = torch.load(cartpole_file, weights_only=True)
    config = json.loads(payload["config_json"])
    del config["action_space"]
    payload["config_json"] = json.dumps(config)
    torch.save(payload, tmp_path / "damaged.pt")
    with pytest.raises(CheckpointError, match="damaged policy config.*action_space"):
        load_policy(tmp_path / "damaged.pt")


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path: Path,
                                                        cartpole_file: Path) -> None:
    payload = torch.load(cartpole_file, weights_only=True)
    payload["state_dict"]["head.logits.weight"] = torch.zeros(5, 16)
    torch.save(payload, tmp_path / "mismatched.pt")
    with pytest.raises(CheckpointError, match="weights do not fit"):
        load_policy(tmp_path / "mismatched.pt")


def test_a_newer_format_asks_for_an_update(tmp_path: Path, cartpole_file: Path) -> None:
    payload = torch.load(cartpole_file, weights_only=True)
    config = json.loads(payload["config_json"])
    config["format_version"] = 99
    payload["config_json"] = json.dumps(config)
    torch.save(payload, tmp_path / "future.pt")
    with pytest.raises(CheckpointError, match="newer than this CloneLab reads"):
        load_policy(tmp_path / "future.pt")


class Payload:
    """Unpickling this object runs a shell command: what a malicious checkpoint would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def test_a_malicious_pickle_is_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    # Shaped like a real checkpoint, with the payload where the weights go.
    torch.save({"format": "clonelab-policy", "config_json": "{}",
                "state_dict": {"w": Payload(marker)}}, evil)
    raw = tmp_path / "evil.pkl"
    raw.write_bytes(pickle.dumps({"state_dict": Payload(marker)}, protocol=2))
    for path in (evil, raw):
        with pytest.raises(CheckpointError, match="not a readable CloneLab policy"):
            load_policy(path)
    assert not marker.exists()
    # Control: the same file does run its command when loaded the unsafe way.
    torch.load(evil, weights_only=False)
    assert marker.exists()


def test_saving_into_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    policy = untrained(gym.spaces.Box(-1, 1, (2,), np.float32), gym.spaces.Discrete(2), "X-v0")
    with pytest.raises(CheckpointError, match="cannot write the policy"):
        save_policy(tmp_path / "missing" / "p.pt", policy, CONFIG)


def test_overwriting_keeps_the_old_file_until_the_new_one_is_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = untrained(gym.spaces.Box(-1, 1, (2,), np.float32), gym.spaces.Discrete(2), "X-v0")
    path = save_policy(tmp_path / "p.pt", policy, CONFIG)
    before = path.read_bytes()

    def failing_save(obj: object, file: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", failing_save)
    with pytest.raises(CheckpointError, match="p.pt: cannot write the policy.*No space left"):
        save_policy(path, policy, CONFIG)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["p.pt"]


@pytest.mark.parametrize("bad", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_non_finite_weights_are_refused_in_one_line(tmp_path: Path, cartpole_file: Path,
                                                    bad: float) -> None:
    payload = torch.load(cartpole_file, weights_only=True)
    payload["state_dict"]["head.logits.weight"][0, 3] = bad
    torch.save(payload, tmp_path / "diverged.pt")
    with pytest.raises(CheckpointError) as refused:
        load_policy(tmp_path / "diverged.pt")
    message = str(refused.value)
    assert len(message.splitlines()) == 1
    assert "diverged.pt: " in message and "NaN or infinite" in message
    assert "head.logits.weight" in message


@pytest.mark.parametrize(("head", "named"), [
    (HeadSpec(kind="mixture", components=3), {"head": "mixture", "head_components": 3}),
    (HeadSpec(kind="discretised", bins=7), {"head": "discretised", "head_bins": 7}),
    (HeadSpec(), {"head": "gaussian"}),
])
def test_a_box_policy_keeps_its_head_and_its_parameters(tmp_path: Path, head: HeadSpec,
                                                        named: dict) -> None:
    env = gym.make("Pendulum-v1")
    torch.manual_seed(0)
    policy = Policy(PolicySpec(env_id="Pendulum-v1", observation_space=env.observation_space,
                               action_space=env.action_space, hidden=(8,), head=head))
    config = TrainConfig(head=head.kind, components=head.components, bins=head.bins)
    path = save_policy(tmp_path / "p.pt", policy, config)
    info = read_checkpoint_info(path)
    assert {key: info.architecture[key] for key in named} == named
    assert info.train_config == config
    loaded = load_policy(path)
    assert loaded.spec.head == head
    observations = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    assert torch.equal(loaded.act(observations), policy.act(observations))
    draws = [p.act(observations, deterministic=False, generator=torch.Generator().manual_seed(1))
             for p in (policy, loaded)]
    assert torch.equal(*draws)


def test_box_checkpoints_from_before_the_heads_load_as_gaussian(tmp_path: Path) -> None:
    env = gym.make("Pendulum-v1")
    policy = untrained(env.observation_space, env.action_space, "Pendulum-v1")
    path = save_policy(tmp_path / "old.pt", policy, TrainConfig())
    payload = torch.load(path, weights_only=True)
    config = json.loads(payload["config_json"])
    for key in ("head", "components", "bins"):  # what files written before issue 11 lack
        del config["train_config"][key]
    assert config["architecture"]["head"] == "gaussian"  # as they wrote it
    payload["config_json"] = json.dumps(config)
    torch.save(payload, path)
    loaded = load_policy(path)
    assert loaded.spec.head == HeadSpec() and read_checkpoint_info(path).train_config.head == \
        "gaussian"
    observations = torch.randn(5, 3)
    assert torch.equal(loaded.act(observations), policy.act(observations))
    assert read_checkpoint_info(LEGACY_CNN).train_config.head == "gaussian"


def test_an_unknown_head_is_refused_by_name(tmp_path: Path, cartpole_file: Path) -> None:
    payload = torch.load(cartpole_file, weights_only=True)
    config = json.loads(payload["config_json"])
    config["architecture"]["head"] = "diffusion"
    payload["config_json"] = json.dumps(config)
    torch.save(payload, tmp_path / "unknown.pt")
    with pytest.raises(CheckpointError, match="unknown policy head 'diffusion'"):
        load_policy(tmp_path / "unknown.pt")
