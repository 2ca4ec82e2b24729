"""The ideal cycle bound (:func:`rtl.verify.ideal_bound`): its value on a
hand-computed case, the joiner step count, and that it is a lower bound on
the golden model's cycles at every FIFO depth (the RTL side is asserted on
every accelerator run in ``cocotb_tests/test_accel.py``)."""

from __future__ import annotations

import numpy as np
import pytest

import custard
from sam.formats import Tensor
from sim.bind import expected_formats
from sim.engine import run_graph
from rtl.verify import RUN_OVERHEAD, edge_bound, ideal_bound, node_steps, pipeline_bound

import graphs


def _vec(crd, vals, name):
    return Tensor.from_coo(np.array([crd]), np.array(vals), (4,), "s", name=name)


def test_hand_computed_intersect():
    # x(i) = b(i) * c(i), b = {0, 2}, c = {1, 2}. Scanners: 4 tokens each
    # (crd 0 2 S0 D / 1 2 S0 D), steps 0..3, D in cycle 3. Intersect: 5
    # steps (0<1: A; 2>1: B; 2=2; S0,S0; D,D), first step in cycle 1, D in
    # cycle 5. arrayvals: first step 2, D after seeing the intersect's D: 6;
    # mul: 7; the values writer consumes D in cycle 8 -> 9 cycles. The most
    # tokens on one edge is 4.
    g = custard.compile("vec_elemmul")
    res = run_graph(g, {"b": _vec([0, 2], [1, 2], "b"), "c": _vec([1, 2], [3, 4], "c")},
                    mode="cycle")
    low = res.graph
    (jid,) = [n for n in low.nodes if low.nodes[n].type == "intersect"]
    assert node_steps(res)[jid] == 5
    assert edge_bound(res) == 4
    assert ideal_bound(res) == 9
    assert res.cycles == 9          # the golden model meets it on this pipeline
    # the same with latency 1 and no FIFO hop, given explicitly
    assert ideal_bound(res, {n: 1 for n in low.nodes}, 0) == 9
    # latency 2 and a one-cycle FIFO on every edge: three cycles per hop
    # instead of one and the intersect waits for both heads. Intersect first
    # step 3, its D at 3 + 5 - 1 = 7; arrayvals first 6, D at 7 + 3 = 10;
    # mul D at 13; the values writer sees it at 16 -> 17 cycles.
    assert ideal_bound(res, {n: 2 for n in low.nodes}, 1) == 17
    # from a manifest: its latencies and FIFO hop plus the run's reset/done
    man = {"fifo_latency": 1, "nodes": [{"id": n, "latency": 2} for n in low.nodes]}
    assert pipeline_bound(res, man) == 17 + RUN_OVERHEAD
    # a manifest of an older `sam rtl` has no latencies: no pipeline bound
    assert pipeline_bound(res, {"nodes": [{"id": n} for n in low.nodes]}) is None


def _random_inputs(g, rng, n=7, density=0.4):
    ins = {}
    for t, f in expected_formats(g).items():
        if f.order == 0:
            ins[t] = int(rng.integers(1, 5))
            continue
        shape = (n,) * f.order
        a = rng.integers(1, 10, shape) * (rng.random(shape) < density)
        ins[t] = Tensor.from_dense(a, f, name=t)
    return ins


def test_joiner_steps_are_merge_steps(rng):
    # an intersect steps once per token of either side minus once per pair
    # it consumes together (matches, stops, D), and emits exactly the pairs
    for trial in range(20):
        g = custard.compile("vec_elemmul")
        res = run_graph(g, _random_inputs(g, rng, n=12, density=0.3 + 0.6 * rng.random()))
        low = res.graph
        (jid,) = [n for n in low.nodes if low.nodes[n].type == "intersect"]
        a, b = (len(res.streams[(e.src, e.src_port)]) for e in low.in_edges(jid)
                if e.dst_port.startswith("crd"))
        out = len(res.streams[(jid, "crd")])
        assert node_steps(res)[jid] == a + b - out, trial


@pytest.mark.parametrize("name", sorted(graphs.GRAPHS))
def test_bound_is_below_the_golden_model_at_every_depth(name, rng):
    g = graphs.GRAPHS[name]()
    for trial in range(4):
        ins = _random_inputs(g, rng, n=int(rng.integers(2, 9)), density=0.3 + 0.6 * rng.random())
        bounds = set()
        for depth in (1, 2, 4):
            res = run_graph(g, ins, mode="cycle", fifo_depth=depth)
            b = ideal_bound(res)
            bounds.add(b)
            assert max(edge_bound(res), max(node_steps(res).values())) < b <= res.cycles, \
                (trial, depth)
        assert len(bounds) == 1, (trial, bounds)    # independent of the FIFO depth


@pytest.mark.parametrize("name", ["spmv", "spmm", "mat_elemadd", "spmspm_ikj", "sddmm"])
def test_bound_is_below_the_golden_model_on_library_kernels(name, rng):
    g = custard.compile(name)
    for trial in range(3):
        res = run_graph(g, _random_inputs(g, rng, n=int(rng.integers(3, 12)),
                                          density=0.3 + 0.6 * rng.random()), mode="cycle")
        assert ideal_bound(res) <= res.cycles, trial
