"""What the benchmarks read about the machine and their own processes: CPU time of a process's finished children
and of a process tree, the tree's size and memory, from /proc (psutil is not installed), and the load."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> list[str]:
    # The command name (field 2) may hold spaces: split after its closing parenthesis.
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def children_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of the finished children `pid` has waited for: serve waits for every flow-run
    process it started, so this is the machine time of the runs that ended."""
    fields = _stat(pid)
    return (int(fields[13]) + int(fields[14])) / TICKS  # cutime, cstime


def own_cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def descendants(pid: int) -> list[int]:
    """Every living process below `pid`."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int(_stat(int(entry.name))[1])
            except (OSError, ValueError, IndexError):
                continue
            parents.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError):
            continue
    return total / 2**20


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid`, its waited-for children, and its living descendants so far."""
    total = own_cpu_seconds(pid) + children_cpu_seconds(pid)
    for child in descendants(pid):
        try:
            total += own_cpu_seconds(child)
        except OSError:
            continue
    return total


def describe() -> str:
    """Machine and load, for the figures' header."""
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, load average {load}"


@dataclass
class Ratio:
    """One figure measured for ours and for a baseline in the same run."""

    name: str
    ours: float
    baseline: float

    def line(self, unit: str) -> str:
        ratio = self.ours / self.baseline if self.baseline else float("inf")
        return (
            f"{self.name:<28} ours {self.ours:9.2f} {unit:<4} baseline {self.baseline:9.2f} {unit:<4} "
            f"ratio {ratio:5.2f}"
        )
