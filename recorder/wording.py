"""Words for counts, the same in every view, CLI line and report: "1 episode", "3 episodes"."""

from __future__ import annotations


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """`count` and `noun`, the noun plural unless the count is one: ``plural(1, "episode")`` is
    "1 episode", ``plural(0, "episode")`` "0 episodes"; irregular plurals as `plural_noun`."""
    word = noun if count == 1 else (plural_noun or noun + "s")
    return f"{count} {word}"
