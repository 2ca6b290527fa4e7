"""The task runner a configuration asks for: a thread pool here, or Dask.

``flow.task_runner: dask`` runs detection batches on a Dask cluster through
prefect-dask: the scheduler at ``flow.dask_address`` when set (workers on
other machines, see the README), else a LocalCluster of ``flow.dask_workers``
single-threaded processes on this machine.
"""

from __future__ import annotations

from typing import Any

from pipeline.config import HehuConfig
from pipeline.errors import MissingDependencyError


def task_runner_for(config: HehuConfig) -> Any:
    if config.flow.task_runner == "thread":
        from prefect.task_runners import ThreadPoolTaskRunner

        # One task at a time: ONNX Runtime already uses every core for a batch, and
        # anything beside it costs more than it saves (the yaw check run beside
        # detection made Brighton's detect stage 1.1 s slower; alone it takes 0.74 s).
        return ThreadPoolTaskRunner(max_workers=1)
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as e:
        raise MissingDependencyError("the Dask task runner needs: pip install 'hehu[dask]'") from e
    if config.flow.dask_address:
        return DaskTaskRunner(address=config.flow.dask_address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": config.flow.dask_workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        },
    )
