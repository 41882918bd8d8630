"""Where the CPU goes during a city load run (tests/benchmarks/bench_city.py --profile): CPU seconds, not latency.

- CpuMeter: utime+stime from /proc of the generator process(es), of PostgreSQL (the postmaster, its live
  children, and cutime+cstime: the CPU of the backends it has already reaped, which with a short connection
  per round is most of it) and of PgBouncer, between start() and stop(); plus the whole machine's busy time
  from /proc/stat (what the other sessions on the shared cores took is the difference).
- function_times: PostgreSQL's own per-function self time (track_functions = 'all', pg_stat_user_functions)
  for the sync.* and yc.* functions, between two snapshots.
Linux only; bench code, never imported by the product."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CpuMeter", "function_snapshot", "function_times", "proc_cpu"]

_TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from 3 (state) on


def proc_cpu(pid: int, *, children: bool = False) -> float:
    """CPU seconds of one process (utime+stime; with children also the reaped children's cutime+cstime)."""
    f = _stat_fields(pid)
    if f is None:
        return 0.0
    ticks = int(f[11]) + int(f[12]) + ((int(f[13]) + int(f[14])) if children else 0)
    return ticks / _TICK


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            f = _stat_fields(int(d.name))
            if f is not None and int(f[1]) == pid:
                out.append(int(d.name))
    return out


def _machine_busy() -> tuple[float, float]:
    """(busy, total) seconds of all CPUs since boot (/proc/stat)."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]
    return (sum(parts) - idle) / _TICK, sum(parts) / _TICK


def postmaster_pid(datadir: str) -> int:
    return int(Path(datadir, "postmaster.pid").read_text().splitlines()[0])


class CpuMeter:
    """CPU seconds per group between start() and stop(): {"generator", "postgres", "pgbouncer", "machine_busy",
    "machine_total"}. `generator` may be several pids (worker processes report their own: add_generator)."""

    def __init__(self, postmaster: int, pgbouncer: int | None = None) -> None:
        self.postmaster, self.pgbouncer = postmaster, pgbouncer
        self.t0: dict[str, float] = {}
        self.extra_generator = 0.0

    @staticmethod
    def _tree(pid: int) -> float:
        """A process, its live children and the children it has reaped (the postmaster and its backends;
        runuser and the pgbouncer it runs as the postgres user)."""
        return proc_cpu(pid, children=True) + sum(proc_cpu(p, children=True) for p in _children(pid))

    def _now(self) -> dict[str, float]:
        busy, total = _machine_busy()
        return {"generator": proc_cpu(os.getpid()), "postgres": self._tree(self.postmaster),
                "pgbouncer": self._tree(self.pgbouncer) if self.pgbouncer else 0.0,
                "machine_busy": busy, "machine_total": total}

    def start(self) -> None:
        self.t0 = self._now()

    def add_generator(self, seconds: float) -> None:
        self.extra_generator += seconds

    def stop(self) -> dict[str, float]:
        t1 = self._now()
        out = {k: round(t1[k] - self.t0[k], 1) for k in t1}
        out["generator"] = round(out["generator"] + self.extra_generator, 1)
        return out


def function_snapshot(con) -> dict[str, tuple[int, float, float]]:
    """{schema.function: (calls, total_ms, self_ms)} from pg_stat_user_functions (track_functions = 'all')."""
    rows = con.execute("SELECT schemaname || '.' || funcname, sum(calls), sum(total_time), sum(self_time) "
                       "FROM pg_stat_user_functions GROUP BY 1").fetchall()
    return {r[0]: (int(r[1]), float(r[2]), float(r[3])) for r in rows}


def function_times(before: dict, after: dict, top: int = 15) -> dict[str, dict[str, float]]:
    """The functions with the most self time between two snapshots: {name: {calls, total_s, self_s}}."""
    diff = {}
    for name, (calls, total, self_ms) in after.items():
        c0, t0, s0 = before.get(name, (0, 0.0, 0.0))
        if calls - c0:
            diff[name] = {"calls": calls - c0, "total_s": round((total - t0) / 1000, 2),
                          "self_s": round((self_ms - s0) / 1000, 2)}
    return dict(sorted(diff.items(), key=lambda kv: -kv[1]["self_s"])[:top])
