"""`TrainConfig`: everything that shapes a BC run, and the rule for its default length.

Shared by `clonelab train`'s flags and the Train tab's form (both built from the fields and
their docstrings by `recorder.configs`). `models.training` re-exports it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal

import gymnasium as gym

from clonelab.models.episode_weights import parse_tag_weights
from clonelab.models.heads import DEFAULT_BINS, DEFAULT_COMPONENTS, HeadKind, HeadSpec
from clonelab.models.observations import (
    ObservationPipeline,
    PipelineError,
    default_pipeline,
    replace_fields,
)
from clonelab.models.policy import DEFAULT_HIDDEN
from clonelab.recorder.configs import TORCH_DEVICES

__all__ = [
    "DEFAULT_EPOCHS",
    "IMAGE_DEFAULT_EPOCHS",
    "MAX_DEFAULT_STEPS",
    "MAX_IMAGE_STEPS",
    "MIN_DEFAULT_STEPS",
    "MIN_IMAGE_STEPS",
    "Precision",
    "SelectBy",
    "TrainConfig",
    "default_steps",
]

# The default length is a number of passes over the data, bounded: a fixed step count
# (5,000 before issue 9) gave a million transitions one pass. The floor stays at 5,000: one
# CartPole demo's validation loss still fell at step 4,500, and early stopping (patience)
# ends runs on small, overfitting data sooner.
DEFAULT_EPOCHS = 200
MIN_DEFAULT_STEPS = 5000
MAX_DEFAULT_STEPS = 50_000
# Image policies: a CPU trains them at about 3,000 samples/s (2 cores, 84x84x4 frames, batch
# 256; docs/benchmarks.md section 7), so the vector rule (50,000 steps for Pong's 20 demo
# games: over an hour) is capped at about 1M samples, minutes on a laptop. What this budget
# gave Pong and Breakout clones: docs/benchmarks.md, section 11.
IMAGE_DEFAULT_EPOCHS = 20
MIN_IMAGE_STEPS = 1000
MAX_IMAGE_STEPS = 4000

SelectBy = Literal["val_loss", "eval_return", "last"]
Precision = Literal["auto", "float32", "bfloat16", "float16"]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def default_steps(train_rows: int, batch_size: int, *, images: bool = False) -> int:
    """DEFAULT_EPOCHS passes over `train_rows`, kept within [MIN_DEFAULT_STEPS,
    MAX_DEFAULT_STEPS] gradient steps; for image observations IMAGE_DEFAULT_EPOCHS passes
    within [MIN_IMAGE_STEPS, MAX_IMAGE_STEPS]."""
    per_epoch = max(1, math.ceil(train_rows / batch_size))
    if images:
        return min(MAX_IMAGE_STEPS, max(MIN_IMAGE_STEPS, IMAGE_DEFAULT_EPOCHS * per_epoch))
    return min(MAX_DEFAULT_STEPS, max(MIN_DEFAULT_STEPS, DEFAULT_EPOCHS * per_epoch))


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Everything that shapes a BC run; shared by the CLI and the Train panel's form."""

    steps: int | None = None
    """Gradient steps to run at most. Leave both steps and epochs empty for the default, which
    scales with the data: 200 passes over the training transitions, at least 5,000 and at most
    50,000 steps; for image observations 20 passes, at least 1,000 and at most 4,000 steps
    (docs/training.md)."""
    epochs: int | None = None
    """Passes over the training episodes, instead of steps (set one of the two, not both)."""
    batch_size: int = 256
    """Transitions per gradient step."""
    lr: float = 1e-3
    """Adam learning rate."""
    lr_schedule: Literal["constant", "cosine"] = "constant"
    """"constant" keeps lr throughout; "cosine" lowers it along a half cosine from lr at the
    first step to 0 at the last, so the last steps settle (the run's length is its steps)."""
    hidden: tuple[int, ...] = DEFAULT_HIDDEN
    """Hidden layer sizes of the MLP, one per layer: "64" is one layer, "256,256" two (after the
    convolutions for image observations)."""
    weight_decay: float = 0.0
    """Adam's L2 penalty on the weights; 0 turns it off."""
    val_fraction: float = 0.1
    """Share of episodes held out for validation (of steps when there is only one episode)."""
    seed: int = 0
    """Seeds the weights, the validation split and the batch order."""
    device: str = dataclasses.field(default="auto", metadata={"choices": TORCH_DEVICES})
    """"auto" (CUDA, then MPS, else CPU), "cpu", "cuda" or "mps"."""
    log_every: int = 100
    """Steps between progress records (each one also scores the validation set)."""
    select_by: SelectBy = "val_loss"
    """Which weights the run keeps: "val_loss" those with the lowest validation loss (for
    continuous actions, the lowest validation action error: the mean's error), "eval_return"
    those with the highest mean return over select_episodes evaluation episodes played at each
    progress record (slower; a low loss does not always make the best player), "last" the
    final ones. Without validation data "val_loss" keeps the last weights."""
    patience: int = 2000
    """Stop early after this many steps without a new best (validation loss, or evaluation
    return with select_by "eval_return"); 0 never stops early. Validation losses are noisy:
    with 1000, Pendulum clones stopped at a record-to-record bump and played worse."""
    select_episodes: int = 5
    """Evaluation episodes played at each progress record when select_by is "eval_return"."""
    precision: Precision = "auto"
    """Arithmetic of the training steps: "auto" is mixed precision (bfloat16, or float16 with
    loss scaling) for image policies on a CUDA GPU and float32 elsewhere; "float32",
    "bfloat16" or "float16" (CUDA only) force one."""
    compile: bool = False
    """Compile the training step with torch.compile: slower to start (tens of seconds), can
    be faster per step on a GPU; falls back to plain PyTorch, with a warning, if it fails."""
    memory_budget_mb: int = 1024
    """Most memory (MB) the preprocessed training rows may take; a larger dataset is streamed
    from its episode files through a buffer of half this size (docs/scale.md)."""
    stream: bool = False
    """Stream the episodes from their files even when they fit the memory budget."""
    history: int | None = None
    """Observations the policy reads at once: the current one and those just before it
    (frame stacking for images, a history for vectors). Empty: the env's default (4 for
    Atari, 2 for CarRacing, 1 otherwise; docs/training.md)."""
    action_shift: int = 0
    """Pair each observation with the action taken this many steps later in its episode (the
    last ones of each episode drop): undoes a demonstrator's reaction lag, so the clone acts
    at once on what it sees. 0 pairs each observation with its own action; the Datasets tab
    estimates a recording's lag (docs/failures.md, "Reaction lag")."""
    frame_size: tuple[int, int] | None = None
    """Height, width image frames are resized to, such as "84, 84". Empty: the env's default
    (84x84 for Atari, 64x64 for CarRacing, as recorded otherwise)."""
    crop: tuple[int, int, int, int] | None = None
    """Pixels cut from the top, bottom, left and right of image frames before resizing, such as
    "0, 12, 0, 0". Empty: the env's default (no crop)."""
    colour: Literal["default", "grey", "rgb"] = "default"
    """Image frames in "grey" (one luma channel) or "rgb"; "default" is the env's (grey for
    Atari, colour otherwise)."""
    random_shift: int = 0
    """Pixels each training stack of image frames may move up or down and left or right, a
    new random shift every time it is drawn (its edges repeated into the gap): a clone of a
    few games then reads where things are relative to each other rather than the demos' exact
    pixels (DrQ). 0 turns it off; 4 suits 84x84 frames. Play is never shifted
    (docs/training.md)."""
    head: HeadKind = "gaussian"
    """The policy's head for continuous (Box) actions: "gaussian" (the lecture's: one mean
    per state, the default), "mixture" (of as many Gaussians as components: keeps several
    good actions apart) or "discretised" (bins per dimension, a probability each). Discrete
    actions always get the categorical head; another choice there is refused
    (docs/training.md)."""
    components: int = DEFAULT_COMPONENTS
    """Gaussians in the mixture head (used only with head "mixture")."""
    bins: int = DEFAULT_BINS
    """Bins per action dimension of the discretised head (used only with head
    "discretised")."""
    tag_weights: str = ""
    """Weights of episodes by tag, such as "expert=1, noisy=0.2": each epoch draws an
    episode's rows in proportion to its weight (the smallest among its listed tags; 1 when
    none is listed; 0 leaves it out). A "weight=W" tag on an episode overrides every other
    weight (docs/training.md, "Weighting episodes")."""
    return_temperature: float | None = None
    """Weight episodes by return (times their tag weight): exp((return - best return) / (this
    x the returns' standard deviation)), the best episode 1; 0.5 did best on mixed expert and
    noisy demos (docs/failures.md, "Mixed quality"). Empty: no return weighting."""
    action_balance: float = 0.0
    """Discrete actions: draw each training row with weight (its action's share) ** -this, so
    rare actions (moving, where a player mostly waits) are seen more often: 0 keeps the rows as
    recorded, 0.5 the square root, 1 every action equally often. Times any episode weight
    (docs/training.md, "Few demos of a pixel game")."""

    weight_average: float = 0.0
    """Validate, keep and play an exponential moving average of the weights with this decay
    (Polyak averaging): 0.999 averages about the last 1,000 steps, which steadies where a
    constant learning rate leaves the weights; 0 keeps the weights as trained
    (docs/training.md, "Few demos of a pixel game")."""

    def __post_init__(self) -> None:
        if self.steps is not None and self.epochs is not None:
            raise ValueError("TrainConfig: set steps or epochs, not both")
        for name in ("steps", "epochs"):
            value = getattr(self, name)
            if value is not None and (not _is_int(value) or value <= 0):
                raise ValueError(f"TrainConfig: {name} must be a positive whole number or None, "
                                 f"got {value!r}")
        for name in ("batch_size", "log_every", "select_episodes", "memory_budget_mb"):
            value = getattr(self, name)
            if not _is_int(value) or value <= 0:
                raise ValueError(f"TrainConfig: {name} must be a positive whole number, "
                                 f"got {value!r}")
        if not _is_int(self.action_shift) or self.action_shift < 0:
            raise ValueError(f"TrainConfig: action_shift must be a whole number of steps, 0 or "
                             f"more (0: no shift), got {self.action_shift!r}")
        if not _is_int(self.random_shift) or self.random_shift < 0:
            raise ValueError(f"TrainConfig: random_shift must be a whole number of pixels, 0 or "
                             f"more (0: off), got {self.random_shift!r}")
        if not _is_int(self.patience) or self.patience < 0:
            raise ValueError(f"TrainConfig: patience must be a whole number of steps, 0 to "
                             f"never stop early, got {self.patience!r}")
        if self.select_by not in ("val_loss", "eval_return", "last"):
            raise ValueError(f"TrainConfig: select_by must be val_loss, eval_return or last, "
                             f"got {self.select_by!r}")
        if not (isinstance(self.lr, int | float) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"TrainConfig: lr must be a positive number such as 1e-3, "
                             f"got {self.lr!r}")
        if not (isinstance(self.weight_decay, int | float) and math.isfinite(self.weight_decay)
                and self.weight_decay >= 0):
            raise ValueError(f"TrainConfig: weight_decay must be 0 or more, "
                             f"got {self.weight_decay!r}")
        if not (isinstance(self.hidden, tuple) and self.hidden
                and all(_is_int(size) and size > 0 for size in self.hidden)):
            raise ValueError(f"TrainConfig: hidden must be a tuple of positive layer sizes such "
                             f"as (256, 256), got {self.hidden!r}")
        if not (isinstance(self.val_fraction, int | float) and 0.0 <= self.val_fraction < 1.0):
            raise ValueError(f"TrainConfig: val_fraction must lie in [0, 1) (0 turns validation "
                             f"off), got {self.val_fraction!r}")
        if not _is_int(self.seed):
            raise ValueError(f"TrainConfig: seed must be a whole number, got {self.seed!r}")
        if self.precision not in ("auto", "float32", "bfloat16", "float16"):
            raise ValueError(f"TrainConfig: precision must be auto, float32, bfloat16 or "
                             f"float16, got {self.precision!r}")
        if self.lr_schedule not in ("constant", "cosine"):
            raise ValueError(f"TrainConfig: lr_schedule must be constant or cosine, "
                             f"got {self.lr_schedule!r}")
        if self.colour not in ("default", "grey", "rgb"):
            raise ValueError(f"TrainConfig: colour must be default, grey or rgb, "
                             f"got {self.colour!r}")
        try:
            self.pipeline_for("", None)
        except PipelineError as error:
            raise ValueError(f"TrainConfig: {error}") from None
        try:
            self.head_spec()
        except ValueError as error:
            raise ValueError(f"TrainConfig: {error}") from None
        if not isinstance(self.compile, bool):
            raise ValueError(f"TrainConfig: compile must be true or false, got {self.compile!r}")
        try:
            parse_tag_weights(self.tag_weights)
        except ValueError as error:
            raise ValueError(f"TrainConfig: {error}") from None
        temperature = self.return_temperature
        if temperature is not None and not (isinstance(temperature, int | float)
                                            and math.isfinite(temperature) and temperature > 0):
            raise ValueError(f"TrainConfig: return_temperature must be a number above 0 such as "
                             f"0.5, or empty for no return weighting, got {temperature!r}")
        balance = self.action_balance
        if not (isinstance(balance, int | float) and not isinstance(balance, bool)
                and 0.0 <= balance <= 1.0):
            raise ValueError(f"TrainConfig: action_balance must lie in [0, 1] (0: rows as "
                             f"recorded, 1: every action equally often), got {balance!r}")
        average = self.weight_average
        if not (isinstance(average, int | float) and not isinstance(average, bool)
                and 0.0 <= average < 1.0):
            raise ValueError(f"TrainConfig: weight_average must lie in [0, 1) (0: off; 0.999 "
                             f"averages about the last 1,000 steps), got {average!r}")
        if self.device not in TORCH_DEVICES:
            raise ValueError(f"TrainConfig: device must be one of {', '.join(TORCH_DEVICES)}, "
                             f"got {self.device!r}")

    def total_steps(self, train_rows: int, *, images: bool = False) -> int:
        """The most gradient steps for a training set of `train_rows` transitions (`images`:
        of image observations, whose default is shorter)."""
        if self.epochs is not None:
            return self.epochs * math.ceil(train_rows / self.batch_size)
        if self.steps is not None:
            return self.steps
        return default_steps(train_rows, self.batch_size, images=images)

    def lr_at(self, step: int, total: int) -> float:
        """The learning rate of gradient step `step` (0 first) of a run of `total` steps."""
        if self.lr_schedule == "constant" or total <= 1:
            return self.lr
        return self.lr * 0.5 * (1.0 + math.cos(math.pi * step / (total - 1)))

    def pipeline_for(self, env_id: str, space: gym.Space | None) -> ObservationPipeline:
        """The observation pipeline for `env_id`: its default with this config's choices.

        Raises `PipelineError` for values no pipeline takes, and (given `space`) for image
        options on vector observations or a crop larger than the frames.
        """
        base = ObservationPipeline() if space is None else default_pipeline(env_id, space)
        grey = None if self.colour == "default" else self.colour == "grey"
        pipeline = replace_fields(base, history=self.history, size=self.frame_size,
                                  crop=self.crop, grey=grey)
        if space is not None:
            pipeline.frame_shape(space)
        return pipeline

    def head_spec(self) -> HeadSpec:
        """The policy head these fields choose."""
        return HeadSpec(kind=self.head, components=self.components, bins=self.bins)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (tuples as lists)."""
        fields = dataclasses.asdict(self)
        for name in ("hidden", "frame_size", "crop"):
            if fields[name] is not None:
                fields[name] = list(fields[name])
        return fields

    @classmethod
    def from_dict(cls, fields: dict[str, Any]) -> TrainConfig:
        """Rebuild a config from `to_dict()` output (unknown keys are an error)."""
        fields = dict(fields)
        for name in ("hidden", "frame_size", "crop"):
            if fields.get(name) is not None:
                fields[name] = tuple(fields[name])
        return cls(**fields)
