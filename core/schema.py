"""One config schema: every knob of every config is a dataclass field that carries its
label, help, range, unit and choices, so that one `validate`, one widget helper
(`pages.common.setting`), the saved config.json, the tables and the benchmarks all read
the same name and the same limits.

    @dataclass
    class MyConfig(Settings):
        units: int = knob(64, "Units", "Size of the hidden state.", low=1, high=1024)

    MyConfig(units=0).validate()   # {"units": "Units must be a whole number from 1 to 1,024."}
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import numpy as np


class SettingsError(ValueError):
    """Settings a job cannot run with; `problems` maps each field to its message."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(" ".join(dict.fromkeys(problems.values())))
        self.problems = problems


@dataclass(frozen=True)
class Knob:
    """What the app knows about one setting, from the field's metadata."""

    label: str
    help: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # the value must stay above `low`
    high_open: bool = False  # the value must stay below `high`
    whole: bool = False  # a whole number (int), not any real number
    choices: tuple[Any, ...] | None = None  # the allowed values (for a list: of each item)
    choice_labels: dict[Any, str] | None = None  # how the choices read in the app
    unit: str = ""
    step: float | None = None  # the widget's step
    fmt: str | None = None  # the widget's number format, e.g. "%.4f"
    hint: str = ""  # added to the range message, e.g. where values usually work well
    many: bool = False  # a list of values (a multiselect)
    at_least: int = 1  # for a list: how many values it needs
    item: str = ""  # for a list: what one value is called, e.g. "architecture"

    def describe(self, value: Any) -> str:
        """A choice as it reads in the app."""
        return (self.choice_labels or {}).get(value, str(value))

    def problem(self, value: Any) -> str | None:
        """Why `value` is not allowed, or None."""
        if self.many:
            if not isinstance(value, (list, tuple)) or len(value) < self.at_least:
                among = ""
                if self.choices is not None:
                    names = [self.describe(c) for c in self.choices]
                    among = ": " + ", ".join(names[:-1]) + f" or {names[-1]}"
                return f"Choose at least one {self.item or 'value'}{among}." \
                    if self.at_least == 1 else f"Choose at least {self.at_least}{among}."
            bad = [v for v in value if self._item_problem(v)]
            if bad and self.choices is not None:
                return f"Unknown {self.item or 'value'}(s): {', '.join(map(str, bad))}."
            if bad:
                return (f"{self.label}: {', '.join(map(str, bad))} out of range. "
                        + (self._item_problem(bad[0]) or ""))
            if len(set(value)) < len(value):
                return f"{self.label}: each can appear only once."
            return None
        return self._item_problem(value)

    def _item_problem(self, value: Any) -> str | None:
        if self.choices == (False, True):
            return None if isinstance(value, bool) else f"{self.label} is either on or off."
        if self.choices is not None:
            if any(value == c and type(value) is type(c) for c in self.choices):
                return None
            return (f"{self.label} must be one of "
                    f"{', '.join(self.describe(c) for c in self.choices)}.")
        if self.low is None and self.high is None:
            return None if isinstance(value, str) else f"{self.label} must be text."
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if self.whole:
            number = number and isinstance(value, int)
        if number and math.isfinite(value) and (
                self.low is None or (value > self.low if self.low_open else value >= self.low)
        ) and (self.high is None or (value < self.high if self.high_open else value <= self.high)):
            return None
        kind = "a whole number" if self.whole else "a number"
        lower = f"above {_show(self.low)}" if self.low_open else f"at least {_show(self.low)}"
        upper = f"below {_show(self.high)}" if self.high_open else f"at most {_show(self.high)}"
        span = (f"from {_show(self.low)} to {_show(self.high)}"
                if not (self.low_open or self.high_open) else f"{lower} and {upper}")
        return f"{self.label} must be {kind} {span}." + (f" {self.hint}" if self.hint else "")


def _show(number: float | None) -> str:
    """1000000 as "1,000,000" and 1e-06 as "0.000001": as a person writes them."""
    if number is None:
        return "any"
    if float(number).is_integer():
        return f"{int(number):,}"
    return np.format_float_positional(number, trim="-")


def knob(default: Any = dataclasses.MISSING, label: str = "", help: str = "", *,
         default_factory: Callable[[], Any] | Any = dataclasses.MISSING, **options: Any) -> Any:
    """A dataclass field with its `Knob` (label, help, low/high, whole, choices, ...)."""
    if isinstance(default, bool) and "choices" not in options:
        options["choices"] = (False, True)
    if isinstance(default, int) and not isinstance(default, bool) and "whole" not in options:
        options["whole"] = "low" in options or "high" in options
    meta = {"knob": Knob(label=label, help=help, **options)}
    if default_factory is not dataclasses.MISSING:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


def knobs(config: Any) -> dict[str, Knob]:
    """Field name -> `Knob` for every described field of a config class or instance."""
    return {f.name: f.metadata["knob"] for f in fields(config) if "knob" in f.metadata}


S = TypeVar("S", bound="Settings")


class Settings:
    """The one validation, dict round trip and labels that every config shares.

    Subclasses are dataclasses of `knob` fields; rules that tie fields together go in
    `rules()`, which runs only when every field is fine on its own.
    """

    def validate(self) -> dict[str, str]:
        """Field -> problem for every setting that cannot be used ({} when all are fine)."""
        problems = {name: message for name, spec in knobs(self).items()
                    if (message := spec.problem(getattr(self, name)))}
        if not problems:
            problems = self.rules()
        return problems

    def rules(self) -> dict[str, str]:
        return {}

    def check(self) -> None:
        """Raise `SettingsError` unless the settings can be used."""
        problems = self.validate()
        if problems:
            raise SettingsError(problems)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[S], values: dict[str, Any]) -> S:
        """Rebuild from a saved dict; keys from other versions are ignored, and a field a
        saved dict lacks takes `legacy_defaults()` (what it meant before it existed)."""
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        given = {k: v for k, v in values.items() if k in known}
        return cls(**{**cls.legacy_defaults(), **given})

    @classmethod
    def legacy_defaults(cls) -> dict[str, Any]:
        return {}

    @classmethod
    def label(cls, name: str) -> str:
        return knobs(cls)[name].label

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {name: spec.label for name, spec in knobs(cls).items()}

    @classmethod
    def helps(cls) -> dict[str, str]:
        return {name: spec.help for name, spec in knobs(cls).items()}


def first_problems(*sources: dict[str, str]) -> dict[str, str]:
    """Problems from several checks, the first message for each field kept."""
    merged: dict[str, str] = {}
    for source in sources:
        for name, message in source.items():
            merged.setdefault(name, message)
    return merged

