"""Benchmark 4: what recording costs per step, against the env's own step + render time.

LunarLander-v3 with ``render_mode="rgb_array"``, the scripted expert (``recorder.experts``)
playing the same seeded episodes two ways, alternating episode by episode so that load from
other users hits both (the expert is deterministic: same seed, same actions; its own time is
not counted):

* bare: ``env.step(a)`` then ``env.render()``;
* recorded: ``PlaySession.step(a, actor="expert", device="script")`` then ``env.render()``.

The env is wrapped in a stopwatch, so in the recorded runs the time spent inside ``env.step``
is known exactly; the session's own cost per step is the session step minus that, a number
other users' load hardly moves (the A/B difference of the two ways is reported too). The
commit (``finish_episode`` + ``DemoDataset.append``) happens once per episode and is timed apart.

    .venv/bin/python bench/recording_overhead.py
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
from benchlib import machine, summary, write_json

from clonelab.recorder.catalog import make_env
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.experts import make_expert
from clonelab.recorder.session import PlaySession
from clonelab.recorder.sources import ActionSource

HERE = Path(__file__).resolve().parent
ENV_ID = "LunarLander-v3"


class StepStopwatch(gym.Wrapper):
    """Adds up the seconds spent inside the wrapped env's ``step``."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.seconds = 0.0

    def step(self, action: Any) -> tuple[Any, ...]:
        """The wrapped env's step, timed."""
        start = time.perf_counter()
        out = self.env.step(action)
        self.seconds += time.perf_counter() - start
        return out


def play_bare(env: gym.Env, expert: ActionSource, seed: int) -> tuple[int, float]:
    """(steps, seconds in step + render) for one episode."""
    obs, _ = env.reset(seed=seed)
    expert.reset(seed=seed)
    seconds, steps, done = 0.0, 0, False
    while not done:
        action = expert.act(obs)
        start = time.perf_counter()
        obs, _, terminated, truncated, _ = env.step(action)
        env.render()
        seconds += time.perf_counter() - start
        steps += 1
        done = terminated or truncated
    return steps, seconds


def play_recorded(
    session: PlaySession, env: StepStopwatch, expert: ActionSource, seed: int
) -> tuple[int, float, float, float]:
    """(steps, seconds in session.step + render, of which in env.step, seconds in render)."""
    obs = session.reset(seed=seed)
    expert.reset(seed=seed)
    env.seconds = 0.0
    seconds = render_s = 0.0
    steps, done = 0, False
    while not done:
        action = expert.act(obs)
        start = time.perf_counter()
        outcome = session.step(action, actor="expert", device="script")
        mid = time.perf_counter()
        env.render()
        end = time.perf_counter()
        seconds += end - start
        render_s += end - mid
        steps += 1
        obs, done = outcome.obs, outcome.terminated or outcome.truncated
    return steps, seconds, env.seconds, render_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "recording_overhead.json")
    args = parser.parse_args()

    bare_env = make_env(ENV_ID, render_mode="rgb_array")
    timed_env = StepStopwatch(make_env(ENV_ID, render_mode="rgb_array"))
    session = PlaySession(timed_env, env_id=ENV_ID)
    bare_expert, session_expert = make_expert(bare_env), make_expert(timed_env)
    workdir = Path(tempfile.mkdtemp(prefix="clonelab-bench-rec-"))
    ds = DemoDataset.create(workdir / "demos", env_id=ENV_ID,
                            observation_space=timed_env.observation_space,
                            action_space=timed_env.action_space)
    before = machine()
    # Warm-up: first renders set up pygame surfaces.
    play_bare(bare_env, bare_expert, 999)
    play_recorded(session, timed_env, session_expert, 999)
    session.finish_episode()

    episodes = []
    for i in range(args.episodes):
        # Alternate which way goes first, so neither always meets a warmer cache.
        if i % 2 == 0:
            bare_steps, bare_s = play_bare(bare_env, bare_expert, i)
            steps, rec_s, inner_step_s, render_s = play_recorded(
                session, timed_env, session_expert, i)
        else:
            steps, rec_s, inner_step_s, render_s = play_recorded(
                session, timed_env, session_expert, i)
            bare_steps, bare_s = play_bare(bare_env, bare_expert, i)
        if steps != bare_steps:
            raise RuntimeError(f"episode {i}: {steps} recorded steps vs {bare_steps} bare")
        start = time.perf_counter()
        episode = session.finish_episode()
        frozen = time.perf_counter()
        ds.append(episode)
        committed = time.perf_counter()
        env_s = inner_step_s + render_s
        episodes.append({
            "seed": i,
            "steps": steps,
            "overhead_s": rec_s - env_s,
            "env_s": env_s,
            "bare_us_per_step": 1e6 * bare_s / steps,
            "recorded_us_per_step": 1e6 * rec_s / steps,
            "env_step_render_us_per_step": 1e6 * env_s / steps,
            "session_overhead_us_per_step": 1e6 * (rec_s - env_s) / steps,
            "session_overhead_pct": 100 * (rec_s - env_s) / env_s,
            "ab_overhead_pct": 100 * (rec_s - bare_s) / bare_s,
            "finish_episode_ms": 1e3 * (frozen - start),
            "append_ms": 1e3 * (committed - frozen),
            "commit_us_per_step": 1e6 * (committed - start) / steps,
        })
    bare_env.close()
    timed_env.close()
    shutil.rmtree(workdir)

    keys = [k for k in episodes[0] if k not in ("seed", "overhead_s", "env_s")]
    total_steps = sum(e["steps"] for e in episodes)
    report = {
        "command": " ".join(sys.argv),
        "env_id": ENV_ID,
        "episodes": args.episodes,
        "total_steps": total_steps,
        "machine_before": before,
        "machine_after": machine(),
        "per_episode": {k: summary([e[k] for e in episodes]) for k in keys},
        "pooled_session_overhead_pct": 100 * sum(e["overhead_s"] for e in episodes)
        / sum(e["env_s"] for e in episodes),
        "episodes_raw": episodes,
    }
    write_json(args.out, report)
    print({k: round(v["median"], 3) for k, v in report["per_episode"].items()})
    print({"pooled_session_overhead_pct": report["pooled_session_overhead_pct"]})


if __name__ == "__main__":
    main()
