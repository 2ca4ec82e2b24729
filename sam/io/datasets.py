"""Where the shared test and benchmark data live.

The project's ``shared/`` folder sits beside the repository (``../shared``);
``SAM_SHARED_DIR`` overrides it. Tests and benchmarks find the SuiteSparse
matrices through :func:`suitesparse_paths` so no path is hard-coded twice.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["shared_dir", "suitesparse_paths"]

_REPO = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """``$SAM_SHARED_DIR`` if set, else ``../shared`` next to the repository,
    else ``/work/shared``; the first that exists (the second if none does)."""
    env = os.environ.get("SAM_SHARED_DIR")
    candidates = [Path(env)] if env else []
    candidates += [_REPO.parent / "shared", Path("/work/shared")]
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[0]


def suitesparse_paths() -> list[Path]:
    """The SuiteSparse ``.mtx`` files under ``shared/data/suitesparse``, sorted
    (empty when the folder is absent)."""
    return sorted((shared_dir() / "data" / "suitesparse").glob("*.mtx"))
