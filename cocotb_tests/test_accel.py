"""Generated accelerators against the golden model, under Icarus and Verilator.

Every Custard library kernel with RTL, in its default formats and in one
other loop order (with concordant formats) where Custard supports one, on
random integer tensors and on integer versions of the SuiteSparse matrices,
with random host-side stalls (:func:`rtl.verify.verify` through the cocotb
bench ``tb_accel``). ``make test`` runs a handful under Icarus and one under
Verilator; the whole matrix is ``@pytest.mark.slow`` (``make test-full``).

Each case prints kernel, matrix, RTL cycles, golden-model cycles and the
ideal bound (``pytest -s`` shows them; ``SAM_ACCEL_TABLE=path`` appends them
to a file as TSV).
"""

from __future__ import annotations

import itertools
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

SUITESPARSE = Path("/work/shared/data/suitesparse")

custard = pytest.importorskip("custard")

from sam.formats import Format, Tensor          # noqa: E402
from sam.io import load_tensor                   # noqa: E402
from sim.bind import expected_formats            # noqa: E402
from rtl.accel import AccelParams, unsupported_nodes   # noqa: E402
from rtl.verify import build, verify             # noqa: E402


# --------------------------------------------------------------------------
# cases

def _accesses(node, out):
    if hasattr(node, "indices"):
        out.append(node)
    else:
        _accesses(node.left, out)
        _accesses(node.right, out)
    return out


def tensor_indices(expr: str) -> dict:
    """Tensor name -> its index variables, from the expression."""
    st = custard.parse(expr)
    return {a.name: tuple(a.indices) for a in [st.lhs] + _accesses(st.rhs, [])}


def other_order(name: str):
    """``(schedule, formats)`` of one other loop order Custard supports for
    kernel ``name`` (formats made concordant with it), or None."""
    k = custard.get_kernel(name)
    idx = tensor_indices(k.expr)
    default = list(custard.compile(name).meta.get("schedule") or [])
    for perm in itertools.permutations(default):
        if list(perm) == default:
            continue
        sched = f"reorder({','.join(perm)})"
        fmts = {}
        for t, ix in idx.items():
            if len(ix) < 2:
                continue
            base = Format.parse(k.formats.get(t, "s" * len(ix)))
            order = sorted(range(len(ix)), key=lambda m: perm.index(ix[m]))
            letters = "".join(base.levels)
            fmts[t] = f"{letters}:{','.join(map(str, order))}"
        if not custard.check(name, formats=fmts, schedule=sched):
            return sched, fmts
    return None


def random_inputs(graph, expr: str, seed: int, sizes=None, density=0.4) -> dict:
    """Random integer tensors (values -9..9) in the formats ``graph`` reads."""
    rng = np.random.default_rng(seed)
    idx = tensor_indices(expr)
    sizes = sizes or {}
    allidx = sorted({i for ix in idx.values() for i in ix})
    dims = {i: sizes.get(i, int(rng.integers(3, 9))) for i in allidx}
    out = {}
    for t, f in expected_formats(graph).items():
        if f.order == 0:
            out[t] = int(rng.integers(-9, 10))
            continue
        shape = tuple(dims[i] for i in idx[t])
        a = rng.integers(-9, 10, shape) * (rng.random(shape) < density)
        out[t] = Tensor.from_dense(a, f, name=t)
    return out


def integer_matrix(path: Path, fmt, name: str) -> Tensor:
    """A SuiteSparse matrix with integer values (sign * max(1, round(4|v|)))."""
    t = load_tensor(path, name=name)
    c, v = t.to_coo()
    vi = (np.sign(v) * np.maximum(1, np.round(np.abs(v) * 4))).astype(np.int64)
    return Tensor.from_coo(c, vi, t.shape, fmt, name=name)


#: Parameters for tests: small memories and accumulators keep builds quick.
PARAMS = AccelParams(mem_depth=256, spacc_dim=16, spacc_outer_dim=16)


def _record(kernel, data, sim, res):
    line = (f"{kernel}\t{data}\t{sim}\t{res.rtl_cycles}\t{res.golden_cycles}\t{res.ideal}"
            f"\t{res.status}\t{res.wall_s:.1f}")
    print("\nACCEL " + line)
    path = os.environ.get("SAM_ACCEL_TABLE")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


