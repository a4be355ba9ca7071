"""The window's workspace: the env entry, dataset and policy the views work on, each opened once.

Views take the workspace in their constructor, read its opened objects and subscribe to its
signals; none reopens a path. Opening a dataset of another env switches the env with it in one
`dataset_changed()`, so no view sees the new dataset with the old env (or the reverse).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from PySide6.QtCore import QObject, Signal

from clonelab.app.window.episode_deletions import EpisodeDeletions
from clonelab.models.checkpoint import PolicyEnvMismatch, load_policy
from clonelab.models.policy import Policy
from clonelab.recorder.catalog import CATALOG, EnvEntry, UnknownEnvError
from clonelab.recorder.controls import BindingError, with_saved_controls
from clonelab.recorder.dataset import DatasetError, DemoDataset
from clonelab.recorder.workspace_folder import WorkspaceFolder

log = logging.getLogger(__name__)

SavedControls = Callable[[str], Mapping[str, Any] | None]
"""The player's saved remapping of an env id (a control map's JSON form), or None."""


class ResolvedEntry(NamedTuple):
    """An env's entry before and after the player's saved remapping."""

    default: EnvEntry
    """A JSON control map's entry, else the catalog's."""
    in_effect: EnvEntry
    """The default with the saved remapping applied when it still fits."""
    note: str
    """Why a saved remapping was ignored ("" when none was)."""


class Workspace(QObject):
    """Holds the current env entry, the opened dataset and the loaded policy; announces changes.

    Signals: `env_changed()` when the env alone changes (the dataset stays);
    `dataset_changed()` when the dataset is opened, closed or its contents change, its env
    already in place when that env has an entry; `policy_changed()`; `status_message(text)`
    for the window's status bar.
    """

    env_changed = Signal()
    dataset_changed = Signal()
    policy_changed = Signal()
    status_message = Signal(str)

    def __init__(self, env_id: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._custom: dict[str, EnvEntry] = {}
        self._saved: SavedControls = lambda _env_id: None
        self._env_id = env_id
        self._entry: EnvEntry | None = self._lookup(env_id)
        self._dataset_path: Path | None = None
        self._dataset: DemoDataset | None = None
        self._dataset_error: DatasetError | None = None
        self.folder_root: Path | None = None
        """Where datasets' workspace folders go (Preferences); None: beside each dataset."""
        self._policy_path: Path | None = None
        self._policy: Policy | None = None
        self.deletions = EpisodeDeletions(self)
        """Episodes deleted with an undo window; they reach the disk before another open."""
        self.deletions.committed.connect(lambda _text: self.dataset_edited())

    # --- the env ------------------------------------------------------------------------------

    @property
    def env_id(self) -> str:
        """The environment the views play and check datasets and policies against."""
        return self._env_id

    @property
    def entry(self) -> EnvEntry | None:
        """The env's entry in effect (the player's remapping included); None for an unknown id."""
        return self._entry

    def use_saved_controls(self, saved: SavedControls) -> None:
        """Read the player's saved remappings through `saved` (the settings) from now on."""
        self._saved = saved
        if self._entry is not None:
            self._entry = self.resolve_entry(self._env_id).in_effect

    def add_entry(self, entry: EnvEntry) -> None:
        """Make an id outside the catalog selectable (an entry from a JSON control map)."""
        self._custom[entry.env_id] = entry

    def default_entry(self, env_id: str) -> EnvEntry:
        """The entry of `env_id` before any remapping: a JSON control map's, else the catalog's.

        Raises UnknownEnvError for an id with neither.
        """
        entry = self._lookup(env_id)
        if entry is None:
            raise UnknownEnvError(f"{env_id!r} is not in the catalog; choose Environment > "
                                  "Other environment… and give it a JSON control map")
        return entry

    def resolve_entry(self, env_id: str) -> ResolvedEntry:
        """The entry of `env_id` with the player's saved remapping when it still fits.

        Raises UnknownEnvError for an id without an entry.
        """
        default = self.default_entry(env_id)
        saved = self._saved(env_id)
        if saved is None:
            return ResolvedEntry(default, default, "")
        try:
            return ResolvedEntry(default, with_saved_controls(default, saved), "")
        except BindingError as exc:
            log.warning("saved controls for %s ignored: %s", env_id, exc)
            return ResolvedEntry(default, default, f"Your saved controls no longer fit ({exc}); "
                                                   "using the defaults.")

    def entry_for(self, env_id: str) -> EnvEntry:
        """The entry in effect for `env_id` (the current env's as last remapped)."""
        if env_id == self._env_id and self._entry is not None:
            return self._entry
        return self.resolve_entry(env_id).in_effect

    def select_env(self, env_id: str) -> None:
        """Select an environment and tell the views; raises UnknownEnvError for an unknown id."""
        entry = self.resolve_entry(env_id).in_effect
        if env_id != self._env_id:
            self._env_id, self._entry = env_id, entry
            self.env_changed.emit()

    def set_entry(self, entry: EnvEntry) -> None:
        """The current env's entry in effect after the player remapped its controls."""
        if entry.env_id == self._env_id:
            self._entry = entry

    def _lookup(self, env_id: str) -> EnvEntry | None:
        return self._custom.get(env_id) or CATALOG.get(env_id)

    # --- the dataset --------------------------------------------------------------------------

    @property
    def dataset_path(self) -> Path | None:
        """The selected dataset's path (also when it failed to open)."""
        return self._dataset_path

    @property
    def dataset(self) -> DemoDataset | None:
        """The opened dataset; None with no selection or when it failed to open."""
        return self._dataset

    @property
    def dataset_error(self) -> DatasetError | None:
        """Why the selected dataset did not open, or None."""
        return self._dataset_error

    @property
    def dataset_folder(self) -> WorkspaceFolder | None:
        """The selected dataset's workspace folder (its takeover rounds, clones and runs; a
        path only, nothing is created), or None with no selection."""
        if self._dataset_path is None:
            return None
        return WorkspaceFolder.of(self._dataset_path, self.folder_root)

    def open_dataset(self, path: Path) -> DemoDataset:
        """Open the dataset at `path` and select it; its env, when it has an entry, comes with it.

        Raises DatasetError and keeps the current selection when it does not open.
        """
        self.deletions.commit(announce=False)  # first: the index read must not hold them
        dataset = DemoDataset.open(path)
        self._select(Path(path), dataset, None)
        return dataset

    def select_dataset(self, path: Path | None) -> DemoDataset | None:
        """Select `path` whatever it holds: a dataset that fails to open stays selected with its
        `dataset_error`, so that the views can say why. Returns the opened dataset or None."""
        self.deletions.commit(announce=False)
        if path is None:
            self._select(None, None, None)
            return None
        try:
            dataset = DemoDataset.open(path)
        except DatasetError as exc:
            self._select(Path(path), None, exc)
            return None
        self._select(Path(path), dataset, None)
        return dataset

    def set_dataset(self, dataset: DemoDataset) -> None:
        """Select a dataset opened or created elsewhere (no second open)."""
        self.deletions.commit(announce=False)
        self._select(dataset.path, dataset, None)

    def reload_dataset(self) -> None:
        """Re-open the selected dataset after another object changed it on disk."""
        self.select_dataset(self._dataset_path)

    def dataset_edited(self) -> None:
        """Tell the views that the opened dataset's contents changed through it (a commit)."""
        self.dataset_changed.emit()

    def dataset_for(self, env_id: str) -> DemoDataset | None:
        """The opened dataset if it holds `env_id` demos; None with no selection.

        Raises DatasetError when the selection failed to open or holds another env's demos.
        """
        if self._dataset_error is not None:
            raise self._dataset_error
        if self._dataset is not None:
            self._dataset.check_env(env_id)
        return self._dataset

    def _select(self, path: Path | None, dataset: DemoDataset | None,
                error: DatasetError | None) -> None:
        if dataset is not None and dataset.env_id != self._env_id \
                and self._lookup(dataset.env_id) is not None:
            self._env_id = dataset.env_id
            self._entry = self.resolve_entry(dataset.env_id).in_effect
        self._dataset_path, self._dataset, self._dataset_error = path, dataset, error
        self.dataset_changed.emit()
        if dataset is not None and dataset.repair_note:  # opening rebuilt its index: say why
            self.show_status(f"{dataset.path.name}: {dataset.repair_note}")

    # --- the policy ---------------------------------------------------------------------------

    @property
    def policy_path(self) -> Path | None:
        """The loaded policy's checkpoint, or None."""
        return self._policy_path

    @property
    def policy(self) -> Policy | None:
        """The loaded policy, or None."""
        return self._policy

    def open_policy(self, path: Path | None) -> Policy | None:
        """Load the policy at `path` and select it (None: no policy); returns the policy.

        Raises CheckpointError for a file that does not load (missing, not a policy, damaged)
        and keeps the current selection: a failed open changes nothing.
        """
        policy = None if path is None else load_policy(path)
        self._policy_path = None if path is None else Path(path)
        self._policy = policy
        self.policy_changed.emit()
        return policy

    def policy_for(self, env_id: str) -> Policy | None:
        """The loaded policy if it was trained on `env_id`; None with no selection.

        Raises PolicyEnvMismatch for a policy of another env.
        """
        if self._policy is not None and self._policy.spec.env_id != env_id:
            assert self._policy_path is not None
            raise PolicyEnvMismatch(self._policy_path, self._policy.spec.env_id, env_id)
        return self._policy

    # --- messages -----------------------------------------------------------------------------

    def show_status(self, message: str) -> None:
        """Ask the main window to show a message in its status bar."""
        self.status_message.emit(message)
