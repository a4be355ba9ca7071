"""PlaySession records what was played: observations, actions, who acted, when, and seeds."""

from __future__ import annotations

import math
import time

import gymnasium as gym
import numpy as np
import pytest

from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.session import GuardedSession, PlaySession, SessionStateError


def play(session: PlaySession, actions, actors=("human",), devices=("keyboard",)):
    outcomes = []
    for t, action in enumerate(actions):
        outcomes.append(session.step(action, actor=actors[t % len(actors)],
                                     device=devices[t % len(devices)]))
        if session.episode_over:
            break
    return outcomes


def test_records_observations_actions_actors_devices_and_timestamps():
    env = gym.make("CartPole-v1")
    session = PlaySession(env, env_id="CartPole-v1")
    before = time.time()
    first = session.reset(seed=3, options={"low": -0.02, "high": 0.02})
    actions = [0, 1] * 300
    outcomes = play(session, actions, actors=("human", "expert"),
                    devices=("keyboard", "script"))
    after = time.time()

    episode = session.finish_episode()

    steps = len(outcomes)
    assert session.episode_over and outcomes[-1].terminated
    assert episode.steps == steps == outcomes[-1].step
    assert episode.observations.shape == (steps + 1, 4)
    np.testing.assert_array_equal(episode.observations[0], first)
    np.testing.assert_array_equal(episode.observations[1:], [o.obs for o in outcomes])
    np.testing.assert_array_equal(episode.actions, actions[:steps])
    assert episode.actions.dtype == np.int64
    assert episode.episode_return == pytest.approx(outcomes[-1].episode_return) == steps
    assert episode.terminations[-1] and not episode.truncations.any()
    assert episode.actors[:2] == ("human", "expert") and len(episode.actors) == steps
    assert episode.devices[:2] == ("keyboard", "script")
    assert episode.seed == 3 and episode.options == {"low": -0.02, "high": 0.02}
    assert before <= episode.timestamps[0] and episode.timestamps[-1] <= after
    assert np.all(np.diff(episode.timestamps) >= 0) and len(episode.timestamps) == steps + 1
    assert episode.fps > 0 and math.isfinite(episode.fps)


def test_recorded_seed_replays_the_episode():
    env = gym.make("CartPole-v1")
    session = PlaySession(env, env_id="CartPole-v1")
    session.reset()  # no seed given: one is drawn and recorded
    play(session, [1, 0, 0, 1, 1] * 20)
    recorded = session.finish_episode()

    assert isinstance(recorded.seed, int)
    session.reset(seed=recorded.seed)
    play(session, recorded.actions)
    replayed = session.finish_episode()
    np.testing.assert_array_equal(replayed.observations, recorded.observations)


def test_box_actions_and_time_limit_truncation():
    env = gym.make("Pendulum-v1")
    session = PlaySession(env, env_id="Pendulum-v1")
    session.reset(seed=0)
    rng = np.random.default_rng(0)
    actions = rng.uniform(-2, 2, (300, 1)).astype(np.float32)
    outcomes = play(session, actions, actors=("agent",), devices=("policy",))
    episode = session.finish_episode()

    assert len(outcomes) == 200 and outcomes[-1].truncated
    assert episode.actions.shape == (200, 1) and episode.actions.dtype == np.float32
    np.testing.assert_array_equal(episode.actions, actions[:200])
    assert episode.truncations[-1] and not episode.terminations.any()
    assert set(episode.actors) == {"agent"} and set(episode.devices) == {"policy"}


def test_stopping_early_records_a_truncated_episode():
    env = gym.make("CartPole-v1")
    session = PlaySession(env, env_id="CartPole-v1")
    session.reset(seed=1)
    play(session, [0, 1, 0])
    assert not session.episode_over
    episode = session.finish_episode()
    assert episode.steps == 3
    assert list(episode.truncations) == [False, False, True]
    assert not episode.terminations.any()


def test_step_refuses_when_no_episode_runs_or_actor_is_unknown():
    env = gym.make("CartPole-v1")
    session = PlaySession(env, env_id="CartPole-v1")
    with pytest.raises(SessionStateError, match="reset"):
        session.step(0)
    session.reset(seed=0)
    with pytest.raises(ValueError, match="actor 'robot'"):
        session.step(0, actor="robot")
    with pytest.raises(ValueError, match="device 'mouse'"):
        session.step(0, device="mouse")
    assert session.steps == 0  # a refused step is not recorded
    play(session, [0] * 600)
    with pytest.raises(SessionStateError, match="episode is over"):
        session.step(0)
    session.finish_episode()
    with pytest.raises(SessionStateError, match="no episode to finish"):
        session.finish_episode()


