"""One config schema: every knob's limits, one validation, one dict round trip."""

from dataclasses import dataclass

import pytest

from core import gradients
from core import language_model as lm
from core.compare import ComparePlan
from core.config import RECIPE, ModelConfig
from core.schema import Settings, SettingsError, knob, knobs


@dataclass
class Toy(Settings):
    units: int = knob(8, "Units", "Size of the state.", low=1, high=64, step=8)
    rate: float = knob(0.1, "Rate", low=0.0, high=1.0, high_open=True)
    share: float = knob(0.5, "Share", low=0.0, low_open=True, high=0.5)
    kind: str = knob("a", "Kind", choices=("a", "b"), choice_labels={"a": "Alpha"})
    on: bool = knob(False, "On")
    name: str = knob("", "Name")
    picks: list = knob(label="Picks", default_factory=lambda: ["a"], many=True, item="pick",
                       choices=("a", "b"))

    def rules(self) -> dict[str, str]:
        return {"units": "Units and rate clash."} if self.units == 64 and self.rate > 0.5 else {}


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"units": 0}, "units", "whole number from 1 to 64"),
    ({"units": 2.0}, "units", "whole number"),
    ({"units": True}, "units", "whole number"),
    ({"rate": 1.0}, "rate", "below 1"),
    ({"rate": float("nan")}, "rate", "number"),
    ({"share": 0.0}, "share", "above 0"),
    ({"kind": "c"}, "kind", "one of Alpha, b"),
    ({"on": 1}, "on", "on or off"),
    ({"name": 3}, "name", "text"),
    ({"picks": []}, "picks", "at least one pick"),
    ({"picks": ["z"]}, "picks", "Unknown pick(s): z"),
    ({"picks": ["a", "a"]}, "picks", "only once"),
    ({"units": 64, "rate": 0.9}, "units", "clash"),
])
def test_each_knob_explains_what_it_refuses(changes, field, words):
    problems = Toy(**changes).validate()
    assert list(problems) == [field] and words in problems[field]
    with pytest.raises(SettingsError) as raised:
        Toy(**changes).check()
    assert raised.value.problems == problems and words in str(raised.value)


def test_rules_wait_until_every_field_is_fine_and_defaults_are_valid():
    assert Toy().validate() == {}
    assert list(Toy(units=64, rate=0.9, kind="c").validate()) == ["kind"]
    assert Toy.labels()["units"] == "Units" and Toy.helps()["units"] == "Size of the state."
    assert knobs(Toy)["kind"].describe("a") == "Alpha"


def test_every_config_of_the_app_is_one_schema_and_round_trips():
    configs = [ModelConfig(), RECIPE, lm.LMConfig(), gradients.LongRangeSettings(),
               gradients.ReviewGradientSettings(), gradients.ExplodingSettings(),
               ComparePlan(RECIPE)]
    for config in configs:
        assert isinstance(config, Settings) and config.validate() == {}
        assert type(config).from_dict({**config.to_dict(), "from_a_newer_version": 1}) == config
    for config in configs[:-1]:
        assert set(knobs(config)) == set(config.to_dict())
        assert all(spec.label for spec in knobs(config).values())


def test_a_train_setting_keeps_its_name_label_and_limits_everywhere():
    spec = knobs(ModelConfig)["learning_rate"]
    assert spec.label == "Learning rate" and spec.fmt == "%.4f"
    message = ModelConfig(learning_rate=1e6).validate()["learning_rate"]
    assert message.startswith("Learning rate must be") and "0.000001" in message
