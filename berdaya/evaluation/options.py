"""The evaluation thresholds as settings (spec: "every default is a setting, never a constant in code").

The engine's dataclasses carry the spec's defaults; an installation changes any of them in a TOML file
named by `BERDAYA_EVALUATION_THRESHOLDS` (settings.BERDAYA["EVALUATION_THRESHOLDS"]) with up to four
tables, for example:

    [success]
    attendance_min = 0.70
    [welfare]
    poverty_line = 702_000     # the kab/kota's BPS line, rupiah per capita per month
    [empowerment]
    empowered_share = 0.8
    [maturity]
    min_active_years = 2

An unknown table or key, or a value the dataclass refuses, stops with an error naming the file.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from berdaya.engine.evaluation.empowerment import EmpowermentOptions
from berdaya.engine.evaluation.maturity import MaturityThresholds
from berdaya.engine.evaluation.success import SuccessThresholds
from berdaya.engine.evaluation.welfare import WelfareOptions

TABLES = {
    "success": SuccessThresholds,
    "welfare": WelfareOptions,
    "empowerment": EmpowermentOptions,
    "maturity": MaturityThresholds,
}


@functools.cache
def _load(path: str) -> dict[str, Any]:
    if not path:
        return {name: kind() for name, kind in TABLES.items()}
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ImproperlyConfigured(f"BERDAYA_EVALUATION_THRESHOLDS {path}: {error}") from error
    unknown = sorted(set(data) - set(TABLES))
    if unknown:
        raise ImproperlyConfigured(f"BERDAYA_EVALUATION_THRESHOLDS {path}: unknown table(s) {', '.join(unknown)}")
    loaded = {}
    for name, kind in TABLES.items():
        values = dict(data.get(name, {}))
        for key in ("weights",):
            if key in values and values[key] is not None:
                values[key] = tuple(values[key])
        try:
            loaded[name] = kind(**values)
        except (TypeError, ValueError) as error:
            raise ImproperlyConfigured(f"BERDAYA_EVALUATION_THRESHOLDS {path} [{name}]: {error}") from error
    return loaded


def _options(name: str):
    return _load(str(getattr(settings, "BERDAYA", {}).get("EVALUATION_THRESHOLDS", "") or ""))[name]


def success_thresholds() -> SuccessThresholds:
    return _options("success")


def welfare_options() -> WelfareOptions:
    return _options("welfare")


def empowerment_options() -> EmpowermentOptions:
    return _options("empowerment")


def maturity_thresholds() -> MaturityThresholds:
    return _options("maturity")
