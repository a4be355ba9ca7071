"""The observation pipeline: the same preprocessing and history in training, play and eval."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import pytest
import torch

from clonelab.models.agent import PolicyAgent
from clonelab.models.checkpoint import load_policy, read_checkpoint_info, save_policy
from clonelab.models.evaluation import check_fits, evaluate
from clonelab.models.failures.ensemble import EnsembleConfig, train_ensemble
from clonelab.models.observations import (
    ObservationHistory,
    ObservationPipeline,
    default_pipeline,
    episode_inputs,
    preprocess_frames,
)
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.train_device import DeviceRows
from clonelab.models.train_inputs import StackedRows, load_inputs
from clonelab.models.training import TrainConfig, TrainingError, train_bc
from clonelab.models.twin_run import close_run, demo_and_clone
from clonelab.recorder.jobs import drain
from tests.models.fakes import FakeDataset, FakeEpisode

VECTOR = gym.spaces.Box(-10.0, 10.0, (2,), np.float32)
FRAMES = gym.spaces.Box(0, 255, (8, 6, 3), np.uint8)
CONFIG = TrainConfig(steps=20, hidden=(16,), batch_size=32, device="cpu", history=3)


def _recording(policy: Policy) -> list[torch.Tensor]:
    """The inputs the policy's network is given, in order."""
    seen: list[torch.Tensor] = []
    features = policy.features

    def spy(observations: torch.Tensor) -> torch.Tensor:
        seen.append(observations.detach().cpu().clone())
        return features(observations)

    policy.features = spy  # type: ignore[method-assign]
    return seen


def _vector_policy(history: int) -> Policy:
    spec = PolicySpec(env_id="CartPole-v1", observation_space=gym.make("CartPole-v1")
                      .observation_space, action_space=gym.spaces.Discrete(2), hidden=(8,),
                      pipeline=ObservationPipeline(history=history))
    return Policy(spec)


def test_agent_stacks_a_known_sequence_oldest_first_and_starts_over_after_reset() -> None:
    policy = _vector_policy(3)
    seen = _recording(policy)
    agent = PolicyAgent(policy)
    steps = [np.full(4, value, np.float32) for value in (1, 2, 3, 4)]
    for observation in steps:
        agent.act(observation)
    agent.reset()
    agent.act(np.full(4, 9, np.float32))
    firsts = [inputs.reshape(3, 4)[:, 0].tolist() for inputs in seen]
    assert firsts == [[1, 1, 1], [1, 1, 2], [1, 2, 3], [2, 3, 4], [9, 9, 9]]


def test_asking_for_the_distribution_then_acting_adds_the_step_once() -> None:
    policy = _vector_policy(2)
    seen = _recording(policy)
    agent = PolicyAgent(policy)
    for value in (1, 2):
        observation = np.full(4, value, np.float32)
        agent.action_distribution(observation)
        agent.act(observation)
    assert [inputs.reshape(2, 4)[:, 0].tolist() for inputs in seen] == [
        [1, 1], [1, 1], [1, 2], [1, 2]]


def test_frames_are_cropped_greyed_resized_and_stacked_on_the_channel_axis() -> None:
    pipeline = ObservationPipeline(crop=(2, 0, 0, 2), size=(3, 2), grey=True, history=2)
    assert pipeline.input_shape(FRAMES) == (3, 2, 2)
    red = np.zeros((1, 8, 6, 3), np.uint8)
    red[..., 0] = 100  # luma 29.9 -> 30
    white = np.full((1, 8, 6, 3), 200, np.uint8)
    history = ObservationHistory(pipeline, FRAMES)
    first = history.push(red)
    second = history.push(white)
    assert first.shape == (1, 3, 2, 2) and first.dtype == torch.uint8
    def channels(inputs: torch.Tensor) -> list[list[int]]:
        return [inputs[0, ..., c].unique().tolist() for c in range(2)]

    assert channels(first) == [[30], [30]] and channels(second) == [[30], [200]]


def test_training_inputs_of_step_t_are_steps_t_minus_k_plus_1_to_t_repeating_the_start() -> None:
    rows = np.arange(6, dtype=np.float32)[:, None]  # row i holds the value i
    episode_ids = np.array([0, 0, 0, 7, 7, 7])
    stacked = StackedRows(DeviceRows(rows, torch.device("cpu")), episode_ids, 3)
    inputs = stacked.gather(torch.arange(6))
    assert inputs.tolist() == [[0, 0, 0], [0, 0, 1], [0, 1, 2], [3, 3, 3], [3, 3, 4], [3, 4, 5]]
    # Recorded episodes replayed through the pipeline give the same inputs as training.
    replay = episode_inputs(ObservationPipeline(history=3), rows, episode_ids)
    assert torch.equal(replay, inputs)


