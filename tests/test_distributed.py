"""Scoring on Dask distributed (scoring/distributed.py): a real ``dask scheduler`` and two
``dask worker`` processes on 127.0.0.1 — the protocol separate machines speak — and a
LocalCluster; both give the one-process table (tests/test_partitioned.py's zone)."""

from __future__ import annotations

import ast
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from scoring.distributed import (
    DASK_ENVIRON_VARIABLE,
    WORKER_CONFIG,
    WORKER_MALLOC_ENV,
    ClusterStats,
    _client,
    _partition_failed,
    score_zone_parcels_distributed,
    window_cells_for_memory,
    worker_config_environment,
    worker_environ,
)
from tests.scale_zone import (
    N_PARCELS,
    assert_same_table,
    assert_scored_in_partitions,
    windowed_ctx,
)

ROOT = Path(__file__).resolve().parent.parent
DASK = Path(sys.executable).with_name("dask")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_workers(address: str, n: int, timeout: float = 60.0) -> None:
    from distributed import Client

    with Client(address, timeout="20s") as client:
        client.wait_for_workers(n, timeout=timeout)


def compose_worker_environment() -> dict[str, str]:
    """The environment docker-compose.yml gives its ``dask worker`` processes."""
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return {k: str(v) for k, v in compose["services"]["worker"]["environment"].items()}


def stop_processes(procs: list[subprocess.Popen]) -> None:
    """Terminate ``procs`` (workers before their scheduler), killing any still there after 20 s."""
    for p in reversed(procs):
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


@contextmanager
def dask_processes(n_workers: int = 2) -> Iterator[str]:
    """Start a scheduler and ``n_workers`` workers (one thread, 1 GiB each, each under its
    nanny) as separate processes on loopback; yield the scheduler's address."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    # as deployed: docker-compose.yml's worker settings, the malloc ones through Dask's own
    # variable (its value checked against worker_environ() below)
    env = {**os.environ, **compose_worker_environment(), "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        time.sleep(1.0)
        for _ in range(n_workers):
            procs.append(
                subprocess.Popen(
                    [
                        str(DASK),
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--memory-limit",
                        "1GiB",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ],
                    env=env,
                    cwd=str(ROOT),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        wait_for_workers(address, n_workers)
        yield address
    finally:
        stop_processes(procs)


@pytest.fixture(scope="module")
def cluster_address() -> Iterator[str]:
    """A scheduler and two workers as separate processes on loopback, for the module."""
    with dask_processes(2) as address:
        yield address


def test_scheduler_and_two_worker_processes_give_the_one_process_table(
    zone_files, one_process, one_process_run, cluster_address
):
    seen: list[tuple[int, int]] = []
    stats = ClusterStats()
    run = score_zone_parcels_distributed(
        windowed_ctx(zone_files, 10**9),
        zone_files["parcels"],
        scheduler=cluster_address,
        partition_size=250,
        progress=lambda step, done, total: seen.append((done, total)),
        stats=stats,
    )
    assert_same_table(run.parcels, one_process)
    assert_scored_in_partitions(run, one_process_run)
    assert run.summary.workers == 2 and stats.n_workers == 2
    # 8 partitions of 250, spread over both workers; progress rises to the end
    assert len(stats.partition_seconds) == 8
    assert len(set(stats.partition_worker)) == 2
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and seen[-1][0] == seen[-1][1]
    assert all(0 < mb < 1024 for mb in stats.peak_rss_mb.values())
    # the task's own thread did the work; the worker process's other threads add to it
    assert all(
        0 < t <= c + 0.05 for t, c in zip(stats.partition_thread_cpu_seconds, stats.partition_cpu_seconds)
    )


def test_a_context_with_whole_dems_is_sent_without_them(whole_ctx, zone_files, one_process, cluster_address):
    run = score_zone_parcels_distributed(
        whole_ctx, zone_files["parcels"], scheduler=cluster_address, partition_size=500
    )
    assert_same_table(run.parcels, one_process)
    assert len(whole_ctx.surfaces) == 1  # the caller's context is left as it was


def test_local_cluster_gives_the_one_process_table(zone_files, one_process, one_process_run):
    run = score_zone_parcels_distributed(
        windowed_ctx(zone_files, 10**9),
        zone_files["parcels"],
        scheduler="local",
        n_workers=2,
        partition_size=700,
    )
    assert_same_table(run.parcels, one_process)
    assert_scored_in_partitions(run, one_process_run)
    assert run.summary.n_parcels == N_PARCELS and run.summary.workers == 2


def test_an_unreachable_scheduler_is_a_clear_error(zone_files):
    from gis.errors import InputFileError

    with pytest.raises(InputFileError, match="Dask scheduler"):
        score_zone_parcels_distributed(
            windowed_ctx(zone_files, 10**9),
            zone_files["parcels"].iloc[:10],
            scheduler=f"tcp://127.0.0.1:{free_port()}",
        )


def malloc_env_of_workers(client) -> list[dict[str, str | None]]:  # type: ignore[no-untyped-def]
    def read() -> dict[str, str | None]:
        return {k: os.environ.get(k) for k in WORKER_MALLOC_ENV}

    return list(client.run(read).values())


def test_local_cluster_workers_start_with_the_malloc_settings():
    """Dask's default MALLOC_TRIM_THRESHOLD_=65536 costs 20–40 % more CPU per parcel in page
    faults (docs/benchmarks.md); the LocalCluster's worker processes start with glibc's grown
    thresholds instead: mmap above 32 MiB, trim above 64 MiB."""
    client, cluster = _client("local", 1, "1GiB")
    try:
        assert malloc_env_of_workers(client) == [
            {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "67108864"}
        ]
    finally:
        client.close()
        cluster.close()


def config_of_workers(client) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    def read(dask_worker) -> dict[str, object]:  # type: ignore[no-untyped-def]
        import dask

        return {k: dask.config.get(k) for k in WORKER_CONFIG} | {
            "profiling": "profile" in dask_worker.periodic_callbacks
        }

    return list(client.run(read).values())


WANTED_CONFIG = dict(WORKER_CONFIG, profiling=False)


def test_local_cluster_workers_run_a_quiet_event_loop():
    """No dashboard profiling and fewer wake-ups of the worker's event loop (each takes the GIL
    from the running task: 6–9 % of its CPU with Dask's defaults, docs/benchmarks.md)."""
    client, cluster = _client("local", 1, "1GiB")
    try:
        assert config_of_workers(client) == [WANTED_CONFIG]
    finally:
        client.close()
        cluster.close()


