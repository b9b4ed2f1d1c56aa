"""CPU time and memory of a process and its children, read from /proc (Linux)."""
from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces; everything after its closing ')' is fixed.
    return text[text.rindex(")") + 2:].split()


def tree(pid: int) -> list[int]:
    """The process and all its living descendants."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by the process tree (utime + stime, fields 14 and 15)."""
    total = 0
    for member in tree(pid):
        fields = _stat_fields(member)
        if fields:
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def process_rss_mb(pid: int) -> float:
    """Resident memory of one process in MB (VmRSS), 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def rss_mb(pid: int) -> float:
    """Resident memory of the process tree in MB (sum of VmRSS; shared pages counted per process)."""
    return sum(process_rss_mb(member) for member in tree(pid))


def load_average() -> tuple[float, float, float]:
    """The machine's 1, 5 and 15 minute load averages (other work on the machine skews the numbers)."""
    return os.getloadavg()


def pss_mb(pid: int) -> float:
    """Proportional memory of the process tree in MB (shared pages split between the processes sharing them)."""
    total_kb = 0
    for member in tree(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024
