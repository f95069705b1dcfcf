"""The framework-free engine: rules, screening (and later grouping, assignment, indices).

It never imports Django: it takes file paths or Arrow tables and returns tables and dataclasses.
The caller hands in what it knows (regions, rule set, families already in a KUBE).
"""

from berdaya.engine.errors import InputError
from berdaya.engine.explain import RULE_TITLES, explain, explain_conflicts
from berdaya.engine.masking import mask_id
from berdaya.engine.regions import RegionCodeError, RegionIndex, load_region_index, normalize_code
from berdaya.engine.rulesets import RULE_CODES, RuleSet, RuleSetError, load_ruleset
from berdaya.engine.screening import DECISIONS, OUTPUT_COLUMNS, ScreeningOptions, ScreeningResult, screen

__all__ = [
    "DECISIONS",
    "OUTPUT_COLUMNS",
    "RULE_CODES",
    "RULE_TITLES",
    "InputError",
    "RegionCodeError",
    "RegionIndex",
    "RuleSet",
    "RuleSetError",
    "ScreeningOptions",
    "ScreeningResult",
    "explain",
    "explain_conflicts",
    "load_region_index",
    "load_ruleset",
    "mask_id",
    "normalize_code",
    "screen",
]
