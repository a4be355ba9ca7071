"""Behavioral cloning: `train_bc` is a Qt-free generator of progress records.

The data is loaded once into tensors on the device (or, too big for a GPU, into pinned host
memory: models/train_device.py); each batch is an index slice of a seeded random permutation
(no DataLoader, no per-sample Python: measured faster here). The app runs
the generator in a worker thread; the CLI drives it with `recorder.jobs.drain`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import torch

from clonelab.models.augment import RandomShift
from clonelab.models.data import DatasetLike, TrainingError
from clonelab.models.device import pick_device
from clonelab.models.distributed import (
    DEFAULT_TIMEOUT_S,
    World,
    data_parallel,
    join,
    leave,
    main_decides,
    mean_over_ranks,
    peer_lost,
)
from clonelab.models.evaluation import evaluate
from clonelab.models.micro_batches import (
    PART_INPUT_BYTES,
    forward_backward,
    input_row_bytes,
    part_rows,
)
from clonelab.models.observations import PipelineError
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.train_config import TrainConfig
from clonelab.models.train_data import RunData, preparing
from clonelab.models.train_device import StepLoss, StepPrecision, step_optimizer
from clonelab.models.train_inputs import StackedRows
from clonelab.models.train_progress import (
    LOAD_RECORD_S,
    Clock,
    ProgressPlan,
    TrainProgress,
    window_mean,
)
from clonelab.models.train_selection import BestWeights
from clonelab.models.weight_average import WeightAverage
from clonelab.recorder.jobs import CancelCheck, Stopwatch, cancel_check
from clonelab.recorder.memory import give_back_freed_memory

__all__ = [
    "SELECT_SEED_OFFSET",
    "TrainConfig",
    "TrainProgress",
    "TrainResult",
    "TrainingError",
    "train_bc",
]

log = logging.getLogger(__name__)

# Rows per forward pass when scoring the validation set (bounded memory for image data).
VAL_CHUNK = 2048
# ... and at most this many bytes of float inputs: 2,048 stacked Pong inputs through the DQN
# torso raised the app's peak by 550 MiB, 256 by 70 MiB; the training steps' parts' bound, since
# chunks of 297 (32 MiB) over steps in parts of 128 made each record the peak, 40-60 MiB over.
VAL_CHUNK_BYTES = PART_INPUT_BYTES
# Snapshot evaluations (select_by "eval_return") start at seed + this: apart from the episodes
# the Train tab plays after training (from seed), so the pick is not scored on the starts it
# was picked on.
SELECT_SEED_OFFSET = 100_000


@dataclass(frozen=True, kw_only=True)
class TrainResult:
    """What a finished (or cancelled) run returns."""

    policy: Policy
    """The trained policy, in eval mode, on the training device."""
    metrics: TrainProgress
    """The final record (the last of `history`)."""
    kept: TrainProgress
    """The record of the returned weights: the best one by `select_by`, else the final one."""
    stopped_early: bool
    """True when `patience` steps passed without a new best and training stopped."""
    history: tuple[TrainProgress, ...]
    """Every progress record, in order."""
    seconds: float
    """Seconds spent training and validating."""
    samples_per_s: float
    """Training throughput over the whole run."""
    device: str
    """The torch device that trained the policy."""
    cancelled: bool
    """True when `cancel` stopped the run early."""
    env_id: str
    """The dataset's env id."""
    dataset_fingerprint: str
    """The dataset's fingerprint(), for the checkpoint."""
    train_episodes: tuple[int, ...]
    """Episode ids trained on."""
    val_episodes: tuple[int, ...]
    """Episode ids held out (with one episode: that episode, whose tail was held out)."""


