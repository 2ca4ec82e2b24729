"""Golden-model engine: hand-built graphs on random and real tensors against
scipy/numpy, spec 3.4 streams, input checks, cycle mode and deadlocks."""

from __future__ import annotations


import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from sam.formats import Tensor
from sam.io.datasets import suitesparse_paths
from sam.tokens import fmt
from sim import DeadlockError, SimError, SimInputError, expected_formats, run_graph
from sim.cycle import ReplayNet, c_backend_available, replay, replay_graph
from sim.lower import lower_graph

import graphs

SUITESPARSE = [str(p) for p in suitesparse_paths()]


def rand_matrix(rng, m, n, density, *, ints=True, empty_rows=False, empty_cols=False):
    a = sp.random(m, n, density, format="lil", random_state=rng,
                  data_rvs=(lambda k: rng.integers(-4, 9, k)) if ints else None)
    if empty_rows and m > 1:
        a[rng.integers(0, m), :] = 0
    if empty_cols and n > 1:
        a[:, rng.integers(0, n)] = 0
    a = a.tocsr()
    a.eliminate_zeros()
    return a.astype(np.int64) if ints else a


def tensors_for(graph, mats: dict) -> dict:
    want = expected_formats(graph)
    out = {}
    for name, m in mats.items():
        f = want[name]
        if f.order == 0:
            out[name] = m
        elif f.order == 1:
            out[name] = Tensor.from_dense(np.asarray(m), f, name=name)
        else:
            out[name] = Tensor.from_scipy(m, f, name=name)
    return out


def gold(name, B, C, D=None):
    return {"mat_elemadd": lambda: B + C, "mat_elemmul": lambda: B.multiply(C),
            "mat_elemadd3": lambda: B + C + D, "matmul_ikj": lambda: B @ C,
            "matmul_kij": lambda: B @ C}[name]().toarray()


def check(res, want, exact=True):
    got = res.output.to_dense()
    assert got.shape == want.shape
    if exact:
        assert np.array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# -- spec 3.4 ----------------------------------------------------------------------

def spec_inputs():
    B = Tensor.from_coo([[0, 0, 2, 2], [0, 2, 1, 3]], [1, 2, 3, 4], (3, 4), "ss01", name="B")
    c = Tensor.from_coo([[0, 1, 3]], [10, 30, 20], (4,), "s0", name="c")
    return {"B": B, "c": c}


def test_spmv_spec_streams():
    g = graphs.spmv()
    res = run_graph(g, spec_inputs())
    want = graphs.SPEC_34_STREAMS
    for key, text in want.items():
        assert fmt(res.streams[key]) == text, key
    out = res.output
    assert out.levels[0].arrays["seg"].tolist() == [0, 2]
    assert out.levels[0].arrays["crd"].tolist() == [0, 2]
    assert out.vals.tolist() == [10, 170]
    assert res.tokens == sum(len(res.stream(e)) for e in g.edges)


def test_spmv_crddrop_drops_empty_rows():
    B = Tensor.from_coo([[0, 1, 2], [1, 2, 3]], [2, 5, 7], (3, 4), "ss01", name="B")
    c = Tensor.from_coo([[1, 3]], [3, 4], (4,), "s0", name="c")
    plain = run_graph(graphs.spmv(), {"B": B, "c": c}).output
    dropped = run_graph(graphs.spmv(True), {"B": B, "c": c}).output
    assert plain.levels[0].arrays["crd"].tolist() == [0, 1, 2]
    assert plain.vals.tolist() == [6, 0, 28]
    assert dropped.levels[0].arrays["crd"].tolist() == [0, 2]
    assert dropped.vals.tolist() == [6, 28]


# -- random tensors against scipy ---------------------------------------------------

