"""Who acts each step: human-gated takeover, ask-for-help, and rounds with a scripted human."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from clonelab.models.failures.ensemble import EnsembleConfig
from clonelab.models.failures.rounds import RoundsConfig, episode_seed, help_rounds
from clonelab.models.failures.takeover import (
    AskForHelp,
    HeldKeyHuman,
    HumanGate,
    ScriptedHuman,
    Solo,
    intervention_flags,
    play_episode,
)
from clonelab.models.failures.takeover_training import TAKEOVER_TAG, Retrained, TakeoverRounds
from clonelab.models.training import TrainConfig
from clonelab.recorder.catalog import get_entry, make_env
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.experts import make_expert
from clonelab.recorder.jobs import drain
from clonelab.recorder.session import PlaySession
from clonelab.recorder.sources import KeyboardSource
from tests.models.scripted_demos import Fixed, expert_demos


@pytest.fixture
def cartpole() -> PlaySession:
    env = make_env("CartPole-v1")
    yield PlaySession(env, env_id="CartPole-v1")
    env.close()


def _tilted(observation: np.ndarray) -> bool:
    return abs(float(observation[2])) > 0.05


def test_human_gate_saves_a_failing_agent_and_marks_its_interventions(
    cartpole: PlaySession, tmp_path: Path
) -> None:
    alone = play_episode(cartpole, Solo(Fixed(0)), seed=3, max_steps=200)
    assert not alone.interventions.any()

    expert = make_expert(cartpole.env)
    gate = HumanGate(Fixed(0), ScriptedHuman(make_expert(cartpole.env), looks_bad=_tilted))
    played = play_episode(cartpole, gate, seed=3, max_steps=200)
    flags = played.interventions
    assert played.episode.steps > 4 * alone.episode.steps  # the human kept the pole up longer
    assert 0 < flags.sum() < played.episode.steps
    np.testing.assert_array_equal(flags, intervention_flags(played.episode))
    starts = int(flags[0]) + int(np.sum(flags[1:] & ~flags[:-1]))
    assert gate.interventions == starts and gate.intervention_steps == flags.sum()
    human_states = played.episode.observations[:-1][flags]
    assert all(_tilted(state) for state in human_states)
    np.testing.assert_array_equal(played.episode.actions[flags],
                                  [expert.policy(state) for state in human_states])
    np.testing.assert_array_equal(played.episode.actions[~flags], 0)

    dataset = DemoDataset.create(tmp_path / "takeover", env_id="CartPole-v1",
                                 observation_space=cartpole.env.observation_space,
                                 action_space=cartpole.env.action_space)
    stored = dataset.load_episode(dataset.append(played.episode))
    np.testing.assert_array_equal(intervention_flags(stored), flags)
    assert set(stored.devices) == {"policy", "script"}


def test_held_key_takes_over_and_is_left_out_of_the_action() -> None:
    keyboard = KeyboardSource(get_entry("CartPole-v1").keyboard)
    human = HeldKeyHuman(keyboard, "shift")
    gate = HumanGate(Fixed(0), human)
    keyboard.press("right")
    assert gate.decide(np.zeros(4)).actor == "agent"
    keyboard.press("shift")
    decision = gate.decide(np.zeros(4))
    assert decision.actor == "human" and decision.device == "keyboard"
    assert decision.action == 1 and decision.agent_action == 0 and decision.intervention
    keyboard.release("shift")
    assert gate.decide(np.zeros(4)).actor == "agent"
    keyboard.press("shift")
    gate.decide(np.zeros(4))
    assert gate.interventions == 2 and gate.intervention_steps == 2  # two separate presses


def _ask(threshold: float = 1.0, agree_steps: int = 2) -> tuple[AskForHelp, Fixed, Fixed]:
    agent, human = Fixed(0), Fixed(1)
    gate = AskForHelp(agent, human, [lambda batch: batch[:, 0].astype(float)],
                      action_space=gym.spaces.Discrete(2), threshold=threshold,
                      agree_steps=agree_steps)
    gate.reset(0)
    return gate, agent, human


def test_ask_for_help_asks_above_the_threshold_and_hands_back_after_agreement() -> None:
    gate, _, human = _ask()
    calm, risky = np.array([0.5]), np.array([2.0])
    assert gate.decide(calm).actor == "agent"
    asked = gate.decide(risky)
    assert asked.requested_help and asked.actor == "human" and asked.action == 1
    assert asked.score == pytest.approx(2.0) and gate.mode == "human"
    assert not gate.decide(calm).requested_help  # still human: the actions disagree
    human.action = 0
    gate.decide(calm)
    assert gate.mode == "human"
    last = gate.decide(calm)  # the second agreeing step in a row hands back
    assert last.actor == "human" and gate.mode == "agent"
    assert gate.decide(calm).actor == "agent"
    assert gate.requests == 1 and gate.intervention_steps == 4
    gate.decide(risky)
    gate.release()
    assert gate.requests == 2 and gate.decide(calm).actor == "agent"
    gate.reset(1)
    assert gate.requests == 0 and gate.intervention_steps == 0


def test_ask_for_help_takes_the_highest_score_and_checks_its_settings() -> None:
    scores = [lambda b: np.zeros(len(b)), lambda b: np.full(len(b), 3.0)]
    gate = AskForHelp(Fixed(0), Fixed(1), scores, action_space=gym.spaces.Discrete(2))
    assert gate.risk(np.zeros(1)) == 3.0
    with pytest.raises(ValueError, match="risk score"):
        AskForHelp(Fixed(0), Fixed(1), [], action_space=gym.spaces.Discrete(2))
    with pytest.raises(ValueError, match="agree_steps"):
        AskForHelp(Fixed(0), Fixed(1), [np.zeros], action_space=gym.spaces.Discrete(2),
                   agree_steps=0)


def test_continuous_actions_agree_within_the_tolerance() -> None:
    space = gym.spaces.Box(-2.0, 2.0, (1,), np.float32)
    gate = AskForHelp(Fixed(np.array([0.0], np.float32)), Fixed(np.array([0.3], np.float32)),
                      [lambda b: np.full(len(b), 5.0)], action_space=space, agree_steps=1,
                      tolerance=0.1)
    gate.reset(0)
    gate.decide(np.zeros(3))  # asks; |0.3 - 0| = 7.5% of the range: agreeing, hands back
    assert gate.mode == "agent"
    gate.human.action = np.array([1.0], np.float32)
    gate.decide(np.zeros(3))
    assert gate.mode == "human"


def test_ask_for_help_requests_fall_across_rounds(tmp_path: Path) -> None:
    demos = expert_demos(tmp_path / "demos", "CartPole-v1", seeds=range(2))
    config = RoundsConfig(
        rounds=3, episodes_per_round=3, max_episode_steps=200, seed=0,
        ensemble=EnsembleConfig(members=3, train=TrainConfig(
            epochs=20, batch_size=64, hidden=(32, 32), seed=0, device="cpu",
            log_every=10**6)),
    )
    played = DemoDataset.create(tmp_path / "played", env_id="CartPole-v1",
                                observation_space=demos.observation_space,
                                action_space=demos.action_space)
    result = drain(help_rounds(
        config, demos, lambda env: ScriptedHuman(make_expert(env)), record_to=played))
    requests = [record.requests_per_episode for record in result.history]
    assert not result.cancelled and len(requests) == 3
    assert requests[0] >= 1.0
    assert requests[-1] <= 0.5 * requests[0]
    labels = [record.labels for record in result.history]
    assert labels[0] > 0 and labels == sorted(labels)
    assert len(played) == 9
    info = played.episode_info(played.episode_ids[0])
    assert info.tags == ("ask-for-help", "round=0")
    human_steps = sum(played.episode_info(i).actor_steps.get("human", 0)
                      for i in played.episode_ids)
    assert human_steps == labels[-1]  # every human step became a label


def test_takeover_rounds_book_episodes_seeds_and_keep_the_first_scores() -> None:
    rounds = TakeoverRounds()
    assert rounds.next_seed(2) == episode_seed(2, 0, 0) == 2_000_000
    first, second, third = object(), object(), object()  # stand-ins for EpisodeData
    assert not rounds.add_episode(first, 3, episodes_per_round=2)
    assert rounds.next_seed(2) == 2_000_001
    assert rounds.add_episode(second, 1, episodes_per_round=2)  # the round is complete
    assert rounds.counts == [3, 1] and rounds.tags("gate") == (TAKEOVER_TAG, "gate", "round=0")
    trained = Retrained(ensemble=None, scores=("round 0",), labels=4, rows=10)
    rounds.retrained(trained, committed=2)
    assert (rounds.round, rounds.counts, rounds.pending) == (1, [], [])
    assert rounds.next_seed(2) == episode_seed(2, 1, 0) == 2_001_000
    rounds.add_episode(third, 0, episodes_per_round=2)
    rounds.retrained(Retrained(ensemble=None, scores=("round 1",), labels=4, rows=10), 0)
    assert rounds.round == 1 and rounds.pending == [third]  # nothing committed: same round
    assert rounds.first_scores == ("round 0",)  # later rounds keep the first round's scales