@torch.no_grad()
def _validate(
    policy: Policy,
    obs: StackedRows,
    actions: torch.Tensor,
    targets: torch.Tensor,
    rows: torch.Tensor,
) -> tuple[float | None, float | None, float | None]:
    """(loss, accuracy, action error) over the validation `rows` (a CPU index tensor), scored
    in chunks of `obs`'s normalised inputs, one forward pass each for the loss and the action
    deterministic play takes."""
    if len(rows) == 0:
        return None, None, None
    policy.eval()
    loss_sum = 0.0
    hit_or_error = 0.0
    discrete = policy.spec.action_kind == "discrete"
    size = max(1, min(VAL_CHUNK, VAL_CHUNK_BYTES // input_row_bytes(policy)))
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        features = policy.features(obs.gather(chunk), normalised=True)
        chunk = chunk.to(actions.device)
        loss_sum += float(policy.head.nll(features, targets[chunk])) * len(chunk)
        predicted = policy.to_env_units(policy.head.mode(features))
        if discrete:
            hit_or_error += float((predicted == actions[chunk]).sum())
        else:
            error = (predicted - actions[chunk].float()).abs().mean()
            hit_or_error += float(error) * len(chunk)
    policy.train()
    n = len(rows)
    if discrete:
        return loss_sum / n, hit_or_error / n, None
    return loss_sum / n, None, hit_or_error / n


def train_bc(
    config: TrainConfig, dataset: DatasetLike, *, cancel: CancelCheck | None = None,
    world: World | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
    now: Clock = time.perf_counter,
) -> Generator[TrainProgress, None, TrainResult]:
    """Train a BC policy on `dataset`, yielding a `TrainProgress` every `log_every` steps, the
    first one sooner when FIRST_RECORD_S seconds of training pass first (`ProgressPlan`).

    Returns (as StopIteration.value; `recorder.jobs.drain` runs it) a `TrainResult` whose
    policy has the weights `config.select_by` picks (at the step `kept.step`); training stops
    early once `config.patience` steps pass without a new best. `cancel` (a `CancelCheck`) is
    checked before every step; a cancelled run returns its policy so far with `cancelled=True`.
    Raises `TrainingError` for empty, misshapen or non-finite data, for a loss that turns NaN
    or infinite, and for an env that cannot be played with select_by "eval_return".

    With a distributed `world` (several torchrun processes; `models.distributed`), each rank
    trains on its shard of every global batch of batch_size x world.size rows, through
    DistributedDataParallel; rank 0 alone validates and picks the kept weights, and a rank that
    stops makes the others raise TrainingError within `timeout_s`. `now` is the time source
    of every figure and of the first record's time rule (tests pass a fake one).
    """
    clock, train_clock = Stopwatch(now), Stopwatch(now)
    clock.start()
    should_stop = cancel_check(cancel)
    device = pick_device(config.device)
    world = world or World()
    if world.distributed and device.type == "cuda":
        device = torch.device("cuda", world.local_rank)
    join(world, device, timeout_s)
    ended_well = False
    try:
        result = yield from _train(config, dataset, should_stop, device, world, clock,
                                   train_clock, now)
        ended_well = True
        return result
    except RuntimeError as error:
        if not world.distributed:
            raise
        raise peer_lost(error) from None  # a collective in DDP's backward: a rank is gone
    finally:
        if world.distributed:
            leave(together=ended_well)


def _train(config: TrainConfig, dataset: DatasetLike, should_stop: Callable[[], bool],
           device: torch.device, world: World, clock: Stopwatch, train_clock: Stopwatch,
           now: Clock) -> Generator[TrainProgress, None, TrainResult]:
    try:
        pipeline = config.pipeline_for(dataset.env_id, dataset.observation_space)
    except PipelineError as error:
        raise TrainingError(f"dataset for {dataset.env_id}: {error}") from None
    spec = PolicySpec(
        env_id=dataset.env_id,
        observation_space=dataset.observation_space,
        action_space=dataset.action_space,
        hidden=config.hidden,
        pipeline=pipeline,
        head=config.head_spec(),
    )
    # Fork the global RNG so that seeding the weights leaves the caller's torch RNG untouched.
    with torch.random.fork_rng(devices=[]):
        # The CPU generator alone builds the weights: torch.manual_seed would also queue
        # seeds for CUDA, XPU and MTIA, formatting a stack trace for each (2 ms a run).
        torch.random.default_generator.manual_seed(config.seed)
        policy = Policy(spec)
    if config.random_shift and spec.observation_kind != "image":
        raise TrainingError(f"dataset for {dataset.env_id}: random_shift moves image frames; "
                            "these observations are vectors, so leave it at 0")
    if config.action_balance and spec.action_kind != "discrete":
        raise TrainingError(f"dataset for {dataset.env_id}: action_balance weighs discrete "
                            "actions; these actions are continuous, so leave it at 0")
    data = yield from _loading(preparing(config, dataset, policy, device, world), clock, now)
    try:
        return (yield from _steps(config, dataset, policy, data, should_stop, device, world,
                                  clock, train_clock, now))
    finally:
        data.close()


def _loading(job: Generator[tuple[int, int], None, RunData], clock: Stopwatch, now: Clock,
             ) -> Generator[TrainProgress, None, RunData]:
    """Run the data's preparation, yielding a record of how far it has come every
    LOAD_RECORD_S seconds (converting a large image dataset into memory takes minutes)."""
    last = now()
    while True:
        try:
            done, total = next(job)
        except StopIteration as prepared:
            return prepared.value
        if total and now() - last >= LOAD_RECORD_S:
            last = now()
            clock.stop()
            yield TrainProgress(step=0, total_steps=0, epoch=0.0, train_loss=None,
                                val_loss=None, val_accuracy=None, val_action_error=None,
                                eval_return=None, best_step=None, samples_per_s=0.0,
                                elapsed_s=clock.elapsed, loaded=done / total)
            clock.start()


def _steps(config: TrainConfig, dataset: DatasetLike, policy: Policy, data: RunData,
           should_stop: Callable[[], bool], device: torch.device, world: World,
           clock: Stopwatch, train_clock: Stopwatch, now: Clock,
           ) -> Generator[TrainProgress, None, TrainResult]:
    """The training loop over `data`'s batches, with a record every so often."""
    precision = StepPrecision(config.precision, device, policy)
    step_loss = data_parallel(policy, StepLoss(policy, config.compile), world, device)
    n_train = data.rows_per_pass
    total = config.total_steps(-(-n_train // world.size),
                               images=policy.spec.observation_kind == "image")
    optimizer = step_optimizer(policy, config)
    average = WeightAverage(policy, config.weight_average)
    part = part_rows(policy, config.batch_size, device)
    shift = RandomShift(config.random_shift, config.seed + world.rank)
    obs, actions, targets, val_rows = data.val_obs, data.val_actions, data.val_targets, \
        data.val_rows
    log.info("training %s on %s (%s): %d train rows (%d episodes%s), %d val rows, %d steps",
             dataset.env_id, device, precision.dtype, n_train, len(data.train_episodes),
             ", streamed" if data.stream is not None else "", len(val_rows), total)

    history: list[TrainProgress] = []
    step = samples = 0
    window: list[torch.Tensor] = []  # the losses since the last record, summed at the next
    best = BestWeights(config.patience)
    plan = ProgressPlan(log_every=config.log_every, total=total, now=now)

    def record() -> TrainProgress:
        started = now()
        loss_sum = torch.stack(window).sum() if window else torch.zeros((), device=device)
        mean_loss = window_mean(float(mean_over_ranks(loss_sum, world)), len(window), step,
                                 config.lr)
        with average.applied(policy):  # what is validated, selected and kept is the average
            val_loss, accuracy, action_error = _validate(
                policy, obs, actions, targets, val_rows if world.is_main else val_rows[:0])
            eval_return = None
            if config.select_by == "eval_return" and world.is_main:
                eval_return = _snapshot_return(policy, config)
            # Continuous actions are scored by the mean's error, which is what deterministic
            # play uses: their Gaussian loss also scores the spread and is noisier (Pendulum
            # kept weights of a loss bump that played -412 where the error's pick played -188).
            # A mixture's or bins' mode picks one of several good ways, so its error against a
            # held-out demo that took the other is noise: those heads are scored by their loss.
            gaussian = policy.spec.head.kind == "gaussian"
            score = action_error if action_error is not None and gaussian else val_loss
            if step % config.log_every == 0 or step == total or cancelled:
                # Only records on the step schedule compete: the early one comes when the
                # clock says, so the weights a run keeps would hang on the machine's speed.
                best.offer(step, -eval_return if eval_return is not None else score, policy)
        if policy.spec.observation_kind == "image":
            give_back_freed_memory()  # validation's passes of frames leave freed heap behind
        plan.recorded(now() - started)
        progress = TrainProgress(
            step=step,
            total_steps=total,
            epoch=samples / n_train,
            train_loss=mean_loss,
            val_loss=val_loss,
            val_accuracy=accuracy,
            val_action_error=action_error,
            eval_return=eval_return,
            best_step=best.best_step,
            samples_per_s=samples / train_clock.total if train_clock.total > 0 else 0.0,
            elapsed_s=clock.elapsed,
            world_size=world.size,
            eta_s=plan.eta_s(step, train_clock.total),
        )
        history.append(progress)
        return progress

    cancelled = stopped_early = False
    policy.train()
    train_clock.start()  # stopped while a record is made and held
    while step < total and not stopped_early:
        if should_stop():
            cancelled = True
            break
        inputs, batch_targets, rows = data.next_batch()
        inputs = shift(inputs)
        optimizer.zero_grad()
        optimizer.set_lr(config.lr_at(step, total))
        loss = forward_backward(step_loss, precision, inputs, batch_targets, part)
        precision.step(optimizer)
        average.update(policy)
        # Finiteness is checked on the window's sum at each record: a check here would
        # wait for every step's result (a device sync on a GPU, 1-2% of a CPU step).
        step += 1
        samples += rows
        window.append(loss)
        if plan.due(step, lambda late: main_decides(late, world, device)):
            train_clock.stop()
            progress = record()
            window.clear()
            stopped_early = main_decides(best.should_stop(step), world, device)
            clock.stop()
            yield progress
            clock.start()
            train_clock.start()
    train_clock.stop()
    if cancelled or not history or history[-1].step != step:
        record()
    clock.stop()
    final = history[-1]
    kept = final
    if config.select_by != "last" and best.best_step is not None:
        best.restore(policy)
        kept = next(r for r in history if r.step == best.best_step)
    else:
        average.apply(policy)
    policy.eval()
    log.info("training %s after %d steps in %.1f s; kept the weights of step %d",
             "cancelled" if cancelled else "stopped early" if stopped_early else "finished",
             step, clock.total, kept.step)
    return TrainResult(
        policy=policy,
        metrics=final,
        kept=kept,
        stopped_early=stopped_early,
        history=tuple(history),
        seconds=clock.total,
        samples_per_s=final.samples_per_s,
        device=str(device),
        cancelled=cancelled,
        env_id=dataset.env_id,
        dataset_fingerprint=dataset.fingerprint(),
        train_episodes=data.train_episodes,
        val_episodes=data.val_episodes,
    )


def _snapshot_return(policy: Policy, config: TrainConfig) -> float:
    """Mean return of the weights as they stand over `select_episodes` seeded episodes."""
    env_id = policy.spec.env_id
    policy.eval()
    try:
        result = evaluate(policy, env_id, episodes=config.select_episodes,
                          seed=config.seed + SELECT_SEED_OFFSET)
    except Exception as exc:  # noqa: BLE001 - any env failure ends the run with one line
        raise TrainingError(f'select_by "eval_return" plays {env_id}, which failed: '
                            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}; "
                            'choose select_by "val_loss"') from exc
    finally:
        policy.train()
    return result.return_mean