def test_evaluation_keeps_one_history_per_episode_like_the_agent() -> None:
    policy = _vector_policy(3)
    policy.eval()
    result = evaluate(policy, "CartPole-v1", episodes=3, seed=5, max_steps=40)
    env = gym.make("CartPole-v1")
    agent = PolicyAgent(policy)
    for episode in range(3):
        observation, _ = env.reset(seed=5 + episode)
        agent.reset()
        total, steps, done = 0.0, 0, False
        while not done and steps < 40:
            observation, reward, terminated, truncated, _ = env.step(agent.act(observation))
            total, steps, done = total + float(reward), steps + 1, terminated or truncated
        assert (result.returns[episode], result.lengths[episode]) == (total, steps)
    env.close()


def _vector_demos(lengths: tuple[int, ...]) -> FakeDataset:
    rng = np.random.default_rng(0)
    episodes = [FakeEpisode(rng.normal(size=(n + 1, 2)).astype(np.float32),
                            rng.integers(0, 2, n), np.zeros(n)) for n in lengths]
    return FakeDataset("Fake-v0", VECTOR, gym.spaces.Discrete(2), episodes)


def test_a_trained_pipeline_round_trips_through_a_checkpoint(tmp_path) -> None:
    result = drain(train_bc(CONFIG, _vector_demos((30, 30))))
    assert result.policy.spec.pipeline == ObservationPipeline(history=3)
    path = save_policy(tmp_path / "p.pt", result.policy, CONFIG)
    loaded = load_policy(path)
    assert loaded.spec.pipeline == ObservationPipeline(history=3)
    assert read_checkpoint_info(path).train_config == CONFIG
    observations = [np.full(2, value, np.float32) for value in (0.5, -1.0, 2.0, 0.0)]
    trained, reloaded = PolicyAgent(result.policy.cpu()), PolicyAgent(loaded)
    trained_p = [trained.action_distribution(o).probabilities for o in observations]
    loaded_p = [reloaded.action_distribution(o).probabilities for o in observations]
    np.testing.assert_allclose(trained_p, loaded_p, rtol=1e-6)


def test_a_checkpoint_without_preprocessing_loads_with_the_identity(tmp_path) -> None:
    policy = _vector_policy(1)
    path = save_policy(tmp_path / "old.pt", policy, TrainConfig())
    payload = torch.load(path, weights_only=True)
    config = json.loads(payload["config_json"])
    del config["preprocessing"]
    payload["config_json"] = json.dumps(config)
    torch.save(payload, path)
    assert load_policy(path).spec.pipeline == ObservationPipeline()


def test_defaults_follow_the_env() -> None:
    atari = gym.spaces.Box(0, 255, (210, 160, 3), np.uint8)
    assert default_pipeline("ALE/Pong-v5", atari) == ObservationPipeline(
        size=(84, 84), grey=True, history=4)
    car = gym.spaces.Box(0, 255, (96, 96, 3), np.uint8)
    assert default_pipeline("CarRacing-v3", car) == ObservationPipeline(size=(64, 64), history=2)
    assert default_pipeline("MiniGrid-Empty-5x5-v0", FRAMES) == ObservationPipeline()
    assert default_pipeline("CartPole-v1", VECTOR) == ObservationPipeline()
    config = TrainConfig(history=2, colour="rgb", frame_size=(42, 42))
    assert config.pipeline_for("ALE/Pong-v5", atari) == ObservationPipeline(
        size=(42, 42), history=2)


# --- bad input: one line, nothing trained -----------------------------------------------------


def test_a_policy_whose_preprocessing_does_not_fit_the_env_is_refused() -> None:
    atari = gym.spaces.Box(0, 255, (210, 160, 3), np.uint8)
    spec = PolicySpec(env_id="ALE/Pong-v5", observation_space=atari,
                      action_space=gym.spaces.Discrete(6), hidden=(8,),
                      pipeline=default_pipeline("ALE/Pong-v5", atari))
    car = gym.spaces.Box(0, 255, (96, 96, 3), np.uint8)
    with pytest.raises(ValueError, match=r"trained on ALE/Pong-v5 does not fit CarRacing-v3: "
                                         r"observations \(96, 96, 3\) vs \(210, 160, 3\)"):
        check_fits(Policy(spec), "CarRacing-v3", car, gym.spaces.Discrete(6))
    with pytest.raises(ValueError, match="crop .* leaves nothing of 8x6 frames"):
        PolicySpec(env_id="X", observation_space=FRAMES, action_space=gym.spaces.Discrete(2),
                   pipeline=ObservationPipeline(crop=(4, 4, 0, 0)))


