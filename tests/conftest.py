"""Shared pytest fixtures and settings (append new shared fixtures here).

Randomness is reproducible: the ``rng`` fixture seeds numpy from
``SAM_TEST_SEED`` (default 0) and a failing test's report names the seed;
hypothesis runs derandomized (a fixed seed per test) with no deadline.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("sam", deadline=None, derandomize=True, print_blob=True,
                          max_examples=60)
settings.load_profile(os.environ.get("SAM_HYPOTHESIS_PROFILE", "sam"))

from sam.io.datasets import shared_dir, suitesparse_paths as _suitesparse_paths

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = shared_dir() / "data"
SUITESPARSE = _suitesparse_paths()


@pytest.fixture
def seed(request) -> int:
    """The random seed of this test (``SAM_TEST_SEED``, default 0); printed
    in the report when the test fails."""
    s = int(os.environ.get("SAM_TEST_SEED", "0"))
    request.node._sam_seed = s
    return s


@pytest.fixture
def rng(seed) -> np.random.Generator:
    """A numpy generator seeded with :func:`seed`."""
    return np.random.default_rng(seed)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    s = getattr(item, "_sam_seed", None)
    if s is not None and report.failed:
        report.sections.append(("random seed", f"rerun with SAM_TEST_SEED={s}"))


@pytest.fixture
def suitesparse_paths() -> list[Path]:
    """The SuiteSparse matrices in shared/data/suitesparse (skip if absent)."""
    if not SUITESPARSE:
        pytest.skip(f"no SuiteSparse matrices under {SHARED_DATA / 'suitesparse'}")
    return SUITESPARSE


#: Spec section 1.3's matrix B (3 x 4, row 1 empty) as (row, col, value) points.
SPEC_B_POINTS = [(0, 0, 1), (0, 2, 2), (2, 1, 3), (2, 3, 4)]


@pytest.fixture
def spec_b():
    """``(coords, vals, shape)`` of spec 1.3's matrix B."""
    coords = np.array([[p[0] for p in SPEC_B_POINTS], [p[1] for p in SPEC_B_POINTS]])
    return coords, np.array([p[2] for p in SPEC_B_POINTS]), (3, 4)
