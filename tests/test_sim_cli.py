"""``sam sim``: sim.cli.simulate and the sub-command through sam.cli.main;
reference graphs from tests/data run on the golden model."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from sam import dot, jsonio
from sam.errors import UserError
from sam.graph import Graph
from sam.formats import Tensor
from sam.io import load_tensor
from sim import expected_formats, run_graph
from sim.cli import SimCliError, simulate

import graphs


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(7)
    A = sp.random(15, 12, 0.3, format="coo", random_state=rng,
                  data_rvs=lambda k: rng.integers(1, 9, k)).astype(np.int64)
    C = sp.random(12, 10, 0.3, format="coo", random_state=rng,
                  data_rvs=lambda k: rng.integers(1, 9, k)).astype(np.int64)
    v = sp.random(12, 1, 0.5, format="coo", random_state=rng,
                  data_rvs=lambda k: rng.integers(1, 9, k)).astype(np.int64)
    for name, m in (("A", A), ("C", C), ("v", v)):
        scipy.io.mmwrite(tmp_path / f"{name}.mtx", m, field="integer")
    dot.dump(graphs.matmul_kij(), tmp_path / "kij.gv")
    jsonio.dump(graphs.spmv(True), tmp_path / "spmv.json")
    dot.dump(graphs.vec_scalar_mul(), tmp_path / "vsm.gv")
    return tmp_path, A.tocsr(), C.tocsr(), v.toarray().ravel()


def test_simulate_converts_formats_and_writes(files):
    d, A, C, v = files
    # kij reads B as ss10: the .mtx is converted; dims come from the files
    res = simulate(d / "kij.gv", [f"B={d / 'A.mtx'}", f"C={d / 'C.mtx'}"],
                   [f"X={d / 'X.mtx'}"], mode="cycle", fifo_depth=2,
                   stats_path=d / "stats.json")
    want = (A @ C).toarray()
    assert np.array_equal(res.output.to_dense(), want)
    assert np.array_equal(load_tensor(d / "X.mtx").to_dense(), want)
    stats = json.loads((d / "stats.json").read_text())
    assert stats["cycles"] == res.cycles > 0
    assert stats["output"]["shape"] == [15, 10]
    assert set(stats["nodes"]) == set(res.stats)


def test_simulate_json_graph_and_vector(files):
    d, A, C, v = files
    res = simulate(d / "spmv.json", [f"B={d / 'A.mtx'}", f"c={d / 'v.mtx'}"],
                   [f"x={d / 'x.tns'}"])
    assert np.array_equal(res.output.to_dense(), A @ v)
    assert np.array_equal(load_tensor(d / "x.tns", "s0").to_dense(), A @ v)


def test_simulate_scalar(files):
    d, A, C, v = files
    res = simulate(d / "vsm.gv", ["b=2.5", f"c={d / 'v.mtx'}"], [f"x={d / 'x.npy'}"])
    assert np.allclose(res.output.to_dense(), 2.5 * v)
    assert np.allclose(np.load(d / "x.npy"), 2.5 * v)
    np.save(d / "b.npy", np.array(-2))          # a scalar may come from a 0-d file
    res = simulate(d / "vsm.gv", [f"b={d / 'b.npy'}", f"c={d / 'v.mtx'}"])
    assert np.array_equal(res.output.to_dense(), -2 * v)
    with pytest.raises(UserError, match="order-2 tensor .* but format none has order 0"):
        simulate(d / "vsm.gv", [f"b={d / 'A.mtx'}", f"c={d / 'v.mtx'}"])


@pytest.mark.parametrize("args,match", [
    (["B"], "must look like NAME=VALUE"),
    (["Z=1"], "not read by the graph"),
    (["b=nofile.mtx"], "scalar in the graph"),
])
def test_simulate_bad_inputs(files, args, match):
    d, *_ = files
    with pytest.raises(SimCliError, match=match):
        simulate(d / "vsm.gv", args + [f"c={d / 'v.mtx'}"])


def test_simulate_bad_output_and_graph(files):
    d, *_ = files
    with pytest.raises(SimCliError, match="output Y is not produced"):
        simulate(d / "vsm.gv", ["b=2", f"c={d / 'v.mtx'}"], [f"Y={d / 'y.npy'}"])
    with pytest.raises(SimCliError, match="no such graph file"):
        simulate(d / "missing.gv", [])


@pytest.mark.parametrize("out,stats,match", [
    ("y=y.npy", None, "output y is not produced by the graph .it writes x.; use -o x=PATH"),
    ("x=x.xyz", None, "unknown output file type '.xyz'"),
    ("x=nodir/x.mtx", None, "directory .*nodir does not exist"),
    ("x=x.mtx", "nodir/s.json", "directory .*nodir does not exist"),
])
def test_bad_outputs_fail_before_the_run_and_write_nothing(files, monkeypatch, out, stats,
                                                            match):
    d, *_ = files
    monkeypatch.chdir(d)
    before = set(d.iterdir())
    import sim.cli
    monkeypatch.setattr(sim.cli, "run_graph", lambda *a, **k: pytest.fail("ran the graph"))
    with pytest.raises(SimCliError, match=match):
        simulate(d / "vsm.gv", ["b=2", f"c={d / 'v.mtx'}"], [out], stats_path=stats)
    assert set(d.iterdir()) == before


def test_tns_without_shape_gets_a_hint(files):
    d, *_ = files
    (d / "v.tns").write_text("1 2\n3 4\n")        # v has 12 entries; the file says 3
    with pytest.raises(UserError, match=r"index j has size 12 in B mode 1 but 3 in c mode 0.*"
                                        r"v\.tns has no '# shape:' comment, so its shape "
                                        r"\(3,\) comes from its largest coordinates; add a "
                                        r"line '# shape: d0'"):
        simulate(d / "spmv.json", [f"B={d / 'A.mtx'}", f"c={d / 'v.tns'}"])
    (d / "v.tns").write_text("# shape: 3\n1 2\n3 4\n")
    with pytest.raises(UserError) as ex:
        simulate(d / "spmv.json", [f"B={d / 'A.mtx'}", f"c={d / 'v.tns'}"])
    assert "shape:" not in str(ex.value)


def test_failed_run_writes_nothing(files, capsys):
    """A run that fails (here: a shape mismatch found while binding) leaves
    no output file behind, and the CLI prints one line."""
    from sam.cli import main
    d, *_ = files
    rc = main(["sim", str(d / "kij.gv"), "-i", f"B={d / 'A.mtx'}", "-i", f"C={d / 'A.mtx'}",
               "-o", f"X={d / 'X.mtx'}", "--stats", str(d / "s.json")])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("sam: error: ") and err.count("\n") == 1, err
    assert "index k" in err
    assert not (d / "X.mtx").exists() and not (d / "s.json").exists()


def test_sam_sim_command(files, capsys):
    from sam.cli import main
    d, A, C, v = files
    rc = main(["sim", str(d / "kij.gv"), "-i", f"B={d / 'A.mtx'}", "-i", f"C={d / 'C.mtx'}",
               "--mode", "cycle", "--fifo-depth", "3"])
    out = capsys.readouterr().out
    nnz = int(np.count_nonzero((A @ C).toarray()))
    assert rc == 0
    assert f"X: shape (15, 10), format ss01, nnz {nnz}" in out
    assert "cycles: " in out
    rc = main(["sim", str(d / "kij.gv"), "-i", f"B={d / 'A.mtx'}"])
    err = capsys.readouterr().err
    assert rc == 2 and "sam: error: missing input tensor C" in err


REF_DIR = Path(__file__).parent / "data"
REF_GRAPHS = sorted(glob.glob(str(REF_DIR / "*.gv")))


_REF_GOLD = {
    "mat_vecmul_ij": lambda m: m["B"] @ m["c"],
    "mat_vecmul_ji": lambda m: m["B"] @ m["c"],
    "vec_ds_compression": lambda m: m["b"],
    "vec_sd_compression": lambda m: m["b"],
    "matmul_ikj": lambda m: (m["B"] @ m["C"]).toarray(),
    "matmul_kij": lambda m: (m["B"] @ m["C"]).toarray(),
    "mat_elemadd3": lambda m: (m["B"] + m["C"] + m["D"]).toarray(),
    "mat_sddmm": lambda m: m["B"].multiply(m["C"] @ m["D"]).toarray(),
}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("path", REF_GRAPHS, ids=lambda p: p.rsplit("/", 1)[-1])
def test_reference_graphs_run(path):
    """Reference-compiler graphs stored in tests/data (unchanged files: extra
    spaccumulator crd edges, crdhold vals=true, 3-operand unions, dense
    operands in both mode orders) run in both modes and match numpy/scipy."""
    g = Graph.load(path)
    want = expected_formats(g)
    rng = np.random.default_rng(11)
    n = 8
    mats = {}
    ins = {}
    for name, f in want.items():
        if f.order == 0:
            mats[name] = ins[name] = 3
        elif f.order == 1:
            mats[name] = rng.integers(0, 3, n) * (rng.random(n) < 0.6)
            ins[name] = Tensor.from_dense(mats[name], f, name=name)
        else:
            assert f.order == 2, f"no generator for order-{f.order} inputs"
            mats[name] = sp.random(n, n, 0.4, format="csr", random_state=rng,
                                   data_rvs=lambda k: rng.integers(1, 5, k)).astype(np.int64)
            ins[name] = Tensor.from_scipy(mats[name], f, name=name)
    res = run_graph(g, ins)
    func = res.output.to_dense()
    cyc = run_graph(g, ins, mode="cycle", fifo_depth=1).output.to_dense()
    assert np.array_equal(func, cyc)
    stem = path.rsplit("/", 1)[-1][:-3]
    assert np.array_equal(func, _REF_GOLD[stem](mats))


def test_reference_graph_from_the_command_line(tmp_path, capsys):
    """A reference sparse-to-dense graph (crdhold vals=true) through ``sam sim``."""
    from sam.cli import main
    b = np.array([0, 4, 0, 0, 7, 1])
    np.save(tmp_path / "b.npy", b)
    rc = main(["sim", str(REF_DIR / "vec_sd_compression.gv"), "-i", f"b={tmp_path / 'b.npy'}",
               "-o", f"x={tmp_path / 'x.npy'}", "--mode", "cycle"])
    assert rc == 0, capsys.readouterr().err
    assert np.array_equal(np.load(tmp_path / "x.npy"), b)
    assert "x: shape (6,), format d0, nnz 3" in capsys.readouterr().out
