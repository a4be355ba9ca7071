"""Where a dataset's own work goes: one workspace folder per dataset, made only when used.

A dataset `demos/` keeps its takeover rounds, its clones and its IRL runs in one folder,
`demos.clonelab/` beside it by default, or `<root>/demos-<8 hex>.clonelab/` under a root the
person chose in Preferences (the hex, from the dataset's full path, tells apart two datasets of
the same name). Inside:

    takeover/               the takeover episodes (a dataset, as the demos are)
    clones/bc-<stamp>.pt    policies trained in the Train tab
    runs/<method>-<stamp>/  AIRL, GAIL and MaxEnt runs

Nothing here touches the disk: the folders are made by what first writes into them (the
takeover commit, a saved clone, a run), so opening a dataset creates nothing.
Older versions wrote takeover episodes to a sibling `<dataset>-takeover/`; where that exists and
the new folder does not, it is still the takeover dataset (people's labels are never left behind).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

SUFFIX = ".clonelab"
LEGACY_TAKEOVER_SUFFIX = "-takeover"
"""The sibling folder of takeover episodes that CloneLab wrote before workspace folders."""
TAKEOVER = "takeover"
CLONES = "clones"
RUNS = "runs"


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


@dataclass(frozen=True)
class WorkspaceFolder:
    """The workspace folder of one dataset (a path; see the module docstring for its layout)."""

    dataset: Path
    """The dataset's own folder."""
    path: Path
    """The workspace folder (it may not exist yet)."""

    @classmethod
    def of(cls, dataset: Path, root: Path | None = None) -> WorkspaceFolder:
        """The workspace folder of `dataset`: beside it, or under `root` when one is set."""
        dataset = Path(dataset)
        if root is None:
            return cls(dataset, dataset.with_name(dataset.name + SUFFIX))
        key = hashlib.sha1(str(dataset.resolve()).encode()).hexdigest()[:8]
        return cls(dataset, Path(root) / f"{dataset.name}-{key}{SUFFIX}")

    @property
    def legacy_takeover(self) -> Path:
        """Where CloneLab put this dataset's takeover episodes before workspace folders."""
        return self.dataset.with_name(self.dataset.stem + LEGACY_TAKEOVER_SUFFIX)

    @property
    def takeover(self) -> Path:
        """The takeover dataset: `takeover/` here, or an older version's sibling where only
        that one holds episodes."""
        current = self.path / TAKEOVER
        legacy = self.legacy_takeover
        if not current.exists() and (legacy / "data").is_dir():
            return legacy
        return current

    def new_clone(self) -> Path:
        """A fresh file name for a policy trained now (`clones/bc-<stamp>.pt`)."""
        return self.path / CLONES / f"bc-{_stamp()}.pt"

    def new_run(self, method: str) -> Path:
        """A fresh folder name for an IRL run started now (`runs/<method>-<stamp>`)."""
        return self.path / RUNS / f"{method}-{_stamp()}"