def run_case(name: str, *, sim="icarus", seeds=(1,), stall=0.25, order=None, data="random",
             params=PARAMS, input_seed=0):
    """Compile ``name`` (optionally in another loop order), run it for each
    stall seed and assert a match; returns the last result."""
    kw = {}
    if order is not None:
        kw = {"schedule": order[0], "formats": order[1]}
    g = custard.compile(name, **kw)
    bad = unsupported_nodes(g, params)
    if bad:
        pytest.skip(f"{name}: no RTL for {bad}")
    k = custard.get_kernel(name)
    if data == "random":
        ins = random_inputs(g, k.expr, input_seed)
    else:
        fmts = expected_formats(g)
        ins = random_inputs(g, k.expr, input_seed)
        mat = [t for t, f in fmts.items() if f.order == 2][0]
        m = integer_matrix(SUITESPARSE / f"{data}.mtx", fmts[mat], mat)
        # the other operands get the matrix's dimensions
        idx = tensor_indices(k.expr)
        sizes = dict(zip(idx[mat], m.shape))
        ins = random_inputs(g, k.expr, input_seed, sizes=sizes, density=0.05)
        ins[mat] = m
    res = None
    built = build(g, params)            # one Verilog conversion for every seed
    for seed in seeds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = verify(None, ins, built=built, sim=sim, seed=seed, stall=stall)
        _record(name + (f" {order[0]}" if order else ""), data, sim, res)
        assert res.ok, (f"{name} ({data}, {sim}, stall seed {seed}, input seed {input_seed}):\n"
                        + res.summary())
        # the ideal bound is a lower bound on any schedule, the RTL's included;
        # the pipeline bound on this RTL's (its primitives' latencies are not
        # overstated)
        assert res.ideal <= min(res.rtl_cycles, res.golden_cycles), res.summary()
        assert res.ideal <= res.pipeline <= res.rtl_cycles, res.summary()
    return res


# --------------------------------------------------------------------------
# make test: a handful under Icarus, one under Verilator

FAST = ["spmv", "mat_elemadd", "spmspm_ikj", "spmm", "vec_scalar_mul"]


@pytest.mark.parametrize("name", FAST)
def test_kernel_icarus(name):
    run_case(name, seeds=(1, 2))


def test_other_order_icarus():
    order = other_order("spmv")
    assert order is not None
    run_case("spmv", order=order, seeds=(3,))


def test_suitesparse_icarus():
    run_case("mat_elemadd", data="bcsstm02", seeds=(1,), params=AccelParams(mem_depth=1024))


def test_verilator_subset():
    run_case("spmv", sim="verilator", seeds=(1, 2))


def test_throughput_many_short_fibers_icarus():
    # spmspm_jik over a matrix of many short fibers: the scanners close a fiber
    # every few tokens and the output coordinate i waits (crddrop, fan-out
    # with joint ready) for the whole intersect/multiply/reduce path. Was
    # about 2x the golden model (one-cycle-per-hop FIFOs, balanced fork/join
    # paths and a scanner without per-fiber bubbles fixed it).
    g = custard.compile("spmspm_jik")
    ins = random_inputs(g, custard.get_kernel("spmspm_jik").expr, 0,
                        sizes={"i": 6, "k": 40, "j": 150}, density=0.06)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = verify(None, ins, built=build(g, AccelParams(mem_depth=1024, spacc_dim=16,
                                                           spacc_outer_dim=16)),
                     sim="icarus", seed=1, stall=0.0)
    _record("spmspm_jik short fibers", "random", "icarus", res)
    assert res.ok, res.summary()
    assert res.rtl_cycles <= 1.05 * res.golden_cycles, res.summary()


@pytest.mark.parametrize("name,data", [("vec_elemadd", "random"), ("mat_elemmul", "bcsstm02")])
def test_no_step_lost_icarus(name, data):
    # element-wise kernels have no fork/join imbalance and no accumulator:
    # without host stalls the run takes exactly the pipeline bound (every
    # primitive steps every cycle after its latency), so a bubble anywhere,
    # or a primitive whose `latency` attribute is wrong, shows as a difference
    res = run_case(name, data=data, seeds=(1,), stall=0.0, params=AccelParams(mem_depth=1024))
    assert res.rtl_cycles == res.pipeline, res.summary()


@pytest.mark.parametrize("name", ["spmv", "mat_elemadd"])
def test_counters_icarus(name):
    # with AccelParams(counters=True) every edge must have moved exactly the
    # golden model's stream (verify() turns a difference into a mismatch;
    # checked here again from the raw records), and the cycle counts must be
    # consistent with the run's length
    g = custard.compile(name)
    ins = random_inputs(g, custard.get_kernel(name).expr, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = verify(None, ins, built=build(g, AccelParams(mem_depth=256, spacc_dim=16,
                                                           spacc_outer_dim=16, counters=True)),
                     sim="icarus", seed=1, stall=0.3)
    _record(f"{name} counters", "random", "icarus", res)
    assert res.ok, res.summary()
    assert len(res.counters) == len(res.golden_tokens) > 0
    assert [c.transfers for c in res.counters] == res.golden_tokens
    for c in res.counters:
        assert c.transfers + c.stalled <= res.rtl_cycles, c
        assert c.starved <= res.rtl_cycles, c
    rows = res.node_table()
    assert {r["id"] for r in rows} == set(res.node_names)
    writers = [r for r in rows if r["node"].startswith("fiberwrite")]
    assert writers and all(r["busy"] == r["golden_busy"] for r in writers)
    text = res.counter_report()
    assert all(r["node"] in text for r in rows)


# --------------------------------------------------------------------------
# make test-full: every kernel, two loop orders, random + SuiteSparse, both simulators

ALL = sorted(custard.KERNELS)
DATA = ["bcsstm02", "lp_scsd1"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_all_kernels_default_icarus(name):
    run_case(name, seeds=(1, 2, 3))


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_all_kernels_other_order_icarus(name):
    order = other_order(name)
    if order is None:
        pytest.skip(f"{name}: Custard supports no other loop order")
    run_case(name, order=order, seeds=(1, 2))


def _matrix_kernels():
    out = []
    for name in ALL:
        k = custard.get_kernel(name)
        idx = tensor_indices(k.expr)
        if any(len(ix) == 2 for t, ix in idx.items() if t != custard.parse(k.expr).lhs.name) \
                and all(len(ix) <= 2 for ix in idx.values()):
            out.append(name)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("data", DATA)
@pytest.mark.parametrize("name", _matrix_kernels())
def test_suitesparse_kernels_icarus(name, data):
    sched = custard.get_kernel(name).schedule or ()
    if sched and sched[0] == "k":
        # order-2 accumulator over the matrix rows (i) and C's few columns (j);
        # which one is the inner index depends on the output's mode order
        rows_inner = sched[1] == "j"          # kji: column-major X, i innermost
        params = AccelParams(mem_depth=8192, spacc_dim=128 if rows_inner else 16,
                             spacc_outer_dim=16 if rows_inner else 128)
    else:
        params = AccelParams(mem_depth=8192, spacc_dim=1024, spacc_outer_dim=16)
    run_case(name, data=data, seeds=(1,), params=params)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mat_elemadd3", "spmspm_ikj", "spmm", "sddmm",
                                  "tensor3_ttv", "mat_residual"])
