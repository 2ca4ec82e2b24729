"""``rtl.verify.run_rtl`` leaves no temporary run directory behind."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest

from sam.formats import Tensor
from rtl.verify import verify

import graphs


@pytest.mark.parametrize("status", ["match", "deadlock"])
def test_verify_removes_its_run_directory(tmp_path, monkeypatch, status):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    rng = np.random.default_rng(0)
    B = Tensor.from_dense(rng.integers(1, 5, (4, 5)) * (rng.random((4, 5)) < 0.5), "ss01",
                          name="B")
    c = Tensor.from_dense(rng.integers(1, 5, 5), "s", name="c")
    # a 1-cycle limit makes the run stop before done: the failure path cleans up too
    res = verify(graphs.GRAPHS["spmv"](), {"B": B, "c": c}, sim="icarus",
                 limit_cycles=None if status == "match" else 1)
    assert res.status in (("match",) if status == "match" else ("timeout", "deadlock"))
    assert list(tmp_path.glob("sam-verify-*")) == []
