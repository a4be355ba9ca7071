"""What the Takeover tab shows about who is in control: status line, banner, HUD, frame cue."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from clonelab.models.failures.takeover import Decision

_ASKING_STYLE = ("background: #e67e22; color: white; font-weight: bold; padding: 4px;"
                 " border-radius: 4px;")
_HUMAN_STYLE = ("background: #2e86c1; color: white; font-weight: bold; padding: 4px;"
                " border-radius: 4px;")
_AGENT_STYLE = "padding: 4px;"
# The visual cue of a help request: an orange border round the frame (no sound).
CUE_STYLE = "#takeoverFrameBox { border: 4px solid #e67e22; border-radius: 4px; }"
NO_CUE_STYLE = "#takeoverFrameBox { border: 4px solid transparent; }"


@dataclass(frozen=True, kw_only=True)
class Control:
    """Who is in control now, as the status line tells it."""

    awaiting: bool
    """Paused at a help request until the human presses a key."""
    asking: bool
    """The clone asked and the human is in control."""
    holding: bool
    """The human holds the takeover key (human-gated)."""
    round: int
    has_clone: bool


def status(control: Control) -> tuple[str, str]:
    """The status line's text and style sheet."""
    if control.awaiting:
        return "ASKING FOR HELP: press a key to take over", _ASKING_STYLE
    if control.asking:
        return "HELPING: the clone takes back once you agree", _ASKING_STYLE
    if control.holding:
        return "YOU are in control (let go of Shift to hand back)", _HUMAN_STYLE
    who = "the clone plays" if control.has_clone else "no clone yet"
    return f"Round {control.round + 1}: {who}", _AGENT_STYLE


def help_banner(keys: Iterable[str]) -> str:
    """The banner over the frame while the clone waits for the human."""
    return (f"The clone asks for help\nDrive with {' / '.join(sorted(keys))}: it takes back "
            f"once you agree\n(or press Done helping)")


def hud_lines(round_index: int, episode: int, step: int, episode_return: float,
              decision: Decision | None, threshold: float) -> list[str]:
    """The heads-up display: where we are, who acts, and the clone's risk."""
    lines = [f"round {round_index + 1}, episode {episode}",
             f"step {step}, return {episode_return:.1f}"]
    if decision is not None:
        lines.append("the clone asks for help" if decision.requested_help
                     else f"{decision.actor} acting")
        if decision.score == decision.score:  # not NaN
            lines.append(f"risk {decision.score:.2f} (asks above {threshold:.2f})")
    return lines


def set_style(widget: QWidget, style: str) -> None:
    """Set a style sheet only when it changes (re-polishing every step costs)."""
    if widget.styleSheet() != style:
        widget.setStyleSheet(style)