def test_kernels_verilator(name):
    run_case(name, sim="verilator", seeds=(1, 2))


# --------------------------------------------------------------------------
# the watchdog

def test_deadlock_is_reported_with_the_blocked_fifos():
    """A miswired spmv (the repeater of c driven by B's *inner* coordinates)
    stalls its repeater; the watchdog raises ``deadlock`` and the report names
    full FIFOs / waiting nodes. (The golden model rejects this graph, so the
    bench is driven directly.)"""
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import graphs
    from rtl.host import HostDriver
    from rtl.verify import _deadlock_report, build, run_rtl
    g = graphs.spmv()
    g.edges = [e for e in g.edges if not (e.src == 12 and e.dst == 10)]
    g.connect(7, "crd", 10, "crd")
    g.validate()
    built = build(g, AccelParams(mem_depth=64, watchdog=64))
    drv = HostDriver(built.manifest, g)
    rng = np.random.default_rng(5)
    B = Tensor.from_dense(rng.integers(1, 5, (4, 5)), "ss01", name="B")
    c = Tensor.from_dense(rng.integers(1, 5, 5), "s", name="c")
    plan = drv.load_plan({"B": B, "c": c})
    rep = run_rtl(built, plan.to_json(), sim="icarus", limit_cycles=20_000)
    assert rep["status"] == "deadlock", rep["status"]
    assert rep["cycles"] < 20_000
    lines = _deadlock_report(built.manifest, rep["fifo_status"])
    assert any(x.startswith("FIFO full:") for x in lines), lines
    assert any("n9_repeat" in x for x in lines), lines


def test_one_bitstream_runs_many_times():
    """``start`` resets the datapath: three runs on the once-loaded inputs
    give the same cycles and arrays, and the result matches the golden model."""
    from rtl.host import HostDriver
    from rtl.verify import run_rtl
    from sim.engine import run_graph
    g = custard.compile("spmspm_ikj")
    built = build(g, PARAMS)
    drv = HostDriver(built.manifest, g)
    ins = random_inputs(g, custard.get_kernel("spmspm_ikj").expr, 7)
    plan = drv.load_plan(ins)
    rep = run_rtl(built, plan.to_json(), sim="icarus", runs=3, stall=0.3, seed=4)
    assert [r["status"] for r in rep["runs"]] == ["done"] * 3
    assert len({r["cycles"] for r in rep["runs"]}) == 1
    assert all(r["arrays"] == rep["runs"][0]["arrays"] for r in rep["runs"])
    got = drv.unload(rep["arrays"], dims=plan.dims)
    assert got.to_points() == run_graph(g, ins).output.to_points()


REF_GRAPHS = sorted((Path(__file__).resolve().parents[1] / "tests" / "data").glob("*.gv"))


@pytest.mark.slow
@pytest.mark.parametrize("path", REF_GRAPHS, ids=[p.stem for p in REF_GRAPHS])
def test_reference_dot_graphs_icarus(path):
    """The reference compiler's DOT graphs (read by ``sam.dot``) on random inputs."""
    from sam.graph import Graph
    g = Graph.load(path)
    rng = np.random.default_rng(2)
    ins = {}
    for t, f in expected_formats(g).items():
        if f.order == 0:
            ins[t] = int(rng.integers(-9, 10))
            continue
        shape = (6,) * f.order
        ins[t] = Tensor.from_dense(rng.integers(-9, 10, shape) * (rng.random(shape) < 0.5), f,
                                   name=t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = verify(g, ins, params=PARAMS, stall=0.2, seed=1)
    _record(path.stem + " (dot)", "random", "icarus", res)
    assert res.ok, res.summary()
