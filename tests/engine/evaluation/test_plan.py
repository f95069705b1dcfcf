"""The strengthening plan (spec §8.5): the rule table as data, one KUBE's actions, the roll-up."""

from __future__ import annotations

import datetime as dt

import pytest

from berdaya.engine.evaluation.plan import (
    OWNERS,
    PlanRuleError,
    causes_from_results,
    load_plan_rules,
    plan_actions,
    plan_rollup,
    regions_with_cause,
)
from berdaya.engine.evaluation.success import (
    INDICATOR_CODES,
    SocialDynamicsFacts,
    TrustFacts,
    social_dynamics,
    trusted,
)

AS_OF = dt.date(2026, 11, 1)

SMALL_TABLE = """
version = 1
[causes]
no_books = "Buku tidak diisi"

[actions.check_books]
text = "Memeriksa buku setiap bulan"
tjokrowinoto = "mentoring"
ismawan = "group_institutions"
suharto_level = "mezzo"
owner = "pendamping"
due_in_days = 30

[[rules]]
id = "semua"
indicators = {indicators}
actions = ["check_books"]
"""

ALL = "[" + ", ".join(f'"{c}"' for c in INDICATOR_CODES) + "]"


def test_the_bundled_rules_load_and_cover_every_indicator():
    rules = load_plan_rules()
    assert rules.digest
    assert "no_facilitator_in_kecamatan" in rules.causes
    for code in INDICATOR_CODES:
        assert plan_actions([code], set(), AS_OF, rules), code


def test_an_unknown_indicator_code_is_a_clear_error_naming_the_rule(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(SMALL_TABLE.replace("{indicators}", '["G9_FAME"]'), encoding="utf-8")
    with pytest.raises(PlanRuleError) as caught:
        load_plan_rules(path)
    message = str(caught.value)
    assert "aturan 'semua'" in message and "G9_FAME" in message and str(path) in message


@pytest.mark.parametrize(
    ("field", "bad"),
    [("owner", '"camat"'), ("ismawan", '"luck"'), ("suharto_level", '"mega"'), ("tjokrowinoto", '"x"')],
)
def test_an_unknown_tag_or_owner_is_a_clear_error_naming_the_action(tmp_path, field, bad):
    text = SMALL_TABLE.replace("{indicators}", ALL)
    text = "\n".join(f"{field} = {bad}" if line.startswith(f"{field} =") else line for line in text.splitlines())
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanRuleError, match=rf"aksi 'check_books'.*{field}"):
        load_plan_rules(path)


def test_an_unknown_cause_or_action_in_a_rule_is_refused(tmp_path):
    path = tmp_path / "rules.toml"
    text = SMALL_TABLE.replace("{indicators}", ALL)
    path.write_text(text.replace('actions = ["check_books"]', 'cause = "bad_luck"\nactions = ["check_books"]'))
    with pytest.raises(PlanRuleError, match="aturan 'semua'.*bad_luck"):
        load_plan_rules(path)
    path.write_text(text.replace('actions = ["check_books"]', 'actions = ["pray"]'))
    with pytest.raises(PlanRuleError, match="aturan 'semua'.*pray"):
        load_plan_rules(path)


def test_an_indicator_without_a_rule_lacking_a_cause_is_refused(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(SMALL_TABLE.replace("{indicators}", '["S1_BASIC_NEEDS"]'), encoding="utf-8")
    with pytest.raises(PlanRuleError, match="S2_SOCIAL_DYNAMICS"):
        load_plan_rules(path)


def test_actions_are_deduplicated_and_ordered_by_owner_then_due_date():
    actions = plan_actions(["G2_TRUSTED", "G3_REGULAR", "S3_SKILLS"], {"no_books", "no_training"}, AS_OF)
    codes = [a.code for a in actions]
    assert len(codes) == len(set(codes))
    keys = [(OWNERS.index(a.owner), a.due) for a in actions]
    assert keys == sorted(keys)
    books = next(a for a in actions if a.code == "bookkeeping_training")
    assert books.indicators == ("G2_TRUSTED", "G3_REGULAR")
    assert books.causes == ("no_books",)
    assert books.due == AS_OF + dt.timedelta(days=30)


def test_a_cause_only_adds_actions_for_an_unmet_indicator():
    assert plan_actions([], {"no_facilitator_in_kecamatan"}, AS_OF) == []
    with_cause = plan_actions(["S2_SOCIAL_DYNAMICS"], {"no_facilitator_in_kecamatan"}, AS_OF)
    assert "assign_facilitator" in [a.code for a in with_cause]
    assert "assign_facilitator" not in [a.code for a in plan_actions(["S2_SOCIAL_DYNAMICS"], set(), AS_OF)]


def test_unknown_codes_are_refused():
    with pytest.raises(ValueError, match="G9"):
        plan_actions(["G9"], set(), AS_OF)
    with pytest.raises(ValueError, match="bad_luck"):
        plan_actions(["G2_TRUSTED"], {"bad_luck"}, AS_OF)


def test_causes_are_read_off_failed_conditions():
    results = [social_dynamics(SocialDynamicsFacts(0.5, 2.0, 3.0)), trusted(TrustFacts(10, 12, True, 0.3, True))]
    assert causes_from_results(results) == {"low_attendance", "no_books", "par30_high"}


def test_the_rollup_counts_actions_per_kecamatan_cause_and_owner():
    no_facilitator = {"no_facilitator_in_kecamatan"}
    plans = {
        "61.71.04.1001": plan_actions(["G2_TRUSTED"], no_facilitator, AS_OF),
        "61.71.04.1002": plan_actions(["S3_SKILLS"], no_facilitator, AS_OF),
        "61.71.01.1001": plan_actions(["G1_COOPERATION"], no_facilitator, AS_OF),
        "6171021003": plan_actions(["G5_INCOME"], no_facilitator, AS_OF),
        "61.71.03.1001": plan_actions(["G5_INCOME"], set(), AS_OF),
    }
    rows = plan_rollup(plans, "kecamatan")
    assert regions_with_cause(rows, "no_facilitator_in_kecamatan", "dinas") == ["61.71.01", "61.71.02", "61.71.04"]
    row = next(
        r
        for r in rows
        if r.region_code == "61.71.04" and r.cause == "no_facilitator_in_kecamatan" and r.owner == "dinas"
    )
    assert (row.actions, row.sources) == (4, 2)  # two Dinas actions in each of two kelurahan
    assert {r.region_code for r in rows} == {"61.71.01", "61.71.02", "61.71.03", "61.71.04"}
    kota = plan_rollup(plans, "kabkota")
    assert regions_with_cause(kota, "no_facilitator_in_kecamatan") == ["61.71"]


def test_the_rollup_refuses_unknown_levels_and_codes_above_the_level():
    with pytest.raises(ValueError, match="level"):
        plan_rollup({}, "provinsi")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kelurahan"):
        plan_rollup({"61.71.04": []}, "kelurahan")