CASES = [(10, 12, 0.0), (1, 1, 1.0), (7, 9, 0.05), (15, 11, 0.2), (20, 20, 0.5), (8, 8, 1.0)]
KERNELS = ["mat_elemadd", "mat_elemmul", "mat_elemadd3", "matmul_ikj", "matmul_kij"]


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_kernels_random(kernel, case):
    seed = 1000 * case + KERNELS.index(kernel)
    rng = np.random.default_rng(seed)
    m, n, d = CASES[case]
    k = n if kernel.startswith("mat_") else m + 3
    B = rand_matrix(rng, m, n, d, empty_rows=True)
    C = rand_matrix(rng, n if kernel.startswith("matmul") else m,
                    k if kernel.startswith("matmul") else n, d, empty_cols=True)
    D = rand_matrix(rng, m, n, d)
    g = graphs.GRAPHS[kernel]()
    mats = {"B": B, "C": C}
    if kernel == "mat_elemadd3":
        mats["D"] = D
    res = run_graph(g, tensors_for(g, mats))
    want = gold(kernel, B, C, D)
    assert np.array_equal(res.output.to_dense(), want), f"seed {seed}"
    assert res.output.vals.dtype == np.int64


@pytest.mark.parametrize("seed", range(4))
def test_spmv_random_floats(seed):
    rng = np.random.default_rng(seed)
    B = rand_matrix(rng, 25, 30, 0.15, ints=False, empty_rows=True)
    c = np.where(rng.random(30) < 0.4, rng.standard_normal(30), 0.0)
    for drop in (False, True):
        g = graphs.spmv(drop)
        res = run_graph(g, tensors_for(g, {"B": B, "c": c}))
        check(res, B @ c, exact=False)


def test_single_nonzero_and_empty():
    one = sp.csr_matrix(([7], ([2], [3])), shape=(4, 5), dtype=np.int64)
    empty = sp.csr_matrix((4, 5), dtype=np.int64)
    for kernel in ("mat_elemadd", "mat_elemmul"):
        g = graphs.GRAPHS[kernel]()
        for B, C in ((one, one), (one, empty), (empty, empty)):
            res = run_graph(g, tensors_for(g, {"B": B, "C": C}))
            assert np.array_equal(res.output.to_dense(), gold(kernel, B, C))
    g = graphs.matmul_ikj()
    res = run_graph(g, tensors_for(g, {"B": one, "C": one.T.tocsr()}))
    assert np.array_equal(res.output.to_dense(), (one @ one.T).toarray())


def test_scalar_inputs():
    g = graphs.vec_scalar_mul()
    c = np.array([0, 2, 0, 5])
    for b in (3, Tensor.from_dense(np.array(3), "none", name="b")):
        res = run_graph(g, tensors_for(g, {"b": b, "c": c}))
        assert res.output.to_dense().tolist() == [0, 6, 0, 15]
    res = run_graph(g, tensors_for(g, {"b": 0.5, "c": c}))
    assert res.output.to_dense().tolist() == [0, 1.0, 0, 2.5]


def test_nary_lowering_matches_binary_chain():
    g = graphs.mat_elemadd3()
    low, alias = lower_graph(g)
    assert all(len(n.attrs.get("operands") or []) <= 2 for n in low.nodes.values())
    assert sum(n.type == "union" for n in low.nodes.values()) == 2 * 3
    rng = np.random.default_rng(5)
    mats = {t: rand_matrix(rng, 9, 9, 0.3) for t in "BCD"}
    res = run_graph(g, tensors_for(g, mats))
    j_node = [n.id for n in g.nodes.values() if n.type == "union" and n.attrs["index"] == "j"][0]
    # every operand's aligned refs keep the joined crd stream's shape
    crd = res.streams[(j_node, "crd")]
    for t in "BCD":
        refs = res.streams[(j_node, f"ref_{t}")]
        assert len(refs) == len(crd)
    assert np.array_equal(res.output.to_dense(), (mats["B"] + mats["C"] + mats["D"]).toarray())


