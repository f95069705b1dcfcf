"""What machine and code a benchmark ran on: shared by the scripts in bench/ (standard library only)."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def _read_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine_info(packages: dict[str, str]) -> dict[str, Any]:
    """Cores, CPU, memory, Python, the given packages' versions ({key: distribution}), commit, load."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _read_lines("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor(),
    )
    mem_kb = next((int(line.split()[1]) for line in _read_lines("/proc/meminfo") if line.startswith("MemTotal")), 0)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    # Uncommitted engine changes make the commit alone a misleading label.
    dirty = subprocess.run(["git", "status", "--porcelain", "berdaya"], cwd=REPO, capture_output=True, text=True)
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 2**20, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        **{key: _version(distribution) for key, distribution in packages.items()},
        "berdaya_commit": commit.stdout.strip() if commit.returncode == 0 else None,
        "berdaya_uncommitted_changes": bool(dirty.stdout.strip()) if dirty.returncode == 0 else None,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
