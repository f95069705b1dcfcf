"""A ministry spreads a national run over a cluster by handing form_groups a Dask client's executor.

`distributed` is in the dev extras, so this runs in CI; a local cluster in this process stands in for
a real one (the executor interface is the same).
"""

from __future__ import annotations

from distributed import Client, LocalCluster

from berdaya.engine.grouping.formation import GroupingOptions, form_groups
from tests.engine.grouping.test_formation import families


def test_a_dask_clients_executor_gives_the_same_proposal_as_one_process():
    rows = families(21, 400)
    options = GroupingOptions(size_min=5, size_max=20, seed=3)
    alone = form_groups(rows, options)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        seen: list[tuple[int, int]] = []
        spread = form_groups(rows, options, executor=client.get_executor(),
                             progress=lambda done, total: seen.append((done, total)))
    assert spread.groups == alone.groups
    assert spread.members == alone.members and spread.unplaced == alone.unplaced
    assert seen and seen[-1][0] == seen[-1][1] == alone.summary["strata"]