@pytest.mark.parametrize("path", SUITESPARSE, ids=lambda p: p.rsplit("/", 1)[-1])
def test_suitesparse(path):
    """The real matrices (whole; C = shift-free transpose, as matmul needs
    it square) through SpMV, add, multiply and both Gustavson orders, in
    both modes, against scipy."""
    A = scipy.io.mmread(path).tocsr()
    C = A.T.tocsr()
    c = np.random.default_rng(5).random(A.shape[1]) * (np.arange(A.shape[1]) % 3 != 0)
    cases = {"spmv": ({"B": A, "c": c}, A @ c),
             "mat_elemadd": ({"B": A, "C": 2 * A}, (3 * A).toarray()),
             "mat_elemmul": ({"B": A, "C": A}, A.multiply(A).toarray()),
             "matmul_ikj": ({"B": A, "C": C}, (A @ C).toarray()),
             "matmul_kij": ({"B": A, "C": C}, (A @ C).toarray())}
    for kernel, (mats, want) in cases.items():
        g = graphs.GRAPHS[kernel]()
        ins = tensors_for(g, mats)
        res = run_graph(g, ins)
        check(res, want, exact=False)
        cyc = run_graph(g, ins, mode="cycle")
        assert np.array_equal(cyc.output.to_dense(), res.output.to_dense()), kernel
        assert cyc.cycles > 0


# -- cycle mode -----------------------------------------------------------------------

@pytest.mark.parametrize("kernel", ["spmv"] + KERNELS)
def test_cycle_mode_same_result_and_backends(kernel):
    rng = np.random.default_rng(42)
    B = rand_matrix(rng, 12, 12, 0.25)
    mats = {"B": B, "C": rand_matrix(rng, 12, 12, 0.25), "D": rand_matrix(rng, 12, 12, 0.2),
            "c": rng.integers(0, 3, 12)}
    g = graphs.GRAPHS[kernel]()
    ins = tensors_for(g, {k: v for k, v in mats.items() if k in expected_formats(g)})
    f = run_graph(g, ins)
    for depth in (1, 2, 3):
        py = run_graph(g, ins, mode="cycle", fifo_depth=depth, backend="python")
        assert np.array_equal(py.output.to_dense(), f.output.to_dense())
        assert py.streams.keys() == f.streams.keys()
        assert py.cycles > 0
        total = sum(s["busy"] for s in py.stats.values())
        assert total == sum(len(v) for v in f.logs.values())
        for s in py.stats.values():
            assert s["busy"] + s["stall_in"] + s["stall_out"] <= py.cycles
        if c_backend_available():
            c = run_graph(g, ins, mode="cycle", fifo_depth=depth, backend="c")
            assert (c.cycles, c.stats) == (py.cycles, py.stats)


def test_deeper_fifos_never_slower():
    rng = np.random.default_rng(3)
    g = graphs.matmul_ikj()
    ins = tensors_for(g, {"B": rand_matrix(rng, 15, 15, 0.2), "C": rand_matrix(rng, 15, 15, 0.2)})
    cycles = [run_graph(g, ins, mode="cycle", fifo_depth=d).cycles for d in (1, 2, 4, 8)]
    assert cycles == sorted(cycles, reverse=True) and cycles[0] > cycles[-1]


def _fork_join_net():
    """A emits three tokens on port 0, then three on port 1; C consumes one
    from each per firing: needs FIFO depth >= 3."""
    A = [0b01] * 3 + [0b10] * 3
    C = [0b11] * 3
    return ReplayNet(names=["A", "C"], nin=[0, 2],
                     logs=[np.array(A, dtype=np.uint64), np.array(C, dtype=np.uint64)],
                     in_fifo=[[], [0, 1]], out_fifos=[[[0], [1]], []],
                     fifo_label=["A.x -> C.x", "A.y -> C.y"],
                     fifo_tokens=[[1, 2, 3], [4, 5, 6]], node_ids=[0, 1])


@pytest.mark.parametrize("backend", ["python", "c"])
def test_deadlock_detected(backend):
    if backend == "c" and not c_backend_available():
        pytest.skip("no C compiler")
    with pytest.raises(DeadlockError) as ex:
        replay(_fork_join_net(), fifo_depth=2, backend=backend)
    msg = str(ex.value)
    assert "deadlock at cycle" in msg and "A (firing 3 of 6)" in msg
    assert "C (firing 1 of 3): waits for input on A.y -> C.y" in msg
    assert "A.x -> C.x: 2/2 = [1 2]" in msg
    res = replay(_fork_join_net(), fifo_depth=3, backend=backend)
    assert res.cycles == 7
    assert res.per_node[1] == {"busy": 3, "stall_in": 4, "stall_out": 0, "firings": 3}


