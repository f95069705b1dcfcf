"""Every list and dashboard page runs the same number of queries for a small city as for a larger one
(issue 7: no query per row), and stays under a stated bound.

The world of routes_world.py is measured as built (Kota Pontianak: 1 KUBE, 1 family outside it, 1
entry, 1 meeting and visit, 1 training, 1 job), then grown (5 more KUBEs, each assigned, met,
visited, in the round and scored; 30 more families; 12 more entries, meetings and visits in the first
KUBE's book; 3 more trainings, jobs, imports and formation runs) and measured again.

Which pages are lists: every GET route of `ROUTES` (test_scope_all_routes.py) is named below, either in
`MEASURED` (with the roles it is measured as), in `COVERED_ELSEWHERE` (another module already compares
its counts) or in `NOT_A_LIST` (one object, a form, a file of one object); `test_every_page_is_classified`
fails for a route in none of them, so a new list page cannot ship unmeasured.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from berdaya.core.models import Role
from tests.web.routes_world import build_world, grow_side
from tests.web.test_scope_all_routes import ROUTES, TOKENS, request, url_for

PO, VIEWER, FAC, KO, EVAL = (Role.PROGRAM_OFFICER, Role.VIEWER, Role.FACILITATOR, Role.KUBE_OFFICER, Role.EVALUATOR)
BOUND = 30  # queries per page, session and user included; a page needing more says so in BOUNDS
BOUNDS: dict[str, int] = {
    "reports:evaluation_xlsx": 40,  # every section of the programme report, each one grouped query or two
}
# Query strings that make a page show the world's rows (its default is the current month).
QUERY = {"ledger:cash_book": "?bulan=2025-06", "ledger:journal": "?bulan=2025-06"}
# Pages whose length does not follow the city's size: a fixed set of rows per KUBE or per round.
FIXED_SIZE = {
    "mentoring:meeting_new",  # the first KUBE's five members
    "ledger:accounts",  # the chart of accounts
    "ledger:income_statement",  # one line per account
    "ledger:balance_sheet",
    "ledger:trial_balance",
    "ledger:loan_ledger",  # no loans in this world
    "ledger:iks_fund",
    "ledger:metrics",  # ratios of one KUBE
    "evaluation:round_new",  # a form (the baseline picker lists baselines only)
    "evaluation:kube_score",  # one KUBE's score
    "evaluation:analysis",  # a baseline without an endline: the page says so
    "api:accounts_list",
}
# The same for one role: a pendamping's home page shows counts only (1 active KUBE becomes 6, same length).
FIXED_SIZE_FOR = {("home", FAC)}

# route -> the roles it is measured as (a page with an aggregate branch is measured both ways).
MEASURED: dict[str, list[str]] = {
    "home": [PO, VIEWER, FAC],
    "core:job_list": [PO],
    "registry:import_upload": [PO],
    "kube:list": [PO, FAC, KO],
    "kube:detail": [PO],
    "kube:formation_list": [PO],
    "mentoring:my_groups": [FAC, KO],
    "mentoring:meeting_new": [PO],
    "mentoring:training_list": [PO],
    "mentoring:training_new": [PO],
    "mentoring:facilitator_list": [PO],
    "mentoring:assignment": [PO],
    "ledger:books": [PO],
    "ledger:journal": [PO],
    "ledger:accounts": [PO],
    "ledger:cash_book": [PO],
    "ledger:income_statement": [PO],
    "ledger:balance_sheet": [PO],
    "ledger:trial_balance": [PO],
    "ledger:loan_ledger": [PO],
    "ledger:iks_fund": [PO],
    "ledger:metrics": [PO],
    "ledger:region_metrics": [PO, VIEWER],
    "evaluation:round_list": [PO, FAC],
    "evaluation:round_new": [PO],
    "evaluation:round_detail": [PO, VIEWER, FAC],
    "evaluation:kube_score": [PO],
    "evaluation:survey": [PO, FAC],
    "evaluation:analysis": [PO, EVAL],
    "evaluation:export": [PO, EVAL],
    "reports:kube": [PO],
    "reports:facilitator": [PO, FAC],
    "reports:evaluation_xlsx": [PO],
    "api:accounts_list": [PO],
    "api:entries_list": [PO],
    "api:kubes_list": [PO, FAC],
    "api:meetings_list": [PO],
    "api:visits_list": [PO],
    "api:families_list": [PO, EVAL],
    "api:rounds_list": [PO],
}
COVERED_ELSEWHERE = {
    "registry:family_list": "tests/web/test_pages.py (5 and 60 families)",
    "mentoring:attention": "tests/mentoring/test_attention_page.py (3 and 15 KUBEs)",
    "reports:dashboard": "tests/reports/test_query_counts.py (2 and 6 KUBEs)",
    "reports:region": "tests/reports/test_query_counts.py",
    "reports:plan": "tests/reports/test_query_counts.py",
    # The same report data as the workbook measured above, drawn as a PDF (seconds per page to render).
    "reports:evaluation_pdf": "reports:evaluation_xlsx here",
    "reports:kube_pdf": "reports:kube here (the same profile as a PDF)",
}
NOT_A_LIST = {
    "core:job",  # one job
    "core:job_status",
    "registry:family_detail",  # one family
    "registry:import_detail",  # one import: its rows are the file's, not the city's
    "registry:import_report",
    "registry:screening_run",  # a form
    "kube:step",  # a form for one KUBE
    "kube:formation_detail",  # one run (its groups are the run's, measured by the formation tests)
    "kube:kube_import",
    "kube:plan_new",
    "kube:member_remove",
    "mentoring:visit_new",
    "mentoring:visit_photo",
    "mentoring:facilitator_edit",  # the facilitator list again, measured above
    "ledger:operation",
    "ledger:manual_entry",
    "ledger:entry",
    "ledger:account_edit",
    "ledger:month_close",
    "evaluation:import",
    "evaluation:xlsform",  # a questionnaire
    "core:job_file",  # one file
    "pdp:subject_search",  # a form; one person found
    "pdp:subject_detail",  # one person
    "pdp:subject_download",
    "pdp:subject_correct",
    "pdp:subject_anonymise",
    "pdp_reveal:reveal",
    "pdp_reveal:breach",  # a form (the report itself is built on POST)
    "api:kube_detail",  # one KUBE and its members
    "api:family_detail",
    "api:round_detail",  # one round and its KUBE ids
    "api:instrument_detail",
}


def test_every_page_is_classified():
    pages = {name for name, case in ROUTES.items() if case.get}
    named = set(MEASURED) | set(COVERED_ELSEWHERE) | NOT_A_LIST
    assert pages - named == set(), "GET routes neither measured, covered elsewhere, nor declared not a list"
    assert named - pages == set(), "pages named here that ROUTES no longer has"
    assert not set(MEASURED) & (set(COVERED_ELSEWHERE) | NOT_A_LIST)


def _measure(world) -> dict[tuple[str, str], tuple[int, int]]:
    """(queries, bytes of the page) per (page, role)."""
    found = {}
    client = Client()
    for name, roles in MEASURED.items():
        case = ROUTES[name]
        for role in roles:
            user = world.user(role)
            url = url_for(name, case, world.a) + QUERY.get(name, "")
            request(client, case, "get", user, url)  # warm: the session, the translation catalogue
            with CaptureQueriesContext(connection) as queries:
                response = request(client, case, "get", user, url)
            assert response.status_code == case.status_for(role), (name, role, response.status_code)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            found[(name, role)] = (len(queries), len(body))
    return found


@pytest.fixture(scope="module")
def counts(django_db_setup, django_db_blocker, kalbar_regions_csv, tmp_path_factory):
    """(queries as built, queries grown) per (page, role), measured once; everything is rolled back after."""
    from berdaya.api.services import api_token_create
    from berdaya.core.services import regions_load

    folder = tmp_path_factory.mktemp("query-world")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=folder / "media"), transaction.atomic():
        regions_load(path=kalbar_regions_csv)
        world = build_world(folder)
        for user in [world.admin, *world.a.users.values()]:
            TOKENS[user.pk] = api_token_create(user=user, actor=None)
        small = _measure(world)
        grow_side(world.a, kubes=5, families=30, entries=12)
        large = _measure(world)
        transaction.set_rollback(True)
    return small, large


PAIRS = [pytest.param(name, role, id=f"{name}-{role}") for name, roles in MEASURED.items() for role in roles]


@pytest.mark.django_db  # also what makes pytest-django set up the test database for the module fixture
@pytest.mark.parametrize(("name", "role"), PAIRS)
def test_the_page_runs_the_same_queries_for_a_larger_city(counts, name, role):
    small, large = counts

    (queries_small, _), (queries_large, _) = small[(name, role)], large[(name, role)]

    assert queries_large == queries_small, f"{queries_small} queries as built, {queries_large} grown"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "role"),
    # A viewer reads aggregates: numbers change, their length need not.
    [p for p in PAIRS if p.values[0] not in FIXED_SIZE and p.values not in FIXED_SIZE_FOR and p.values[1] != VIEWER],
)
def test_the_larger_city_shows_more_on_the_page(counts, name, role):
    # The control for the test above: the grown world does reach the page, so equal counts mean something.
    small, large = counts

    assert large[(name, role)][1] > small[(name, role)][1]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), PAIRS)
def test_the_page_stays_under_its_bound(counts, name, role):
    small, large = counts

    assert max(small[(name, role)][0], large[(name, role)][0]) <= BOUNDS.get(name, BOUND)
