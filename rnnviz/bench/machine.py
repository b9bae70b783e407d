"""The machine a bench ran on: CPU, cores, NumPy and its BLAS, torch, load."""

from __future__ import annotations

import ctypes
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np


def describe() -> dict[str, Any]:
    """Facts for the bench header; every entry degrades to "unknown" rather than failing."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count() or 0,
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas_build(),
        "blas_runtime": openblas_runtime(),
        "torch": installed_torch(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _blas_build() -> str:
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # the layout of show_config differs between NumPy versions
        return "unknown"


def openblas_runtime() -> dict[str, Any] | None:
    """The kernel OpenBLAS chose at run time and its thread count, read from the library NumPy loaded.

    Read-only probing by symbol name (as threadpoolctl does); None when NumPy uses another BLAS.
    """
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    paths = sorted({line.split()[-1] for line in maps.splitlines() if "openblas" in line.lower()})
    for path in paths:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (
            ("scipy_openblas", "64_"),
            ("scipy_openblas", ""),
            ("openblas", "64_"),
            ("openblas", ""),
        ):
            corename = getattr(library, f"{prefix}_get_corename{suffix}", None)
            threads = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
            if corename is None or threads is None:
                continue
            corename.restype = ctypes.c_char_p
            return {"core": corename().decode(errors="replace"), "threads": int(threads())}
    return None


def installed_torch() -> str | None:
    """torch's version as installed, without importing it (that takes seconds); the sections that use
    torch report the version they imported."""
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return None


def header_lines(info: dict[str, Any]) -> list[str]:
    """The machine as a few readable lines."""
    runtime = info.get("blas_runtime")
    blas = info["blas"] + (f" (kernel {runtime['core']}, {runtime['threads']} threads)" if runtime else "")
    load = info.get("load_average")
    return [
        f"CPU: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable)",
        f"Python {info['python']}, NumPy {info['numpy']} with {blas}",
        f"torch: {info['torch']}" if info["torch"] else "torch: not found (rnnviz figures only)",
        "load average: " + (", ".join(f"{x:.2f}" for x in load) if load else "unknown"),
    ]