def test_bad_log_is_reported():
    g = graphs.spmv()
    res = run_graph(g, spec_inputs())
    logs = dict(res.logs)
    logs[2] = logs[2][:-1]
    with pytest.raises(SimError, match="firing logs disagree"):
        replay_graph(res.graph, logs, res.streams)


# -- input checks -------------------------------------------------------------------

def test_missing_inputs_listed():
    with pytest.raises(SimInputError, match=r"missing input tensors B, C"):
        run_graph(graphs.matmul_ikj(), {})


def test_wrong_order():
    ins = spec_inputs()
    ins["c"] = ins["B"]
    with pytest.raises(SimInputError, match=r"reads c as an order-1 tensor.* c is a matrix"):
        run_graph(graphs.spmv(), ins)


def test_wrong_mode_for_vector():
    ins = spec_inputs()
    ins["B"] = Tensor.from_coo([[0, 1]], [1, 2], (4,), "s0", name="B")
    with pytest.raises(SimInputError, match=r"reads B mode 1 but B is a vector"):
        run_graph(graphs.spmv(), ins)


def test_wrong_format():
    ins = spec_inputs()
    ins["B"] = ins["B"].convert("ss10")
    with pytest.raises(SimInputError, match=r"stored as ss10.*convert it to ss01"):
        run_graph(graphs.spmv(), ins)


def test_shape_mismatch_names_both():
    ins = spec_inputs()
    ins["c"] = Tensor.from_coo([[0]], [1], (5,), "s0", name="c")
    with pytest.raises(SimInputError, match=r"index j has size 4 in B mode 1 but 5 in c mode 0"):
        run_graph(graphs.spmv(), ins)


def test_bad_mode_and_depth():
    with pytest.raises(SimError, match="unknown mode"):
        run_graph(graphs.spmv(), spec_inputs(), mode="fast")
    with pytest.raises(SimError, match="fifo_depth"):
        run_graph(graphs.spmv(), spec_inputs(), mode="cycle", fifo_depth=0)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(20))
def test_kernels_random_sweep(seed):
    rng = np.random.default_rng(seed)
    m, n, k = rng.integers(1, 60, 3)
    d = float(rng.random())
    B = rand_matrix(rng, m, n, d)
    C = rand_matrix(rng, n, k, d)
    for kernel in ("matmul_ikj", "matmul_kij"):
        g = graphs.GRAPHS[kernel]()
        res = run_graph(g, tensors_for(g, {"B": B, "C": C}), mode="cycle")
        assert np.array_equal(res.output.to_dense(), (B @ C).toarray()), f"seed {seed}"


def test_spmv_empty_matrix():
    B = Tensor.from_coo(np.zeros((2, 0), dtype=np.int64), [], (3, 4), "ss01", name="B")
    c = Tensor.from_coo([[1]], [2], (4,), "s0", name="c")
    res = run_graph(graphs.spmv(True), {"B": B, "c": c}, mode="cycle")
    assert res.output.to_dense().tolist() == [0, 0, 0] and res.output.nnz == 0


# The C replay kernel's build: a fresh cache, no compiler, builders racing.

_KERNEL_PROBE = """
import numpy as np, sys
sys.path[:0] = [{repo!r}, {tests!r}]
import graphs
from sam.formats import Tensor
from sim import run_graph
from sim.cycle import c_backend_available
g = graphs.spmv()
B = Tensor.from_dense(np.arange(12).reshape(3, 4) % 3, "ss", name="B")
c = Tensor.from_dense(np.array([1, 0, 2, 3]), "s", name="c")
r = run_graph(g, {{"B": B, "c": c}}, mode="cycle")
print(c_backend_available(), r.cycles, list(r.output.to_dense()))
"""


