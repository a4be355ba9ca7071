"""A distributed run that ended well on every rank waits for all of them before tearing its
process group down; a failed run does not wait for a peer that may be gone."""

from __future__ import annotations

import pytest

from clonelab.models import distributed


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: True)
    monkeypatch.setattr(distributed.dist, "barrier", lambda: made.append("barrier"))
    monkeypatch.setattr(distributed.dist, "destroy_process_group",
                        lambda: made.append("destroy"))
    return made


def test_a_run_that_ended_well_waits_for_every_rank_before_leaving(calls: list[str]) -> None:
    distributed.leave(together=True)
    assert calls == ["barrier", "destroy"]


def test_a_failed_run_leaves_at_once(calls: list[str]) -> None:
    distributed.leave()
    assert calls == ["destroy"]
