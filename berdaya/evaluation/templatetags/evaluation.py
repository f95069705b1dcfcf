"""Template tags for other apps' pages that show a line of evaluation (the KUBE page's "Evaluasi" box)."""

from __future__ import annotations

from django import template

from berdaya.evaluation import selectors

register = template.Library()


@register.simple_tag
def latest_kube_score(kube):
    """`{% latest_kube_score kube as score %}`: the KUBE's score in its latest scored round, or None.

    The KUBE page is open only to those who may see the KUBE, and they may read its scores too."""
    return selectors.latest_score(kube)