def _probe(cache, path=None):
    import os
    import subprocess
    import sys
    from pathlib import Path
    here = Path(__file__).resolve().parent
    env = dict(os.environ, SAMFLOW_CACHE=str(cache))
    if path is not None:
        env["PATH"] = str(path)
    code = _KERNEL_PROBE.format(repo=str(here.parent), tests=str(here))
    return subprocess.Popen([sys.executable, "-c", code], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _answer(p):
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    avail, cycles, dense = out.split(" ", 2)
    return avail == "True", int(cycles), dense.strip()


def test_replay_kernel_fresh_cache_no_compiler_and_racing_builders(tmp_path):
    """Without a compiler the pure-Python replay gives the same numbers; two
    processes building into one empty cache at once both get a working
    kernel (atomic rename), and no temporary files stay behind."""
    import shutil
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    no_cc = _answer(_probe(tmp_path / "cache0", path=empty_bin))
    assert no_cc[0] is False
    assert not (tmp_path / "cache0").exists() or not any((tmp_path / "cache0").iterdir())
    if shutil.which("g++") is None:
        pytest.skip("no g++ on this machine: only the fallback can be tested")
    cache = tmp_path / "cache"
    racers = [_probe(cache), _probe(cache)]
    answers = [_answer(p) for p in racers]
    assert all(a[0] for a in answers), answers
    assert {a[1:] for a in answers} == {no_cc[1:]}
    assert [p.suffix for p in cache.iterdir()] == [".so"]
    assert _answer(_probe(cache)) == answers[0]          # reuses the built kernel
    (so,) = cache.iterdir()
    so.write_bytes(b"damaged")                            # a broken cache entry is rebuilt
    assert _answer(_probe(cache)) == answers[0]
    assert so.stat().st_size > 1000


# Property: any tensor in any format goes through scanners, arrayvals and
# writers (a whole identity graph, both modes) and comes back unchanged.

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sam.formats import Format  # noqa: E402
from sam.graph import Graph  # noqa: E402


def identity_graph(fmt: Format) -> Graph:
    """X = B with both in ``fmt``: one scanner and one level writer per level."""
    g = Graph("identity", formats={"X": str(fmt), "B": str(fmt)})
    prev = None
    for l, (letter, m) in enumerate(zip(fmt.levels, fmt.mode_order)):
        kind = "compressed" if letter == "s" else "dense"
        s = g.add_node("fiberlookup", index="ijk"[m], tensor="B", mode=m, format=kind,
                       root=l == 0)
        w = g.add_node("fiberwrite", index="ijk"[m], tensor="X", mode=str(m), format=kind)
        if prev is not None:
            g.connect(prev, "ref", s, "ref")
        g.connect(s, "crd", w, "crd")
        prev = s
    a = g.add_node("arrayvals", tensor="B")
    g.connect(prev, "ref", a, "ref")
    g.connect(a, "val", g.add_node("fiberwrite", tensor="X", mode="vals"), "val")
    return g.validate()


@st.composite
def formatted_tensors(draw):
    order = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=order, max_size=order)))
    fmt = Format(tuple(draw(st.lists(st.sampled_from("sd"), min_size=order, max_size=order))),
                 tuple(draw(st.permutations(range(order)))))
    density = draw(st.sampled_from([0.0, 0.3, 1.0]))
    seed = draw(st.integers(0, 2**16))
    return shape, fmt, density, seed


@given(formatted_tensors())
@settings(max_examples=60, deadline=None)
def test_property_identity_graph_round_trip(case):
    shape, fmt, density, seed = case
    rng = np.random.default_rng(seed)
    dense = rng.integers(1, 9, shape) * (rng.random(shape) < density)
    t = Tensor.from_dense(dense, fmt, name="B")
    g = identity_graph(fmt)
    f = run_graph(g, {"B": t})
    assert f.output.same_storage(Tensor.from_dense(dense, fmt, name="X")), (fmt, seed)
    c = run_graph(g, {"B": t}, mode="cycle", fifo_depth=1, backend="python")
    assert np.array_equal(c.output.to_dense(), dense) and c.cycles > 0, (fmt, seed)
