"""One episode of a demo: the frozen record, the cheap buffer that fills it, and its checks."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import gymnasium as gym
import numpy as np

from clonelab.recorder import schema
from clonelab.recorder.dict_observations import flat_space, flatten_observation
from clonelab.recorder.memory import give_back_freed_memory


@dataclass(frozen=True, kw_only=True, eq=False)
class EpisodeData:
    """A finished episode of T steps, laid out as Minari does.

    ``observations`` and ``timestamps`` have T+1 rows (the reset observation first); the rest
    have T rows. ``timestamps`` are wall-clock seconds since the epoch (NaN when unknown);
    ``actors``/``devices`` name who acted at each step and through what; ``fps`` is the
    measured step rate while recording (NaN when unknown). ``played_actions`` are the actions
    the env was stepped with where ``actions`` hold labels that differ from them (a
    clean-labelled expert's choices, a DAgger teacher's); None when ``actions`` were played.
    """

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    terminations: np.ndarray
    truncations: np.ndarray
    timestamps: np.ndarray
    actors: tuple[str, ...]
    devices: tuple[str, ...]
    seed: int | None = None
    options: dict[str, Any] | None = None
    fps: float = math.nan
    played_actions: np.ndarray | None = None

    @property
    def steps(self) -> int:
        """T, the number of steps (actions taken)."""
        return len(self.rewards)

    def __len__(self) -> int:
        return self.steps

    @property
    def episode_return(self) -> float:
        """The undiscounted sum of rewards."""
        return float(np.sum(self.rewards, dtype=np.float64))


# Rows copied out of the buffer between two returns of their freed memory to the system.
TRIM_EVERY_ROWS = 1024


class EpisodeBuffer:
    """Collects a running episode with list appends only (about a microsecond a step)."""

    def __init__(self, observation: Any, *, seed: int | None, options: dict[str, Any] | None,
                 timestamp: float) -> None:
        self.seed = seed
        self.options = options
        self._observations = [_own(observation)]
        self._timestamps = [timestamp]
        self._actions: list[Any] = []
        self._rewards: list[float] = []
        self._terminations: list[bool] = []
        self._truncations: list[bool] = []
        self._actors: list[str] = []
        self._devices: list[str] = []
        self._return = 0.0

    def __len__(self) -> int:
        return len(self._rewards)

    @property
    def episode_return(self) -> float:
        """The sum of rewards so far."""
        return self._return

    def recent_fps(self, window: int = 30) -> float:
        """Steps per second over the last ``window`` steps (NaN before two timestamps)."""
        recent = self._timestamps[-(window + 1):]
        elapsed = recent[-1] - recent[0]
        return (len(recent) - 1) / elapsed if elapsed > 0 else math.nan

    def add(self, action: Any, observation: Any, reward: float, terminated: bool,
            truncated: bool, *, actor: str, device: str, timestamp: float) -> None:
        """Record one step: the action taken and what the env returned for it."""
        self._actions.append(_own(action))
        self._observations.append(_own(observation))
        self._rewards.append(reward)
        self._return += reward
        self._terminations.append(terminated)
        self._truncations.append(truncated)
        self._actors.append(actor)
        self._devices.append(device)
        self._timestamps.append(timestamp)

    def freeze(self, observation_space: gym.Space, action_space: gym.Space) -> EpisodeData:
        """Stack the buffer into an EpisodeData in the spaces' dtypes (Dict observations
        flattened by key, recorder.dict_observations).

        An episode stopped before the env ended it is marked truncated at its last step, as
        Minari's DataCollector does, so that no stored episode looks unfinished. The buffer is
        used up: each observation leaves it as it is copied into the stacked array, so a long
        episode of frames is never held twice (a whole Pong game is 1.2 GB of them).
        """
        truncations = np.array(self._truncations, dtype=schema.FLAG_DTYPE)
        terminations = np.array(self._terminations, dtype=schema.FLAG_DTYPE)
        if len(truncations) and not (terminations[-1] or truncations[-1]):
            truncations[-1] = True
        timestamps = np.array(self._timestamps, dtype=schema.TIMESTAMP_DTYPE)
        return EpisodeData(
            observations=_in_dtype(self._take_observations(observation_space),
                                   flat_space(observation_space)),
            actions=_stack_rows(self._actions, action_space),
            rewards=np.array(self._rewards, dtype=schema.REWARD_DTYPE),
            terminations=terminations,
            truncations=truncations,
            timestamps=timestamps,
            actors=tuple(self._actors),
            devices=tuple(self._devices),
            seed=self.seed,
            options=self.options,
            fps=measured_fps(timestamps),
        )


    def _take_observations(self, space: gym.Space) -> np.ndarray:
        """The observations stacked into one array, each dropped from the buffer once copied."""
        observations, self._observations = self._observations, []
        first = np.asarray(flatten_observation(space, observations[0]))
        stacked = np.empty((len(observations), *first.shape), dtype=first.dtype)
        for row in range(len(observations)):
            value = np.asarray(flatten_observation(space, observations[row]))
            if not np.can_cast(value.dtype, stacked.dtype, "safe"):  # as np.stack would widen
                stacked = stacked.astype(np.result_type(stacked.dtype, value.dtype))
            stacked[row] = value
            observations[row] = None
            if row % TRIM_EVERY_ROWS == TRIM_EVERY_ROWS - 1:
                give_back_freed_memory()  # freed frames stay in the heap otherwise
        return stacked


def format_action(action: Any, names: Sequence[str] = ()) -> str:
    """An action as short text, by name where `names` has one (recorder.action_names).

    A discrete action is its name ("fire main engine"), else its number; a vector is each
    dimension with 3 decimals, named when there is a name per dimension ("steer -0.500, gas
    1.000, brake 0.000"), else in brackets.
    """
    values = np.asarray(action)
    if values.ndim == 0:
        value = values.item()
        index = int(value) if float(value).is_integer() else -1
        return names[index] if 0 <= index < len(names) else str(value)
    flat = values.reshape(-1)
    if len(names) == len(flat):
        return ", ".join(f"{name} {v:.3f}" for name, v in zip(names, flat, strict=True))
    return "[" + ", ".join(f"{v:.3f}" for v in flat) + "]"


def measured_fps(timestamps: np.ndarray) -> float:
    """Steps per second from per-step timestamps; the median interval ignores pauses."""
    if len(timestamps) < 2:
        return math.nan
    interval = float(np.median(np.diff(timestamps)))
    return 1.0 / interval if interval > 0 else math.nan


def episode_problem(episode: EpisodeData, observation_space: gym.Space,
                    action_space: gym.Space) -> str | None:
    """What makes ``episode`` unfit for a dataset with these spaces, or None when it is fit."""
    observation_space = flat_space(observation_space)  # a Dict's rows are held flat
    steps = len(episode.actions)  # one action per step: the other lengths follow from it
    if steps == 0:
        return "the episode has no steps"
    observation_shape = schema.row_shape(observation_space)
    action_shape = (steps, *schema.row_shape(action_space))
    action_columns = {schema.ACTIONS: np.asarray(episode.actions)}
    if episode.played_actions is not None:
        action_columns[schema.PLAYED_ACTIONS] = np.asarray(episode.played_actions)
    expected = {
        schema.OBSERVATIONS: (episode.observations, (steps + 1, *observation_shape)),
        **{name: (array, action_shape) for name, array in action_columns.items()},
        schema.REWARDS: (episode.rewards, (steps,)),
        schema.TERMINATIONS: (episode.terminations, (steps,)),
        schema.TRUNCATIONS: (episode.truncations, (steps,)),
        schema.TIMESTAMPS: (episode.timestamps, (steps + 1,)),
    }
    for name, (array, shape) in expected.items():
        if np.shape(array) != shape:
            return f"{name} has shape {np.shape(array)}, expected {shape}"
    # Every check reads the values as given: a cast first would hide what does not fit.
    problem = _dtype_problem(schema.OBSERVATIONS, np.asarray(episode.observations),
                             observation_space)
    for name, array in action_columns.items():
        problem = problem or _dtype_problem(name, array, action_space)
    for name, array in ((schema.OBSERVATIONS, episode.observations), *action_columns.items(),
                        (schema.REWARDS, episode.rewards)):
        problem = problem or nonfinite_problem(name, np.asarray(array))
    for name, array in action_columns.items():
        problem = problem or action_space_problem(array, action_space, name=name)
    if problem:
        return problem
    for name, values, allowed in (("actors", episode.actors, schema.ACTOR_CODES),
                                  ("devices", episode.devices, schema.DEVICE_CODES)):
        if len(values) != steps:
            return f"{name} has {len(values)} entries, expected {steps}"
        unknown = set(values) - set(allowed)
        if unknown:
            return f"{name} holds {sorted(unknown)}, expected names among {list(allowed)}"
    return None


def _dtype_problem(name: str, array: np.ndarray, space: gym.Space) -> str | None:
    """A message when ``array``'s values cannot be stored in the space's dtype as they are."""
    dtype = np.dtype(space.dtype)
    if not np.can_cast(array.dtype, dtype, "same_kind"):
        return f"{name} have dtype {array.dtype}, expected {dtype} ({space})"
    if dtype.kind in "iu" and array.size and not np.can_cast(array.dtype, dtype, "safe"):
        info = np.iinfo(dtype)
        rows = np.flatnonzero(((array < info.min) | (array > info.max))
                              .reshape(len(array), -1).any(axis=1))
        if rows.size:
            return (f"{name} do not fit {dtype}: first at row {rows[0]} "
                    f"({array[rows[0]].tolist()})")
    return None


def action_space_problem(actions: np.ndarray, space: gym.Space, *,
                         name: str = schema.ACTIONS) -> str | None:
    """Where finite ``actions`` of a fitting dtype leave ``space`` (first row), or None;
    ``name`` is what the message calls them."""
    bounds = ""
    if isinstance(space, gym.spaces.Discrete):
        low, high = int(space.start), int(space.start + space.n - 1)
        outside = (actions < low) | (actions > high)
        bounds = f" ({low}..{high})"
    elif isinstance(space, gym.spaces.MultiDiscrete):
        outside = (actions < space.start) | (actions >= space.start + space.nvec)
    elif isinstance(space, gym.spaces.MultiBinary):
        outside = (actions != 0) & (actions != 1)
    elif isinstance(space, gym.spaces.Box):
        outside = (actions < space.low) | (actions > space.high)
    else:
        return None
    rows = np.flatnonzero(np.reshape(outside, (len(actions), -1)).any(axis=1))
    if not rows.size:
        return None
    return (f"{name} fall outside {space}{bounds}: first at row {rows[0]} "
            f"({actions[rows[0]].tolist()})")


def nonfinite_problem(name: str, array: np.ndarray) -> str | None:
    """A message when a float ``array`` holds NaN or infinite values, else None."""
    if array.dtype.kind not in "fc":
        return None
    finite = np.isfinite(array)
    if finite.all():
        return None
    row = int(np.argwhere(~finite)[0][0])
    return f"{name} hold NaN or infinite values (first at row {row})"


def normalized(episode: EpisodeData, observation_space: gym.Space,
               action_space: gym.Space) -> EpisodeData:
    """The episode with every array contiguous and in its stored dtype (hashes depend on it)."""

    def as_stored(array: Any, dtype: Any) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(array).astype(dtype, copy=False))

    return replace(
        episode,
        observations=as_stored(episode.observations, schema.row_dtype(observation_space)),
        actions=as_stored(episode.actions, action_space.dtype),
        rewards=as_stored(episode.rewards, schema.REWARD_DTYPE),
        terminations=as_stored(episode.terminations, schema.FLAG_DTYPE),
        truncations=as_stored(episode.truncations, schema.FLAG_DTYPE),
        timestamps=as_stored(episode.timestamps, schema.TIMESTAMP_DTYPE),
        actors=tuple(episode.actors),
        devices=tuple(episode.devices),
        played_actions=None if episode.played_actions is None
        else as_stored(episode.played_actions, action_space.dtype),
    )


def content_hash(episode: EpisodeData) -> str:
    """A short hash of what an episode teaches (observations, actions, rewards, endings)."""
    return hash_arrays(episode.observations, episode.actions, episode.rewards,
                       episode.terminations, episode.truncations)


def hash_arrays(*arrays: np.ndarray) -> str:
    """A short hash of arrays' dtypes, shapes and bytes, in order."""
    digest = hashlib.blake2b(digest_size=8)
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.data.cast("B"))
    return digest.hexdigest()


def _own(value: Any) -> Any:
    # Some envs and policies reuse one array and mutate it; a buffer must keep its own copy.
    if isinstance(value, Mapping):
        return {key: _own(item) for key, item in value.items()}
    return value.copy() if isinstance(value, np.ndarray) else value


def _stack_rows(values: list[Any], space: gym.Space) -> np.ndarray:
    if not values:
        return np.empty((0, *schema.row_shape(space)), dtype=space.dtype)
    return _in_dtype(np.asarray(values), space)


def _in_dtype(array: np.ndarray, space: gym.Space) -> np.ndarray:
    # The space's dtype when that keeps every value; else as recorded, for episode_problem to
    # refuse on commit (a float action 1.7 of a Discrete space must not become 1).
    if array.dtype == space.dtype or _dtype_problem("values", array, space):
        return array
    return array.astype(space.dtype, copy=False)
