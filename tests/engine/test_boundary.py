"""The engine is pure: importing and running it never loads Django."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_the_engine_runs_without_django(tmp_path):
    script = textwrap.dedent(
        """
        import datetime as dt, sys
        from berdaya.engine import ScreeningOptions, load_region_index, load_ruleset, screen
        from berdaya.engine.explain import explain
        from berdaya.engine import columns, parsing, reading, regions, rulesets, screening, masking  # noqa
        from tests.conftest import person, write_rows
        from pathlib import Path
        path = write_rows(Path(sys.argv[1]), [person()])
        result = screen(path, ScreeningOptions(load_ruleset("permensos-2-2019"), load_region_index(),
                                               dt.date(2026, 11, 1)))
        assert result.counts["ELIGIBLE"] == 1
        result.close()
        loaded = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
        print("DJANGO:", loaded)
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "a.csv")], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert "DJANGO: []" in completed.stdout
