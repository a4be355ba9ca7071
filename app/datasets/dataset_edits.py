"""Changing a dataset from the browser: merging datasets.

Deleting episodes (with an undo window) is `clonelab.app.window.episode_deletions`, shared with
the Play tab.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

from clonelab.recorder.dataset import DemoDataset


def merge_into(target: DemoDataset, source_path: str | os.PathLike[str],
               *, cancel: Any = None) -> Generator[tuple[int, int], None, int]:
    """Append every episode of the dataset at `source_path` to the open `target`.

    The source must hold the same env (DatasetError otherwise). Tags and notes are kept and a
    `from:<source name>` tag records where each episode came from. Yields (done, total);
    returns the number appended. Each episode is committed on its own, so a cancel or a
    failure leaves the target whole with the episodes merged so far.
    """
    source = DemoDataset.open(source_path, env_id=target.env_id)
    if target.path.resolve() == source.path.resolve():
        raise ValueError(f"{source.path}: cannot merge a dataset into itself")
    ids = source.episode_ids
    origin = f"from:{source.path.name}"
    for done, episode_id in enumerate(ids, start=1):
        if cancel is not None and cancel.is_set():
            return done - 1
        info = source.episode_info(episode_id)
        tags = info.tags if origin in info.tags else (*info.tags, origin)
        target.append(source.load_episode(episode_id), tags=tags, notes=info.notes)
        yield done, len(ids)
    return len(ids)
