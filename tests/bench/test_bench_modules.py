"""The benchmarks are not tests (bench/RESULTS.md holds their figures), but each must import and take its small-size
flags, and the /proc readings they rest on must measure what they say."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest

from bench.machine import children_cpu_seconds, descendants, tree_cpu_seconds

SMALL = {
    "bench.calls": ["--kinds", "upward", "--modes", "cold,warm"],
    "bench.overhead": ["--cases", "2", "--poll-seconds", "3"],
    "bench.latency": ["--cases", "1"],
    "bench.waiting": ["--waiting", "50", "--signed", "2"],
    "bench.burst": ["--cases", "5", "--limit", "100"],
    "bench.kill_matrix": ["--points", "deal"],
    "bench.intake": ["--mode", "poll", "--cases", "1", "--interval", "15"],
}


@pytest.mark.parametrize("module", sorted(SMALL))
def test_each_benchmark_imports_and_reads_its_small_size_flags(module: str) -> None:
    parsed = vars(importlib.import_module(module).parser().parse_args(SMALL[module]))
    given = {flag.removeprefix("--").replace("-", "_") for flag in SMALL[module] if flag.startswith("--")}
    assert given <= parsed.keys()


def test_the_floor_flow_imports_with_its_deployment_name() -> None:
    assert importlib.import_module("bench.floor").DEPLOYMENT == "floor/floor"


@pytest.mark.parametrize(
    ("task_runs", "new"),
    [([11, 18, 27], [11, 7, 9]), ([8, 16, 24], [8, 8, 8]), ([5, 3], [5, 0])],
)
def test_the_floor_runs_as_many_task_runs_per_phase_as_ours_when_each_phase_replays_the_earlier_ones(
    task_runs: list[int], new: list[int]
) -> None:
    from bench.floor import new_tasks_per_phase

    assert new_tasks_per_phase(task_runs) == new


def test_a_waited_for_childs_cpu_time_counts_for_its_parent() -> None:
    before = children_cpu_seconds(os.getpid())
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    subprocess.run([sys.executable, "-c", burn], check=True)
    assert children_cpu_seconds(os.getpid()) - before >= 0.25


def test_a_living_child_is_a_descendant_and_its_time_is_in_the_tree() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        assert child.pid in descendants(os.getpid())
        assert tree_cpu_seconds(os.getpid()) > 0
    finally:
        child.kill()
        child.wait()
