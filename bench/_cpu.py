"""Where a measurement's CPU time went: this process, the processes it started, and the
local PostgreSQL server, read from /proc while the measurement runs.

On a machine with two cores a bulk import keeps four processes busy (the storing process,
two preparing workers, the server's backend), so its rate is set by the sum of their CPU
time per record more than by any one of them. Sampling, not a reading at the end: workers
and server backends are gone by then, and their time with them. A process that lives less
than one interval is missed; the import's processes live for the whole run.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

PROC = Path("/proc")


def _processes() -> dict[tuple[int, int], tuple[str, int, float]]:
    """(pid, start time) -> (command name, parent pid, CPU seconds used so far). The start
    time tells a reused pid from its predecessor; the name cannot (a kernel worker's name
    changes with its work)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        # fields from the state on: ppid is the 2nd, utime and stime the 12th and 13th,
        # the start time the 20th
        used = (int(fields[11]) + int(fields[12])) / tick
        out[int(entry.name), int(fields[19])] = (name, int(fields[1]), used)
    return out


class CpuSampler:
    """``with CpuSampler() as cpu: ...`` then ``cpu.seconds``: CPU seconds by group
    ("this process", "its workers", "PostgreSQL", "other") and ``cpu.wall``."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.available = PROC.joinpath("self", "stat").exists()
        self.seconds: dict[str, float] = {}
        self.wall = 0.0
        self._last: dict[tuple[int, int], tuple[str, int, float]] = {}
        self._stop = threading.Event()

    def _group(self, pid: int, name: str, ppid: int) -> str:
        me = os.getpid()
        if pid == me:
            return "this process"
        if ppid == me:
            return "its workers"
        if name == "postgres" or name.startswith("postgres:"):
            return "PostgreSQL"
        return "other"

    def _sample(self) -> None:
        now = _processes()
        for key, (name, ppid, used) in now.items():
            before = self._last.get(key)
            # a process first seen now started meanwhile: all its time counts (except at
            # the first sample, which only sets where everything starts from)
            start = before[2] if before else (0.0 if self._last else used)
            if used > start:
                group = self._group(key[0], name, ppid)
                self.seconds[group] = self.seconds.get(group, 0.0) + used - start
        self._last = now

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> CpuSampler:
        if self.available:
            self._sample()
            self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
            self._thread.start()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._started
        if self.available:
            self._stop.set()
            self._thread.join()
            self._sample()

    def per_record(self, n: int) -> str:
        """One line: microseconds of CPU per record by group, and the cores kept busy."""
        if not self.available or not n:
            return "CPU time not read (no /proc here)"
        groups = ("this process", "its workers", "PostgreSQL", "other")
        parts = [f"{g} {self.seconds[g] / n * 1e6:,.1f}" for g in groups if g in self.seconds]
        total = sum(self.seconds.values())
        return (
            f"CPU per record (us): {', '.join(parts)}; in all {total / n * 1e6:,.1f}, "
            f"{total / self.wall:.2f} of {os.cpu_count()} cores busy on average"
        )