def test_a_dataset_mixing_frame_sizes_is_refused_naming_the_episode() -> None:
    rng = np.random.default_rng(0)

    def episode(shape: tuple[int, ...]) -> FakeEpisode:
        return FakeEpisode(rng.integers(0, 255, (6, *shape), dtype=np.uint8),
                           rng.integers(0, 2, 5), np.zeros(5))

    demos = FakeDataset("Fake-v0", FRAMES, gym.spaces.Discrete(2),
                        [episode((8, 6, 3)), episode((10, 6, 3))])
    config = TrainConfig(steps=5, device="cpu", frame_size=(4, 4))
    with pytest.raises(TrainingError, match=r"episode 1: observations have shape \(10, 6, 3\)"):
        drain(train_bc(config, demos))


def test_a_history_longer_than_every_episode_is_refused() -> None:
    with pytest.raises(TrainingError, match="history of 9 steps is longer than every episode "
                                            r"\(the longest has 6\)"):
        drain(train_bc(TrainConfig(steps=5, device="cpu", history=9), _vector_demos((4, 6))))


def test_image_options_on_vectors_are_refused() -> None:
    with pytest.raises(TrainingError, match="crop, frame size and grey apply to image frames"):
        drain(train_bc(TrainConfig(steps=5, device="cpu", frame_size=(4, 4)),
                       _vector_demos((6,))))
    with pytest.raises(ValueError, match="history must be a whole number"):
        TrainConfig(history=0)


def test_compare_plays_the_clone_with_the_agent_history_and_replays_from_scratch() -> None:
    policy = _vector_policy(3)
    env = gym.make("CartPole-v1")
    observation, _ = env.reset(seed=3)
    agent, observations, expected = PolicyAgent(policy), [observation], []
    for _ in range(12):
        expected.append(agent.act(observation))
        observation, _, terminated, truncated, _ = env.step(expected[-1])
        observations.append(observation)
        if terminated or truncated:
            break
    env.close()
    episode = SimpleNamespace(actions=np.asarray(expected), observations=np.asarray(observations),
                              seed=3, options=None, played_actions=None)
    run = demo_and_clone("CartPole-v1", episode, policy)
    try:
        for _replay in range(2):  # the second pass replays from the seed, history reset
            run.reset()
            played = []
            while run.step():
                played.append(run.right.last_action)
            assert played == expected
    finally:
        close_run(run)


def test_frames_are_converted_once_an_episode_at_a_time_as_a_whole_read_would() -> None:
    rng = np.random.default_rng(1)
    episodes = [FakeEpisode(rng.integers(0, 255, (n + 1, 8, 6, 3), dtype=np.uint8),
                            rng.integers(0, 2, n), np.zeros(n)) for n in (5, 7)]
    demos = FakeDataset("Fake-v0", FRAMES, gym.spaces.Discrete(2), episodes)
    pipeline = ObservationPipeline(size=(4, 4), grey=True, history=2)
    inputs = load_inputs(demos, pipeline)
    whole = demos.transitions()
    assert inputs.observations.dtype == np.uint8 and inputs.observations.shape == (12, 4, 4, 1)
    np.testing.assert_array_equal(inputs.observations,
                                  preprocess_frames(pipeline, whole.observations))
    np.testing.assert_array_equal(inputs.episode_ids, whole.episode_ids)
    result = drain(train_bc(TrainConfig(steps=3, hidden=(8,), device="cpu", history=2,
                                        frame_size=(4, 4), colour="grey"), demos))
    assert result.policy.spec.input_shape == (4, 4, 2)


def test_ensemble_members_read_no_history_and_refuse_one_asked_for() -> None:
    rng = np.random.default_rng(2)
    episodes = [FakeEpisode(rng.integers(0, 255, (9, 8, 6, 3), dtype=np.uint8),
                            rng.integers(0, 2, 8), np.zeros(8)) for _ in range(4)]
    demos = FakeDataset("ALE/Pong-v5", FRAMES, gym.spaces.Discrete(2), episodes)
    train = TrainConfig(steps=2, hidden=(8,), device="cpu", frame_size=(8, 6))
    result = drain(train_ensemble(EnsembleConfig(members=2, train=train), demos))
    assert result.ensemble.spec.pipeline == ObservationPipeline(size=(8, 6), grey=True)
    asked = EnsembleConfig(members=2, train=dataclasses.replace(train, history=2))
    with pytest.raises(ValueError, match="one observation per state; set history to 1"):
        drain(train_ensemble(asked, demos))


def test_an_observation_changed_in_place_counts_as_a_new_step() -> None:
    policy = _vector_policy(2)
    seen = _recording(policy)
    agent = PolicyAgent(policy)
    buffer = np.full(4, 1, np.float32)  # an env that reuses one array for every step
    agent.act(buffer)
    buffer[:] = 2
    agent.act(buffer)
    assert [inputs.reshape(2, 4)[:, 0].tolist() for inputs in seen] == [[1, 1], [1, 2]]
