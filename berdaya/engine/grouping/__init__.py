"""Group formation (spec §5, issue 3): strata, exact and heuristic solvers, the orchestration."""

from berdaya.engine.grouping.formation import (
    UNPLACED_REASONS,
    FamilyColumns,
    GroupingOptions,
    GroupingResult,
    form_groups,
)

__all__ = ["UNPLACED_REASONS", "FamilyColumns", "GroupingOptions", "GroupingResult", "form_groups"]