def test_remote_workers_get_the_worker_settings_from_the_compose_file(cluster_address):
    from distributed import Client

    assert {k: v for k, v in compose_worker_environment().items() if k != DASK_ENVIRON_VARIABLE} == (
        worker_config_environment()
    )
    with Client(cluster_address, timeout="20s") as client:
        assert config_of_workers(client) == [WANTED_CONFIG] * 2


def test_remote_workers_get_the_malloc_settings_from_the_compose_variable(cluster_address):
    import yaml
    from distributed import Client

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    value = compose["services"]["worker"]["environment"][DASK_ENVIRON_VARIABLE]
    assert ast.literal_eval(value) == ast.literal_eval(repr(worker_environ()))
    with Client(cluster_address, timeout="20s") as client:
        assert (
            malloc_env_of_workers(client)
            == [{"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "67108864"}] * 2
        )


def test_workers_killed_mid_run_lose_nothing(zone_files, one_process):
    """Every worker process is killed (SIGKILL, as the kernel's OOM killer would) once the first
    partition is in: their nannies start new ones, the shared context — a task, not scattered
    data — is computed again, the remaining partitions run, and the table is the one-process one."""
    import signal

    from distributed import Client

    killed: list[int] = []

    with dask_processes(2) as address:

        def kill_workers_once(step, done: int, total: int) -> None:
            if killed:
                return
            with Client(address, timeout="20s") as c:
                pids = list(c.run(os.getpid).values())
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            killed.extend(pids)

        run = score_zone_parcels_distributed(
            windowed_ctx(zone_files, 10**9),
            zone_files["parcels"],
            scheduler=address,
            partition_size=250,
            progress=kill_workers_once,
        )
        with Client(address, timeout="20s") as c:
            new_pids = set(c.run(os.getpid).values())
    assert len(killed) == 2 and not new_pids & set(killed)
    assert_same_table(run.parcels, one_process)


@pytest.mark.parametrize(
    ("memory_limit", "cells"),
    [
        ("2GiB", 26_843_545),  # 0.3 × 2 GiB ÷ 24 B per cell
        (2**30, 13_421_772),
        ("8GiB", 50_000_000),  # never more than the default cap
    ],
)
def test_the_window_cap_follows_the_workers_memory_limit(memory_limit, cells):
    assert window_cells_for_memory(memory_limit) == cells


def test_a_partition_that_keeps_killing_its_worker_is_a_clear_error():
    from distributed import KilledWorker

    from app.i18n import render
    from gis.errors import LimitExceededError, ParksiteError

    parts = [list(range(300)), list(range(300, 420))]
    err = _partition_failed(KilledWorker("measure_partition-1", "tcp://127.0.0.1:1", 3), 1, parts, "2GiB")
    assert isinstance(err, LimitExceededError)
    assert "partition 2/2 (120 parcels)" in str(err) and "2GiB" in str(err)
    assert render(err.msg, "zh").startswith("第 2/2 个分区（120 个地块）多次使 Dask 工作进程停止")
    assert render(err.msg, "en").startswith("partition 2/2 (120 parcels) stopped its Dask worker")
    domain = ParksiteError("bad parcel")
    assert _partition_failed(domain, 0, parts, "2GiB") is domain
