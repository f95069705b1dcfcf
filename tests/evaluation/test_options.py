"""Evaluation thresholds are settings: a TOML file overrides the engine's defaults, and a bad one stops."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from berdaya.evaluation import options


@pytest.fixture
def thresholds_file(tmp_path, settings):
    def use(text: str):
        path = tmp_path / "ambang.toml"
        path.write_text(text, encoding="utf-8")
        settings.BERDAYA = {**settings.BERDAYA, "EVALUATION_THRESHOLDS": str(path)}
        return path

    yield use
    options._load.cache_clear()


def test_without_a_file_the_spec_defaults_apply(settings):
    settings.BERDAYA = {**settings.BERDAYA, "EVALUATION_THRESHOLDS": ""}
    assert options.success_thresholds().attendance_min == 0.75
    assert options.empowerment_options().empowered_share == 0.8
    assert options.welfare_options().k == pytest.approx(1 / 3)


def test_a_file_overrides_only_what_it_names(thresholds_file):
    thresholds_file("[success]\nattendance_min = 0.70\n[welfare]\npoverty_line = 702000\n")
    assert options.success_thresholds().attendance_min == 0.70
    assert options.success_thresholds().par30_max == 0.10
    assert options.welfare_options().poverty_line == 702_000


@pytest.mark.parametrize(
    "text", ["[succes]\nattendance_min = 0.7\n", "[success]\nattendance = 0.7\n", "[success]\nattendance_min = 7\n"]
)
def test_a_misspelt_table_or_key_or_a_wrong_value_stops_with_the_file_named(thresholds_file, text):
    path = thresholds_file(text)
    with pytest.raises(ImproperlyConfigured, match=str(path.name)):
        options.success_thresholds()
