"""The Failures tab and the OOD timelines of Watch and Compare, on tiny CartPole budgets.

Waits use `qtbot.waitSignal`: `waitUntil` keeps the GIL between its polls and slows workers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from clonelab.app.failures.failures_view import FailuresView
from clonelab.app.watch.compare_view import CompareView
from clonelab.app.watch.watch_view import WatchView
from clonelab.app.window.workspace import Workspace
from clonelab.models.checkpoint import save_policy
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from tests.app.demo_data import expert_dataset, play_expert, workspace_on

ENV_ID = "CartPole-v1"
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Three expert CartPole demos and a noisy one, a briefly trained clone, and a clone that
    always pushes left (it leaves the demos' states within a few steps)."""
    root = tmp_path_factory.mktemp("failures")
    dataset = expert_dataset(root / "demos", ENV_ID, seeds=(0, 1, 2), max_steps=60)
    dataset.append(play_expert(ENV_ID, 3, noise=0.5, max_steps=60), tags=("noisy",))
    config = TrainConfig(steps=200, hidden=(32,), log_every=100, val_fraction=0.0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        clone = drain(train_bc(config, dataset)).policy
    finally:
        torch.set_num_threads(threads)
    spec = PolicySpec(env_id=ENV_ID, observation_space=dataset.observation_space,
                      action_space=dataset.action_space, hidden=(8,))
    torch.manual_seed(0)
    always_left = Policy(spec)
    with torch.no_grad():
        always_left.head.logits.weight.zero_()
        always_left.head.logits.bias.copy_(torch.tensor([5.0, -5.0]))
    return {"dataset": dataset.path, "clone": save_policy(root / "clone.pt", clone, config),
            "bad": save_policy(root / "bad.pt", always_left, config), "root": root}


def make_state(files: dict[str, Path], policy: str = "clone", env_id: str = ENV_ID) -> Workspace:
    state = workspace_on(files["dataset"], env_id)
    state.select_env(env_id)  # after the dataset, which brings its own env
    state.open_policy(files[policy])
    return state


@pytest.fixture
def failures(qtbot, files) -> FailuresView:
    view = FailuresView(make_state(files))
    qtbot.addWidget(view)
    yield view
    view.shutdown()


# -- OOD timelines ----------------------------------------------------------------------------


def test_compare_marks_where_a_bad_clone_leaves_the_demos(qtbot, files) -> None:
    view = CompareView(make_state(files, "bad"))
    qtbot.addWidget(view)
    try:
        # The timeline is computed on a worker; its result reaches the plot through the event
        # loop, so waiting after construction cannot miss it.
        with qtbot.waitSignal(view.ood_plot.ready, timeout=WAIT_MS) as ready:
            pass
        timeline = ready.args[0]
        first = timeline.first_ood
        assert first is not None and first > 0  # it starts on a demo's start state
        assert timeline.ood[first] > 1.0 and np.all(timeline.ood[:first] <= 1.0)
        assert timeline.uncertainty_name == "entropy"
        assert len(timeline.uncertainty) == len(timeline.ood)
        plot = view.ood_plot
        assert plot.first_line.scene() is not None and plot.first_line.value() == first
        assert len(plot.above_marks.data) == len(timeline.above)
        assert f"step {first}" in plot.getPlotItem().titleLabel.text
    finally:
        view.shutdown()


def test_watch_rates_each_state_the_clone_reaches(qtbot, files) -> None:
    view = WatchView(make_state(files, "bad"))
    qtbot.addWidget(view)
    try:
        with qtbot.waitSignal(view.ood_plot.fitted, timeout=WAIT_MS):
            pass
        assert view.ood_plot.score is not None
        view.new_episode(seed=0)
        for _ in range(8):
            view.step_once()
        timeline = view.ood_plot.timeline
        assert len(timeline.ood) == 9  # the start state and eight steps
        assert timeline.first_ood is not None
        assert view.ood_plot.first_line.value() == timeline.first_ood
    finally:
        view.shutdown()


def test_watch_has_no_ood_score_from_another_envs_demos(qtbot, files) -> None:
    view = WatchView(make_state(files, env_id="Acrobot-v1"))
    qtbot.addWidget(view)
    try:
        with qtbot.waitSignal(view.ood_plot.fitted, timeout=WAIT_MS) as fitted:
            pass
        assert "holds CartPole-v1 demos, not Acrobot-v1" in fitted.args[0]
        assert view.ood_plot.score is None
    finally:
        view.shutdown()


# -- Failures tab -----------------------------------------------------------------------------


def test_compounding_error_plot_fills(qtbot, failures: FailuresView) -> None:
    panel = failures.compounding
    panel.form.editor("demo_episodes").setValue(2)
    panel.form.editor("rollouts").setValue(1)
    with qtbot.waitSignal(panel.done, timeout=WAIT_MS) as done:
        panel.run()
    error, report = done.args[0].error, done.args[0].agreement
    x, y = panel.error_plot.mean_curve.getData()
    assert len(x) == len(error.steps) > 1
    np.testing.assert_allclose(y, error.mean)
    assert error.mean[0] == pytest.approx(0.0, abs=1e-6)  # same seed, same start
    assert 0.0 <= report.demo_accuracy <= 1.0 and 0.0 <= report.onpolicy_agreement <= 1.0
    np.testing.assert_allclose(panel.agreement_plot.values,
                               [report.demo_accuracy, report.onpolicy_agreement])
    assert "agrees with the expert" in panel.summary.text()


def test_a_panel_without_a_dataset_says_so(qtbot, files) -> None:
    state = Workspace(ENV_ID)
    view = FailuresView(state)
    qtbot.addWidget(view)
    assert view.compounding.run() is None
    assert "Choose a dataset" in view.compounding.message.text()
    assert view.compounding.controls.run_button.isEnabled()


def test_subsets_by_tag_compare_two_clones(qtbot, failures: FailuresView) -> None:
    panel = failures.subsets
    panel.form.editor("group_by").setCurrentText("tag")
    panel.train_steps.setValue(20)
    panel.form.editor("eval_episodes").setValue(1)
    with qtbot.waitSignal(panel.done, timeout=WAIT_MS) as done:
        panel.run()
    comparison = done.args[0]
    assert comparison.labels == ["expert", "noisy"]
    assert panel.plot.comparison is comparison
    assert "Best clone" in panel.summary.text()


def _tiny_dagger(panel, iterations: int, seeds: int = 2) -> None:
    panel.form.editor("iterations").setValue(iterations)
    panel.form.editor("episodes_per_iter").setValue(1)
    panel.seeds_form.editor("seeds").setValue(seeds)
    panel.train_form.editor("steps").setValue(20)
    panel.form.editor("eval_episodes").setValue(1)
    panel.form.editor("max_episode_steps").setValue(30)
    panel.train_form.editor("hidden").setText("16")


def test_dagger_runs_the_seeds_in_the_background_and_fills_in_the_bands(
        qtbot, failures: FailuresView, tmp_path) -> None:
    panel = failures.dagger
    _tiny_dagger(panel, 2, seeds=3)
    progress: list[int] = []
    panel.runner.progress.connect(lambda _r: progress.append(panel.controls.progress_bar.value()))
    with qtbot.waitSignal(panel.done, timeout=WAIT_MS) as done:
        assert panel.run() is not None
        assert not panel.controls.run_button.isEnabled()
        assert panel.controls.cancel_button.isEnabled()
    result = done.args[0]
    assert [(p.seed, p.point.iteration) for p in result.points] == [
        (0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]
    assert progress == [1, 2, 3, 4, 5, 6] and panel.controls.progress_bar.maximum() == 6
    assert result.config.run.train.hidden == (16,)  # the form's hidden layers
    for side in panel.plot.sides.values():
        x, _y = side.mean.getData()
        assert len(x) == 2  # one mean per iteration, at its mean label count
        band_x, _ = side.upper.getData()
        assert len(band_x) == 2  # three seeds: a 95% band at both iterations
        assert len(side.dots.data) == 6  # every seed's point
    assert "3 seeds" in panel.summary.text() and "DAgger - BC" in panel.summary.text()
    assert panel.controls.run_button.isEnabled()
    assert not panel.controls.cancel_button.isEnabled()
    saved = panel.save_clone(tmp_path / "dagger.pt")
    assert saved is not None and saved.exists()
    assert failures._workspace.policy_path == saved


def test_dagger_cancel_stops_the_run_and_keeps_the_clone_so_far(
        qtbot, failures: FailuresView, tmp_path) -> None:
    panel = failures.dagger
    _tiny_dagger(panel, 50)
    with qtbot.waitSignal(panel.stopped, timeout=WAIT_MS):
        worker = panel.run()
        with qtbot.waitSignal(worker.progress, timeout=WAIT_MS):
            pass
        panel.cancel()
    assert panel.controls.status.text() == "Cancelled."
    assert 1 <= len(panel.plot.points) < 50
    assert panel.controls.run_button.isEnabled() and panel.result is None
    # The clones trained before the cancel are kept: the last one can still be saved.
    assert panel.partial is not None and panel.partial.cancelled
    assert panel.partial.points == tuple(panel.plot.points)
    assert panel.save_button.isEnabled() and "can still be saved" in panel.message.text()
    saved = panel.save_clone(tmp_path / "partial.pt")
    assert saved is not None and saved.exists()


def test_dagger_panel_says_what_was_measured_for_the_env(qtbot) -> None:
    view = FailuresView(Workspace("LunarLander-v3"))
    qtbot.addWidget(view)
    assert "No DAgger-vs-BC measurement" not in view.dagger.evidence.text()
    view._workspace.select_env("Pendulum-v1")
    assert "No DAgger-vs-BC measurement for Pendulum-v1" in view.dagger.evidence.text()


def test_dagger_needs_a_scripted_expert(qtbot, files) -> None:
    view = FailuresView(Workspace("FrozenLake-v1"))
    qtbot.addWidget(view)
    assert view.dagger.run() is None
    assert "no scripted expert" in view.dagger.message.text().lower() or \
        "has none" in view.dagger.message.text()


def test_dagger_form_rejects_bad_hidden_sizes(qtbot, failures: FailuresView) -> None:
    failures.dagger.train_form.editor("hidden").setText("64, lots")
    assert failures.dagger.run() is None
    assert "hidden layers" in failures.dagger.message.text()
    assert failures.dagger.controls.run_button.isEnabled()


def test_uncertainty_is_sigma_for_box_and_disagreement_for_an_ensemble(files) -> None:
    from clonelab.models.failures.ensemble import Ensemble
    from clonelab.models.failures.ood_timeline import policy_uncertainty
    from clonelab.recorder.catalog import make_env

    env = make_env("Pendulum-v1")
    spec = PolicySpec(env_id="Pendulum-v1", observation_space=env.observation_space,
                      action_space=env.action_space, hidden=(8,))
    env.close()
    torch.manual_seed(0)
    box = Policy(spec)
    observations = np.zeros((3, 3), dtype=np.float32)
    values, name = policy_uncertainty(box, observations)
    _mu, sigma = box.action_gaussian(box.as_tensor(observations))
    assert name == "sigma"
    np.testing.assert_allclose(values, sigma.detach().reshape(3, -1).mean(dim=1).numpy(),
                               rtol=1e-6)
    members = [Policy(spec), Policy(spec)]
    values, name = policy_uncertainty(Ensemble(members), observations)
    assert name == "ensemble disagreement" and values.shape == (3,) and np.all(values > 0)
