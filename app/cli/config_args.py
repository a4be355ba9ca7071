"""Command-line flags generated from a job's config dataclass, and the config built back.

`add_config_arguments(parser, TrainConfig)` adds one flag per field (`batch_size` ->
`--batch-size`) with the field's docstring as help, its choices, and a parser for its type from
`recorder.configs` (the same one the GUI's `ConfigForm` uses). Flags left out keep the config's
default: `config_from_args(TrainConfig, args)` passes only the flags given.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from clonelab.recorder.configs import ConfigValueError, FieldSpec, config_fields, format_value


def flag_name(name: str) -> str:
    """The flag of field `name`: `--batch-size` for `batch_size`."""
    return "--" + name.replace("_", "-")


def _value_parser(spec: FieldSpec) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return spec.parse(text)
        except ConfigValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = spec.name  # argparse names the type in "invalid <name> value"
    return parse


def add_config_arguments(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    cls: type,
    *,
    skip: Sequence[str] = (),
    aliases: Mapping[str, Sequence[str]] | None = None,
    flags: Mapping[str, str] | None = None,
    base: Any | None = None,
    prefix: str = "",
) -> None:
    """Add a flag for every field of config `cls` except `skip`.

    `aliases` adds older flag names (`{"batch_size": ("--batch",)}`); `flags` replaces a
    field's own flag (`{"lr": "--maxent-lr"}`, where two configs share a field name). `base`
    is the config whose values the help shows as defaults (the class's own defaults
    otherwise). Values land in `args.<prefix><field>` only when given, so `config_from_args`
    keeps the rest.
    """
    aliases, flags = aliases or {}, flags or {}
    for spec in config_fields(cls, skip=skip):
        default = getattr(base, spec.name) if base is not None else spec.default
        shown = "required" if default is dataclasses.MISSING else (
            f"default: {format_value(default) or 'None'}")
        help_text = f"{spec.help} ({shown})".replace("%", "%%")
        names = (flags.get(spec.name, flag_name(spec.name)), *aliases.get(spec.name, ()))
        options: dict[str, Any] = {"dest": prefix + spec.name, "help": help_text,
                                   "default": argparse.SUPPRESS}
        if spec.required:
            options["required"] = True
        if spec.inner is bool and not spec.optional:
            options["action"] = argparse.BooleanOptionalAction
        else:
            options["type"] = _value_parser(spec)
            if spec.choices is not None:
                options["choices"] = spec.choices
                options["metavar"] = "{" + ",".join(map(str, spec.choices)) + "}"
            else:
                options["metavar"] = spec.name.upper()
        parser.add_argument(*names, **options)


def config_from_args(cls: type, args: argparse.Namespace, *, base: Any | None = None,
                     prefix: str = "", **fixed: Any) -> Any:
    """Config `cls` from the flags `add_config_arguments` added: given flags, then `fixed`.

    Fields whose flag was not given keep `base`'s values (the class's defaults without one).
    The config's `__post_init__` validates the result (ValueError with what to change).
    """
    values = {spec.name: getattr(args, prefix + spec.name) for spec in config_fields(cls)
              if hasattr(args, prefix + spec.name)}
    values.update(fixed)
    if base is not None:
        return dataclasses.replace(base, **values)
    return cls(**values)


def config_argv(config: Any, *, skip: Sequence[str] = ()) -> list[str]:
    """The flags that give back `config` through `config_from_args`: one per field that differs
    from the class's default (the inverse of `add_config_arguments` + `config_from_args`)."""
    argv: list[str] = []
    for spec in config_fields(type(config), skip=skip):
        value = getattr(config, spec.name)
        if spec.default is not dataclasses.MISSING and value == spec.default:
            continue
        if spec.inner is bool and not spec.optional:
            argv.append(flag_name(spec.name) if value else "--no-" + spec.name.replace("_", "-"))
        else:
            argv += [flag_name(spec.name), format_value(value)]
    return argv
