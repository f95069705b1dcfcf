"""Rule sets are data files with parameters and citations; a user can copy and edit one."""

from __future__ import annotations

import pytest

from berdaya.engine import RULE_CODES, RuleSetError, load_ruleset
from berdaya.engine.rulesets import bundled_rulesets


def test_both_shipped_rule_sets_cite_their_source_for_every_rule():
    assert set(bundled_rulesets()) >= {"permensos-2-2019", "kalbar-2019"}
    for name in ("permensos-2-2019", "kalbar-2019"):
        ruleset = load_ruleset(name)
        assert ruleset.citation
        assert set(ruleset.rules) == set(RULE_CODES)
        assert all(params.get("citation") for params in ruleset.rules.values())
        assert ruleset.digest and ruleset.version >= 1


def test_a_copied_and_edited_rule_set_loads_by_path(tmp_path):
    source = bundled_rulesets()["permensos-2-2019"].read_text(encoding="utf-8")
    edited = source.replace('name = "permensos-2-2019"', 'name = "kota-contoh"').replace(
        "desil_max = 4", "desil_max = 3"
    )
    path = tmp_path / "kota-contoh.toml"
    path.write_text(edited, encoding="utf-8")
    ruleset = load_ruleset(path)
    assert ruleset.name == "kota-contoh" and ruleset.desil_max == 3
    assert ruleset.digest != load_ruleset("permensos-2-2019").digest


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(RuleSetError, match="permensos-2-2019"):
        load_ruleset("tidak-ada")


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (("desil_max = 4", "desil_max = 11"), "desil_max"),
        (("min = 18", "min = 70"), "AGE.min"),
        (("size_min = 5", "size_min = 30"), "size_min"),
        (('warung = "perdagangan"', 'warung = "toko"'), "jenis usaha"),
        (("[rules.READY]", "[rules.READY_X]"), "kode aturan"),
        (("[group]", "[group"), "tidak valid"),
    ],
)
def test_a_broken_rule_set_is_refused_with_the_reason(tmp_path, replace, message):
    source = bundled_rulesets()["permensos-2-2019"].read_text(encoding="utf-8")
    path = tmp_path / "rusak.toml"
    path.write_text(source.replace(*replace), encoding="utf-8")
    with pytest.raises(RuleSetError, match=message) as error:
        load_ruleset(path)
    assert "rusak.toml" in str(error.value)
