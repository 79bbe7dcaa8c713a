"""Dask or Ray for track generation (issue 12): start a local cluster of 2 single-threaded worker processes,
run 200 tiny tasks and 8 tasks of 0.2 s of CPU work, shut it down. Prints one JSON line per engine.

Ray is not in the lock (the pipeline runs on Dask); measure it in a scratch environment:

    python -m venv /tmp/engines && /tmp/engines/bin/pip install distributed ray
    /tmp/engines/bin/python benchmarks/bench_engines.py dask ray
"""

from __future__ import annotations

import json
import sys
import time


def work(i: int) -> int:
    start, x = time.perf_counter(), 0
    while time.perf_counter() - start < 0.2:
        x += 1
    return i


def tiny(i: int) -> int:
    return i * i


def dask_engine() -> list[float]:
    from distributed import Client, LocalCluster

    t = [time.perf_counter()]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            t.append(time.perf_counter())
            client.gather(client.map(tiny, range(200)))
            t.append(time.perf_counter())
            client.gather(client.map(work, range(8)))
            t.append(time.perf_counter())
    t.append(time.perf_counter())
    return t


def ray_engine() -> list[float]:
    import ray

    t = [time.perf_counter()]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    remote_tiny, remote_work = ray.remote(tiny), ray.remote(work)
    t.append(time.perf_counter())
    ray.get([remote_tiny.remote(i) for i in range(200)])
    t.append(time.perf_counter())
    ray.get([remote_work.remote(i) for i in range(8)])
    t.append(time.perf_counter())
    ray.shutdown()
    t.append(time.perf_counter())
    return t


def main() -> None:
    for name in sys.argv[1:] or ["dask"]:
        t = {"dask": dask_engine, "ray": ray_engine}[name]()
        print(
            json.dumps(
                {
                    "engine": name,
                    "start_s": round(t[1] - t[0], 2),
                    "tiny_task_ms": round((t[2] - t[1]) / 200 * 1e3, 2),
                    "8_tasks_of_0.2_s_on_2_workers_s": round(t[3] - t[2], 2),
                    "shutdown_s": round(t[4] - t[3], 2),
                }
            )
        )


if __name__ == "__main__":
    main()
