"""What the registry services share: the region index from the database and the default rule set."""

from __future__ import annotations

from django.conf import settings

from berdaya.core.models import Region
from berdaya.engine import RegionIndex, RuleSet, load_ruleset


def region_index_from_db() -> RegionIndex:
    """The engine's region index built from the Region table (what `berdaya regions load` keeps current)."""
    return RegionIndex.from_rows(Region.objects.values_list("code", "name").iterator(chunk_size=20000))


def default_ruleset() -> RuleSet:
    return load_ruleset(settings.BERDAYA["DEFAULT_RULESET"])
