from __future__ import annotations

import pytest

from berdaya.engine import ScreeningOptions, screen
from tests.conftest import AS_OF, write_rows


@pytest.fixture
def run_screen(tmp_path, region_index, permensos):
    """Screen rows (dicts) written to a CSV; return ({no_kk: family row}, [rejected rows], counts)."""

    def run(rows, *, ruleset=None, region=None, as_of=AS_OF, columns=None, active=()):
        kwargs = {"columns": columns} if columns else {}
        path = write_rows(tmp_path / "dtks.csv", rows, **kwargs)
        result = screen(
            path,
            ScreeningOptions(
                ruleset=ruleset or permensos,
                regions=region_index,
                as_of=as_of,
                region_prefix=region,
                active_kube_families=active,
            ),
        )
        try:
            families = {f["no_kk"]: f for f in result.family_rows()}
            return families, result.rejected_rows(), result.counts
        finally:
            result.close()

    return run