class ReusedArrayEnv(gym.Env):
    """Returns the same observation array every step, mutated in place (as some envs do)."""

    observation_space = gym.spaces.Box(-np.inf, np.inf, (2,), np.float64)
    action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)

    def __init__(self):
        self._state = np.zeros(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self._state[:] = 0.0
        return self._state, {}

    def step(self, action):
        self._state += action
        return self._state, 1.0, False, False, {}


def test_buffer_keeps_its_own_copies_of_reused_arrays():
    session = PlaySession(ReusedArrayEnv(), env_id="ReusedArray-v0")
    session.reset(seed=0)
    action = np.ones(2, np.float32)
    for _ in range(3):
        session.step(action, actor="agent", device="policy")
        action *= 2  # the policy reuses its action buffer too
    episode = session.finish_episode()
    np.testing.assert_array_equal(episode.observations[:, 0], [0, 1, 3, 7])
    np.testing.assert_array_equal(episode.actions[:, 0], [1, 2, 4])


def test_session_episode_round_trips_through_the_dataset(tmp_path):
    env = gym.make("CartPole-v1")
    session = PlaySession(env, env_id="CartPole-v1")
    dataset = DemoDataset.create(tmp_path / "cartpole", env_id="CartPole-v1",
                                 observation_space=env.observation_space,
                                 action_space=env.action_space)
    session.reset(seed=11)
    play(session, [1, 1, 0] * 200, actors=("human", "human", "expert"))
    episode = session.finish_episode()

    episode_id = dataset.append(episode)
    loaded = DemoDataset.open(tmp_path / "cartpole").load_episode(episode_id)

    np.testing.assert_array_equal(loaded.observations, episode.observations)
    np.testing.assert_array_equal(loaded.timestamps, episode.timestamps)
    assert loaded.actors == episode.actors and loaded.devices == episode.devices
    assert loaded.seed == 11 and loaded.fps == episode.fps


class BrokenStepEnv(ReusedArrayEnv):
    """Resets, then fails on its second step."""

    def step(self, action):
        if self._state[0] >= 1.0:
            raise RuntimeError("the simulator crashed\nmore detail")
        return super().step(action)


def test_a_guarded_session_ends_the_episode_on_a_failing_step_and_reports_it():
    errors = []
    session = GuardedSession(PlaySession(BrokenStepEnv(), env_id="Broken-v0"), errors.append)
    first = session.reset(seed=0).copy()
    action = np.ones(2, np.float32)
    assert not session.step(action).truncated
    outcome = session.step(action)
    assert outcome.truncated and not outcome.terminated and outcome.reward == 0.0
    assert outcome.step == session.steps == 1 and "the simulator crashed" in outcome.info["error"]
    assert errors == ["The env failed: RuntimeError: the simulator crashed"]
    assert first.tolist() == [0.0, 0.0]


def test_freezing_stacks_every_observation_as_np_stack_would_and_uses_the_buffer_up() -> None:
    """Frames are copied into the stacked array one by one and leave the buffer as they go
    (a Pong game's 1.2 GB of frames was held twice); a later, wider dtype still widens."""
    import gymnasium as gym
    import numpy as np

    from clonelab.recorder.episode import EpisodeBuffer

    space = gym.spaces.Box(-10.0, 10.0, (3,), np.float64)
    rows = [np.arange(3, dtype=np.float32), np.array([0.1, 0.2, 0.3], dtype=np.float64),
            np.ones(3, dtype=np.float32)]
    buffer = EpisodeBuffer(rows[0], seed=0, options=None, timestamp=0.0)
    for step, row in enumerate(rows[1:], start=1):
        buffer.add(0, row, 1.0, step == 2, False, actor="expert", device="script",
                   timestamp=float(step))
    episode = buffer.freeze(space, gym.spaces.Discrete(2))
    expected = np.stack(rows)
    assert episode.observations.dtype == expected.dtype == np.float64
    assert np.array_equal(episode.observations, expected)
    assert buffer._observations == []  # used up: nothing is held twice
