"""``rtl.verify.run_rtl``: its temporary run directory and ``sam verify --waves``."""

from __future__ import annotations

import re
import tempfile

import numpy as np
import pytest

from sam.formats import Tensor
from rtl.verify import verify
from sam.errors import UserError

import graphs


def _spmv_inputs():
    rng = np.random.default_rng(0)
    B = Tensor.from_dense(rng.integers(1, 5, (4, 5)) * (rng.random((4, 5)) < 0.5), "ss01",
                          name="B")
    c = Tensor.from_dense(rng.integers(1, 5, 5), "s", name="c")
    return {"B": B, "c": c}


@pytest.mark.parametrize("status", ["match", "deadlock"])
def test_verify_removes_its_run_directory(tmp_path, monkeypatch, status):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    # a 1-cycle limit makes the run stop before done: the failure path cleans up too
    res = verify(graphs.GRAPHS["spmv"](), _spmv_inputs(), sim="icarus",
                 limit_cycles=None if status == "match" else 1)
    assert res.status in (("match",) if status == "match" else ("timeout", "deadlock"))
    assert list(tmp_path.glob("sam-verify-*")) == []


def test_waves_icarus_writes_an_fst_file(tmp_path):
    out = tmp_path / "spmv.fst"
    res = verify(graphs.GRAPHS["spmv"](), _spmv_inputs(), sim="icarus", waves=out)
    assert res.status == "match"
    data = out.read_bytes()
    assert len(data) > 1000 and data[0] == 0   # FST starts with its header block (type 0)


@pytest.mark.parametrize("sim,name,hint", [
    ("icarus", "w.vcd", "name the file *.fst or use --sim verilator"),
    ("verilator", "w.fst", "name the file *.vcd or use --sim icarus"),
    ("icarus", "w.txt", "icarus writes FST waves; name the file *.fst"),
])
def test_waves_suffix_must_match_the_simulator(tmp_path, sim, name, hint):
    with pytest.raises(UserError, match=re.escape(hint)):
        verify(graphs.GRAPHS["spmv"](), _spmv_inputs(), sim=sim, waves=tmp_path / name)


def test_waves_cli(tmp_path, capsys):
    from sam import cli
    np.save(tmp_path / "c.npy", np.arange(1, 6))
    B = tmp_path / "B.mtx"
    B.write_text("%%MatrixMarket matrix coordinate integer general\n4 5 3\n1 1 2\n2 3 4\n"
                 "4 5 1\n")
    out = tmp_path / "w.fst"
    assert cli.main(["verify", "spmv", "-i", f"B={B}", "-i", f"c={tmp_path / 'c.npy'}",
                     "--waves", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert out.stat().st_size > 1000


def test_simulator_builds_are_cached_per_cocotb_install(tmp_path, monkeypatch):
    # a Verilator executable links cocotb's libraries by an rpath into the
    # venv that built it, so another venv must not reuse it
    import cocotb_tools.config
    import cocotb_tools.runner
    from rtl import verify as V

    class FakeRunner:
        def build(self, **kw):
            pass
    monkeypatch.setenv("SAMFLOW_CACHE", str(tmp_path))
    monkeypatch.setattr(cocotb_tools.runner, "get_runner", lambda sim: FakeRunner())
    dirs = []
    for libs in ("/venv-a/cocotb/libs", "/venv-b/cocotb/libs", "/venv-a/cocotb/libs"):
        monkeypatch.setattr(cocotb_tools.config, "libs_dir", libs)
        dirs.append(V._sim_build("verilator", "module top; endmodule\n", "top"))
    assert dirs[0] != dirs[1] and dirs[0] == dirs[2]
