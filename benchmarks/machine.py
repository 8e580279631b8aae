"""What the benchmarks ran on."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from importlib import metadata
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def describe(postgres_version: str | None) -> dict[str, object]:
    return {
        "host": platform.node(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "memory_gb": _memory_gb(),
        "python": sys.version.split()[0],
        "textual": _version("textual"),
        "sqlalchemy": _version("sqlalchemy"),
        "sqlmodel": _version("sqlmodel"),
        "alembic": _version("alembic"),
        "psycopg2": _version("psycopg2-binary"),
        "bcrypt": _version("bcrypt"),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version or "-",
    }
