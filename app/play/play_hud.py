"""What the Play tab writes over the frame: the heads-up display and the banner."""

from __future__ import annotations

import math

from clonelab.app.play.play_loop import PlayLoop
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.keyboard import APP_SHORTCUTS as KEY
from clonelab.recorder.session import StepOutcome
from clonelab.recorder.wording import plural


def hud_lines(title: str, loop: PlayLoop, *, episode: int, last: StepOutcome | None,
              fps: float, device: str, recording_to: DemoDataset | None,
              reviewing: bool) -> list[str]:
    """The env, the episode, the speed, who controls, the dataset recorded to, PAUSED."""
    step = last.step if last else 0
    total = last.episode_return if last else 0.0
    shown_fps = "–" if math.isnan(fps) else f"{fps:.0f}"
    lines = [
        title,
        f"Episode {episode}   Step {step}   Return {total:.2f}",
        f"FPS {shown_fps} / {loop.target_fps:g}   Speed {loop.speed:g}x"
        + ("   Wait for input" if loop.wait_for_input else ""),
        f"Control: human ({device})",
    ]
    if recording_to is not None:
        count = len(recording_to)
        lines.append(f"Dataset: {recording_to.path.name} ({plural(count, 'episode')})")
    if not loop.running and not reviewing and loop.in_episode:
        lines.append("PAUSED")
    return lines


def banner_text(loop: PlayLoop | None, *, reviewing: bool, pad_note: str) -> str:
    """The banner over a paused frame: what to press next (nothing while playing)."""
    if loop is None or loop.running:
        return ""
    if reviewing:
        return f"Episode over\n{KEY['keep']}: keep    {KEY['discard']}: discard"
    if pad_note:
        return pad_note
    if not loop.in_episode:
        return f"Episode over\n{KEY['pause']}: play again"
    return f"{KEY['pause']}: play"
