"""What the Takeover tab shows: the form, who is in control (status line, banner, HUD, frame
cue), the frame and the interventions plot."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from clonelab.app.takeover.intervention_plot import InterventionPlot
from clonelab.app.takeover.takeover_form import TakeoverForm, key_title, takeover_hint
from clonelab.app.takeover.takeover_loop import TakeoverLoop
from clonelab.app.widgets.frame_view import FrameView, beside_plot
from clonelab.app.widgets.message_line import MessageLine, Tone
from clonelab.models.failures.takeover import Decision
from clonelab.recorder.errors import one_line
from clonelab.recorder.takeover_human import TakeoverHuman

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
    gated: bool = False
    """Human-gated: the line says how to take over."""
    key: str | None = None
    """The takeover key (`TakeoverHuman.key`)."""


def status(control: Control) -> tuple[str, str]:
    """The status line's text and style sheet."""
    if control.awaiting:
        return "ASKING FOR HELP: press a key to take over", _ASKING_STYLE
    if control.asking:
        return "HELPING: the clone takes back once you agree", _ASKING_STYLE
    if control.holding:
        return f"YOU are in control (let go of {key_title(control.key)} to hand back)", _HUMAN_STYLE
    who = "the clone plays" if control.has_clone else "no clone yet"
    hint = f". {takeover_hint(control.key)}" if control.gated else ""
    return f"Round {control.round + 1}: {who}{hint}", _AGENT_STYLE


def countdown_banner(seconds: int, *, gated: bool, key: str | None) -> str:
    """The banner over the frame while an episode counts down to its first step."""
    how = takeover_hint(key) if gated else "The clone asks when it needs help: drive with the keys"
    return f"Starting in {seconds}\n{how}"


def help_banner(keys: Iterable[str]) -> str:
    """The banner over the frame while the clone waits for the human."""
    return (f"The clone asks for help\nDrive with {' / '.join(sorted(keys))}: it takes back "
            f"once you agree\n(or press Done helping)")


def banner(loop: TakeoverLoop | None, human: TakeoverHuman | None, *, gated: bool,
           asking: bool, awaiting: bool) -> str:
    """The banner over the frame: the countdown before an episode's first step; the help
    request while the clone waits for the human or plays slowed down for them; else none."""
    if loop is None or human is None:
        return ""
    if loop.seconds_left:
        return countdown_banner(loop.seconds_left, gated=gated, key=human.key)
    if awaiting or (asking and loop.speed < loop.episode_speed):
        return help_banner(human.source.keyboard_map.bound_names)
    return ""


def hud_lines(round_index: int, episode: int, step: int, episode_return: float,
              decision: Decision | None, threshold: float, speed: float) -> list[str]:
    """The heads-up display: where we are, at what speed, who acts, and the clone's risk."""
    lines = [f"round {round_index + 1}, episode {episode}, speed {speed:g}x",
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


class TakeoverScreen(QWidget):
    """The Takeover tab's widgets: the settings form over the status and message lines, the
    frame (in a box that lights up at a help request) beside the interventions plot."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame = FrameView()
        self.plot = InterventionPlot()
        self.form = TakeoverForm()
        self.status = QLabel("")
        self.status.setObjectName("takeoverStatus")
        self.message = MessageLine("takeoverMessage")
        self.frame_box = QFrame()
        self.frame_box.setObjectName("takeoverFrameBox")
        box = QVBoxLayout(self.frame_box)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.frame)
        splitter = beside_plot(self.frame_box, self.plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.form)
        layout.addWidget(self.status)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)

    def show_message(self, text: str, tone: Tone = "note") -> None:
        """A note or an error under the status line."""
        self.message.show_message(text, tone)

    def show_frame(self, env: Any, hud: list[str]) -> None:
        """The env's frame under its heads-up display; an env that cannot render says so."""
        try:
            frame = env.render()
        except Exception as exc:  # noqa: BLE001 - any render failure becomes a message
            self.show_message(f"The env cannot render: {one_line(exc)}", "error")
            return
        if frame is not None:
            self.frame.set_frame(frame)
        self.frame.set_hud(hud)

    def show_play(self, *, loaded: bool, playing: bool, can_finish: bool, cue: bool,
                  banner: str) -> None:
        """The Start/Pause and Done buttons, the frame's cue and its banner."""
        self.form.start_button.setText("Pause" if playing else "Start")
        self.form.start_button.setEnabled(loaded)
        self.form.done_button.setEnabled(can_finish)
        set_style(self.frame_box, CUE_STYLE if cue else NO_CUE_STYLE)
        self.frame.set_banner(banner)

    def show_control(self, control: Control) -> None:
        """The status line: who is in control."""
        text, style = status(control)
        self.status.setText(text)
        set_style(self.status, style)
