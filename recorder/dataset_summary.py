"""What ``clonelab info`` reports, read without parsing the index or opening an episode file.

Every commit's journal line carries the dataset's totals (recorder.dataset_journal), so the
last line answers for the whole dataset; the header comes from main_data.hdf5's attributes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import h5py

from clonelab.recorder import schema
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.dataset_index import check_schema_version, index_from_root_attrs
from clonelab.recorder.dataset_journal import DatasetTotals, last_totals


@dataclass(frozen=True, kw_only=True)
class DatasetSummary:
    """A dataset's environment, spaces and totals."""

    env_id: str
    observation_space: gym.Space
    action_space: gym.Space
    totals: DatasetTotals

    @property
    def actors(self) -> list[str]:
        """The actors that took at least one step, sorted."""
        return sorted(actor for actor, steps in self.totals.actor_steps.items() if steps)

    @classmethod
    def of(cls, dataset: DemoDataset) -> DatasetSummary:
        """The summary of an opened dataset (from its index; no episode file is read)."""
        index = dataset.index
        return cls(env_id=dataset.env_id, observation_space=dataset.observation_space,
                   action_space=dataset.action_space,
                   totals=DatasetTotals.of(index.episodes, index.next_episode_id))


def quick_summary(path: str | os.PathLike[str]) -> DatasetSummary | None:
    """The summary of a CloneLab dataset directory from its journal's last line and
    main_data.hdf5's attributes, or None when only opening it can tell (then open it).

    None for exported files, Minari datasets, datasets of older versions (no journal yet),
    a lost metadata.json, and whenever the episodes folder holds another number of episode
    files than the journal counts, or a half-written one (a commit or delete cut short, which
    opening repairs).
    """
    data_dir = Path(path) / schema.DATA_DIR
    episodes_dir = data_dir / schema.EPISODES_DIR
    if not episodes_dir.is_dir() or not (data_dir / schema.METADATA_FILE).is_file():
        return None
    totals = last_totals(data_dir / schema.JOURNAL_FILE)
    if totals is None:
        return None
    try:
        names = os.listdir(episodes_dir)
        with h5py.File(data_dir / schema.MAIN_FILE, "r") as main:
            check_schema_version(data_dir / schema.MAIN_FILE,
                                 main.attrs.get(schema.ATTR_SCHEMA_VERSION))
            header = index_from_root_attrs(main.attrs).header
    except (OSError, ValueError):
        return None
    files = sum(1 for name in names if schema.parse_episode_file_name(name) is not None)
    if files != totals.episodes or len(names) != files:
        return None
    return DatasetSummary(env_id=header.env_id, observation_space=header.observation_space,
                          action_space=header.action_space, totals=totals)
