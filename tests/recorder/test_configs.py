"""recorder.configs: field help, choices, and values as text, shared by the CLI and the forms."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from clonelab.recorder.configs import (
    TORCH_DEVICES,
    ConfigValueError,
    check_counts,
    config_fields,
    field_docs,
    format_layer_sizes,
    format_value,
    parse_layer_sizes,
    parse_value,
)


@dataclass(frozen=True, kw_only=True)
class Example:
    """A config with one field of every kind the CLI and the forms handle."""

    name: str
    """Required text."""
    count: int = 3
    """A whole number."""
    rate: float = 0.5
    """A number."""
    flag: bool = True
    """On or off."""
    limit: int | None = None
    """Optional; None means no limit."""
    folder: Path = Path("out")
    """A path."""
    mode: Literal["fast", "slow"] = "fast"
    """Choices from the type hint."""
    device: str = dataclasses.field(default="auto", metadata={"choices": TORCH_DEVICES})
    """Choices from the field's metadata."""
    layers: tuple[int, ...] = (64, 64)
    no_doc: int = dataclasses.field(default=1, metadata={"help": "Help from metadata."})


def test_layer_sizes_text_lists_the_layers() -> None:
    assert parse_layer_sizes("64") == (64,)
    assert parse_layer_sizes("256,256") == parse_layer_sizes("256, 256") == (256, 256)
    assert parse_layer_sizes(" 32 16 ") == (32, 16)
    assert parse_layer_sizes(format_layer_sizes((128, 64, 32))) == (128, 64, 32)
    for bad in ("", "lots", "64,0", "-1"):
        with pytest.raises(ConfigValueError, match="layer sizes"):
            parse_layer_sizes(bad)


def test_values_parse_by_type_hint_and_format_back() -> None:
    assert parse_value(int, "7") == 7
    assert parse_value(float, "1e-3") == 1e-3
    assert parse_value(bool, "yes") is True and parse_value(bool, "off") is False
    assert parse_value(int | None, "") is None and parse_value(int | None, "none") is None
    assert parse_value(int | None, "5") == 5
    assert parse_value(Path, "a/b") == Path("a/b")
    assert parse_value(Literal["fast", "slow"], "slow") == "slow"
    assert parse_value(tuple[int, ...], "8") == (8,)
    with pytest.raises(ConfigValueError, match="whole number"):
        parse_value(int, "2.5")
    with pytest.raises(ConfigValueError, match="fast, slow"):
        parse_value(Literal["fast", "slow"], "medium")
    with pytest.raises(ConfigValueError, match="true or false"):
        parse_value(bool, "maybe")
    assert format_value(None) == "" and format_value((256, 256)) == "256, 256"
    assert format_value(0.5) == "0.5"


def test_config_fields_carry_help_choices_and_defaults() -> None:
    specs = {spec.name: spec for spec in config_fields(Example, skip=("rate",))}
    assert "rate" not in specs
    assert specs["name"].required and not specs["count"].required
    assert specs["count"].help == "A whole number." and specs["count"].default == 3
    assert specs["limit"].optional and specs["limit"].inner is int
    assert specs["mode"].choices == ("fast", "slow")
    assert specs["device"].choices == TORCH_DEVICES
    with pytest.raises(ConfigValueError, match="auto, cpu"):
        specs["device"].parse("tpu")
    assert specs["device"].parse("cpu") == "cpu"
    assert specs["layers"].parse("16") == (16,)
    assert field_docs(Example)["no_doc"] == "Help from metadata."
    assert "layers" not in field_docs(Example)  # no docstring, no metadata


def test_check_counts_names_the_config_and_the_field() -> None:
    @dataclasses.dataclass(frozen=True)
    class Budget:
        episodes: int = 3
        max_steps: int | None = None

        def __post_init__(self) -> None:
            check_counts(self, "episodes", optional=("max_steps",))

    assert Budget(max_steps=5).max_steps == 5
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match=r"Budget: episodes must be a positive whole number, "):
            Budget(episodes=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_steps must be a positive whole number or None"):
        Budget(max_steps=0)
