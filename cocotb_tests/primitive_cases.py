"""Test cases for the joiner, compute and coordinate-management primitives
(intersect, union, ALU, reduce, crddrop, crdhold, spaccumulator), shared by
the Amaranth-simulator tests (``tests/test_rtl_<name>.py``) and the cocotb
tests (``cocotb_tests/test_<name>.py``).

* Random inputs come from random fibertrees (:mod:`cocotb_tests.streamgen`):
  empty fibers, ``N`` fibers (joiners), single-element and long fibers.
* Expected outputs come from the golden model (``sim/primitives``); values
  are wrapped to the hardware's two's-complement width.
* Streams are keyed by catalogue port names (``crd_A``, ``ref_A``, ...) for
  the golden model and renamed with :func:`rtl_ports` for the component
  (``crd0``, ``ref0``, ...; an output whose name is also an input gets
  ``_out``).
"""

from __future__ import annotations

import random

from sam import tokens as T
from sam.tokens import N, S, Stop
from cocotb_tests.streamgen import fiber_coords, golden, random_tree, tree_stream

__all__ = ["OPERANDS", "rtl_ports", "expected", "wrap_vals", "spec_cases", "random_case",
           "factory", "VAL_WIDTH", "CRD_WIDTH", "SPACC_DIM"]

OPERANDS = ["B", "C"]
CRD_WIDTH = 8
VAL_WIDTH = 16
SPACC_DIM = 16           # tree coordinates are below 16


def _joiner(t):
    return t in ("intersect", "union")


#: crddrop deep index names of the random cases, top down (``deep_k`` -> ``deep1``).
DEEP = ("k", "l", "m")


def rtl_ports(type_name: str, streams: dict, direction: str, ins: dict | None = None) -> dict:
    """Rename catalogue ports to component ports (``direction`` "in"/"out";
    ``ins`` = the catalogue input names, to detect name clashes)."""
    def rename(p):
        if _joiner(type_name):
            for k, op in enumerate(OPERANDS):
                if p == f"crd_{op}":
                    return f"crd{k}"
                if p == f"ref_{op}":
                    return f"ref{k}"
        if type_name == "crddrop" and p.startswith("deep_"):
            return f"deep{DEEP.index(p[5:]) + 1}"
        return p
    out = {rename(p): s for p, s in streams.items()}
    if direction == "out":
        in_names = {rename(p) for p in (ins or {})}
        out = {(p + "_out" if p in in_names else p): s for p, s in out.items()}
    return out


def wrap_vals(stream, width):
    """Values wrapped to ``width``-bit two's complement (the hardware's)."""
    lo, m = 1 << (width - 1), 1 << width
    return [((t + lo) % m) - lo if type(t) is int else t for t in stream]


_VAL_PORTS = {"val", "val0", "val1"}


def expected(type_name: str, attrs: dict, ins: dict, val_width: int = VAL_WIDTH) -> dict:
    """Golden-model outputs (catalogue names) with values wrapped. The ALU
    op ``sub`` stands for catalogue ``add`` with ``sub=1``."""
    if type_name == "sub":
        type_name, attrs = "add", {**attrs, "sub": True}
    out = golden(type_name, {p: T.parse(s) if isinstance(s, str) else s for p, s in ins.items()},
                 **attrs)
    val_outs = {"val"}
    if type_name == "crddrop" and attrs.get("vals"):
        val_outs.add("inner")
    return {p: (wrap_vals(s, val_width) if p in val_outs else s) for p, s in out.items()}


def firings(type_name: str, attrs: dict, ins: dict) -> int:
    """Number of firings of the golden model on ``ins`` (its cycle count with
    unlimited buffering): the throughput reference."""
    from sim.primitive import create, make_node
    if type_name == "sub":
        type_name, attrs = "add", {**attrs, "sub": True}
    log: list = []
    create(make_node(type_name, **attrs)).run(
        {p: T.parse(s) if isinstance(s, str) else list(s) for p, s in ins.items()}, log)
    return len(log)


def vectors(type_name: str, seeds=range(1, 6), profiles=((0.7, 0.7), (0.4, 0.9), (0.9, 0.3)),
            throughput: bool = True, **case_kw) -> list:
    """cocotb :class:`~cocotb_tests.harness.Vector` list: the spec cases with
    stalls, one random case per seed (stall profiles cycled), and a
    throughput case (no stalls, at most golden firings + 3 cycles)."""
    from cocotb_tests.harness import Vector

    def vec(name, attrs, ins, **kw):
        want = expected(type_name, attrs, ins)
        return Vector(name, inputs=rtl_ports(type_name, ins, "in"),
                      expected=rtl_ports(type_name, want, "out", ins), **kw)
    vecs = []
    if not case_kw:
        for k, (name, attrs, ins, stated) in enumerate(spec_cases(type_name)):
            want = expected(type_name, attrs, ins)
            for p, st in stated.items():
                assert T.fmt(want[p]) == T.fmt(T.parse(st)), f"golden model disagrees with spec {name}"
            vecs.append(vec(name, attrs, ins, seed=k, p_valid=0.7, p_ready=0.7))
    for i, seed in enumerate(seeds):
        attrs, ins = random_case(type_name, random.Random(seed), **case_kw)
        pv, pr = profiles[i % len(profiles)]
        vecs.append(vec(f"rand{seed}", attrs, ins, seed=seed, p_valid=pv, p_ready=pr))
    if throughput:
        attrs, ins = random_case(type_name, random.Random(99), big=True, **case_kw)
        vecs.append(vec("throughput", attrs, ins, seed=99,
                        expect_cycles_max=firings(type_name, attrs, ins) + 3))
    return vecs


def spec_cases(type_name: str) -> list[tuple[str, dict, dict, dict]]:
    """The spec's "(test)" streams: ``(name, attrs, inputs, stated outputs)``;
    stated outputs are the ports the spec gives (others come from the golden
    model)."""
    J = {"operands": list(OPERANDS)}
    if type_name == "intersect":
        return [
            ("spec1", J, {"crd_B": "0 S0 0 1 2 S1 D", "ref_B": "0 S0 1 2 3 S1 D",
                          "crd_C": "0 1 2 S0 0 1 2 S1 D", "ref_C": "0 1 2 S0 0 1 2 S1 D"},
             {"crd": "0 S0 0 1 2 S1 D", "ref_B": "0 S0 1 2 3 S1 D", "ref_C": "0 S0 0 1 2 S1 D"}),
            ("spec2", J, {"crd_B": "0 1 2 3 S0 0 1 2 3 S0 0 1 2 3 S1 D",
                          "ref_B": "0 1 2 3 S0 4 5 6 7 S0 8 9 10 11 S1 D",
                          "crd_C": "4 S0 0 1 S0 0 S1 D", "ref_C": "0 S0 1 2 S0 3 S1 D"},
             {"crd": "S0 0 1 S0 0 S1 D"}),
        ]
    if type_name == "union":
        return [
            ("spec1", J, {"crd_B": "0 1 3 5 S0 D", "ref_B": "0 1 2 3 S0 D",
                          "crd_C": "0 2 3 4 S0 D", "ref_C": "0 1 2 3 S0 D"},
             {"crd": "0 1 2 3 4 5 S0 D", "ref_B": "0 1 N 2 N 3 S0 D",
              "ref_C": "0 N 1 2 3 N S0 D"}),
            ("spec2", J, {"crd_B": "0 1 S0 2 3 S0 S0 4 5 S1 D", "ref_B": "0 1 S0 2 3 S0 S0 4 5 S1 D",
                          "crd_C": "1 2 3 S0 S0 0 1 2 S0 S1 D", "ref_C": "0 1 2 S0 S0 2 3 4 S0 S1 D"},
             {"crd": "0 1 2 3 S0 2 3 S0 0 1 2 S0 4 5 S1 D",
              "ref_B": "0 1 N N S0 2 3 S0 N N N S0 4 5 S1 D",
              "ref_C": "N 0 1 2 S0 N N S0 2 3 4 S0 N N S1 D"}),
        ]
    if type_name in ("add", "sub", "mul", "max", "min"):
        ins = {"val0": "0 1 2 3 S0 D", "val1": "0 2 4 6 S0 D"}
        want = {"add": "0 3 6 9 S0 D", "sub": "0 -1 -2 -3 S0 D", "mul": "0 2 8 18 S0 D",
                "max": "0 2 4 6 S0 D", "min": "0 1 2 3 S0 D"}[type_name]
        return [("spec", {}, ins, {"val": want})]
    if type_name == "reduce":
        return [
            ("spec1", {}, {"val": "5 5 S0 5 S0 4 8 S0 4 3 S0 4 3 S1 D"}, {"val": "10 5 12 7 7 S0 D"}),
            ("spec2", {}, {"val": "1 2 3 4 5 6 7 8 9 S2 D"}, {"val": "45 S1 D"}),
            ("spec3", {}, {"val": "5 5 S0 S0 4 8 S0 4 3 S0 S1 D"}, {"val": "10 0 12 7 0 S0 D"}),
        ]
    if type_name == "crddrop":
        return [
            ("spec1", {}, {"outer": "0 1 S0 D", "inner": "1 S0 S1 D"}, {"outer": "0 S0 D"}),
            ("spec2", {}, {"outer": "0 1 S0 D", "inner": "1 S0 1 S1 D"}, {"outer": "0 1 S0 D"}),
            ("spec3", {}, {"outer": "0 1 2 3 S0 D", "inner": "1 S0 1 S0 S0 1 S1 D"},
             {"outer": "0 1 3 S0 D"}),
            ("spec4", {}, {"outer": "S0 D", "inner": "S1 D"}, {"outer": "S0 D"}),
        ]
    if type_name == "crdhold":
        return [
            ("spec1", {}, {"outer": "0 1 2 S0 D", "inner": "0 2 S0 2 S0 2 S1 D"},
             {"outer": "0 0 S0 1 S0 2 S1 D"}),
            ("spec2", {}, {"outer": "0 2 S0 3 S0 4 S1 D",
                           "inner": "0 2 3 S0 0 2 3 S1 0 S1 2 3 S2 D"},
             {"outer": "0 0 0 S0 2 2 2 S1 3 S1 4 4 S2 D"}),
        ]
    if type_name == "spaccumulator":
        # The spec's point streams in stop-token form: groups i=0 (one k) and
        # i=2 (two k), nest i > k > j.
        return [
            ("spec1", {"order": 1, "in0": "j", "in1": "i"},
             {"crd_outer": "0 0 0 S1 2 2 2 S0 2 2 2 S2 D",
              "crd_inner": "0 2 3 S1 0 2 3 S0 0 2 3 S2 D",
              "val": "50 5 10 S1 40 4 8 S0 -40 33 36 S2 D"},
             {"crd_outer": "0 2 S0 D", "crd_inner": "0 2 3 S0 0 2 3 S1 D",
              "val": "50 5 10 S0 0 37 44 S1 D"}),
            # order 2 (nest k > i > j), the spec's point streams split into
            # k fibers: one group (S2)
            ("spec2", {"order": 2, "in0": "j", "in1": "i"},
             {"crd_outer": "0 S0 2 S0 3 S1 0 0 S0 2 S1 2 2 S0 3 3 3 S1 3 3 S1 0 S2 D",
              "crd_inner": "0 S0 2 S0 3 S1 0 2 S0 0 S1 0 3 S0 0 2 3 S1 0 2 S1 0 S2 D",
              "val": "50 S0 5 S0 10 S1 40 4 S0 8 S1 -40 33 S0 36 1 2 S1 3 4 S1 5 S2 D"},
             {"crd_outer": "0 2 3 S0 D", "crd_inner": "0 2 S0 0 2 3 S0 0 2 3 S1 D",
              "val": "95 4 S0 -32 5 33 S0 39 5 12 S1 D"}),
        ]
    raise KeyError(type_name)


# -- random inputs --------------------------------------------------------------

def _vals(rng, lo=-60, hi=60):
    return lambda r=rng: r.randint(lo, hi)


def _map_data(stream, f):
    return [f() if type(t) is int else t for t in stream]


def _lone_zeros(stream, rng, p):
    """``stream`` with a ``0`` inserted, with probability ``p``, before the
    closing of each empty fiber (a reducer's sum over nothing, design.md)."""
    out, prev_stop = [], True
    for t in stream:
        if type(t) is Stop and prev_stop and rng.random() < p:
            out.append(0)
        out.append(t)
        prev_stop = type(t) is Stop
    return out


def _regrow(tree, depth, leaf_depth, make_leaf):
    """Copy of ``tree`` with every fiber at ``leaf_depth`` replaced."""
    if depth == leaf_depth:
        return make_leaf()
    return [(c, _regrow(ch, depth + 1, leaf_depth, make_leaf)) for c, ch in tree]


def _leaf_fiber(rng, dim, p_n, p_empty=0.2, p_long=0.08, long_len=30, max_len=5):
    if rng.random() < p_n:
        return [(N, None)]
    return [(c, None) for c in fiber_coords(rng, dim, max_len, p_empty, p_long, long_len)]


def _hold(tree, depth, at, anc=None):
    """Copy of ``tree`` whose leaves carry their ancestor coordinate at depth ``at``."""
    out = []
    for c, ch in tree:
        a = c if depth == at else anc
        out.append((a, None) if ch is None else (c, _hold(ch, depth + 1, at, a)))
    return out


def random_case(type_name: str, rng: random.Random, nlevels: int | None = None,
                big: bool = False, **kw):
    """``(attrs, inputs)`` with catalogue port names for one random case;
    ``big`` makes long fibers and few empty ones (throughput tests)."""
    def grow(L, **d):
        if big:
            d.update(max_len=d.get("dim", 16), p_empty=0.02, p_long=0.3)
        return random_tree(rng, L, **d)
    if _joiner(type_name):
        L = nlevels or rng.randint(1, 3)
        dim = kw.get("dim", 12)
        p_n = kw.get("p_n", 0.05)
        upper = grow(L - 1, dim=6, p_empty=0.15) if L > 1 else None
        ins = {}
        for op in OPERANDS:
            mk = lambda: _leaf_fiber(rng, dim, p_n, **(  # noqa: E731
                {"p_empty": 0.02, "p_long": 0.5, "max_len": dim} if big else {}))
            tree = mk() if upper is None else _regrow(upper, 0, L - 1, mk)
            crd = tree_stream(tree, L - 1)
            ref = tree_stream(tree, L - 1, refs=True)
            ref = [N if c is N else r for c, r in zip(crd, ref)]
            ins[f"crd_{op}"], ins[f"ref_{op}"] = crd, ref
        return {"operands": list(OPERANDS)}, ins
    if type_name in ("add", "sub", "mul", "max", "min"):
        L = nlevels or rng.randint(1, 3)
        s = tree_stream(grow(L, dim=10, p_long=0.1,
                             p_empty=0.4 if kw.get("lone_zeros") else 0.2), L - 1)
        lo, hi = kw.get("range", (-200, 200))
        v0, v1 = _map_data(s, _vals(rng, lo, hi)), _map_data(s, _vals(rng, lo, hi))
        if kw.get("lone_zeros"):
            if rng.random() < 0.5:
                v0 = _lone_zeros(v0, rng, kw["lone_zeros"])
            else:
                v1 = _lone_zeros(v1, rng, kw["lone_zeros"])
        return {}, {"val0": v0, "val1": v1}
    if type_name == "reduce":
        L = nlevels or rng.randint(1, 3)
        s = tree_stream(grow(L, dim=10, p_long=0.1, p_empty=0.25), L - 1)
        return {}, {"val": _map_data(s, _vals(rng, *kw.get("range", (-500, 500))))}
    if type_name in ("crddrop", "crdhold"):
        if kw.get("vals", False):
            L = nlevels or rng.randint(1, 3)
            tree = grow(L, dim=10, p_long=0.1, p_empty=0.4 if kw.get("lone_zeros") else 0.2)
            crd = tree_stream(tree, L - 1)
            vals = _map_data(crd, lambda: 0 if rng.random() < 0.4 else rng.randint(-9, 9))
            if kw.get("lone_zeros"):
                vals = _lone_zeros(vals, rng, kw["lone_zeros"])
            return {"vals": True}, {"outer": crd, "inner": vals}
        nd = kw.get("deep", 0) if type_name == "crddrop" else 0
        L = nlevels or rng.randint(2, 3) + nd
        tree = grow(L, dim=8, p_empty=0.3, p_long=0.05, long_len=8)
        top = L - 2 - nd
        ins = {"outer": tree_stream(tree, top), "inner": tree_stream(tree, top + 1)}
        ins.update({f"deep_{DEEP[d]}": tree_stream(tree, top + 2 + d) for d in range(nd)})
        return ({"deep": list(DEEP[:nd])} if nd else {}), ins
    if type_name == "spaccumulator":
        order = kw.get("order", 1)
        outer = kw.get("outer", True) or order == 2
        L = nlevels or (rng.randint(3, 4) if outer else rng.randint(2, 3))
        tree = grow(L, dim=kw.get("dim", SPACC_DIM), p_empty=0.2, p_long=0.1, long_len=16)
        inner = tree_stream(tree, L - 1)
        ins = {"crd_inner": inner, "val": _map_data(inner, _vals(rng, *kw.get("range", (-100, 100))))}
        attrs = {"order": order, "in0": "j"}
        if outer:
            ins = {"crd_outer": tree_stream(_hold(tree, 0, L - 3 if order == 1 else L - 2), L - 1),
                   **ins}
            attrs["in1"] = "i"
        return attrs, ins
    raise KeyError(type_name)


def factory(type_name: str, attrs: dict, crd_width: int = CRD_WIDTH, val_width: int = VAL_WIDTH,
            word: int = 4):
    """A fresh component for ``type_name`` with catalogue ``attrs``."""
    from rtl.primitives.alu import Alu
    from rtl.primitives.crddrop import CrdDrop
    from rtl.primitives.crdhold import CrdHold
    from rtl.primitives.intersect import Intersect
    from rtl.primitives.reduce import Reduce
    from rtl.primitives.spaccumulator import SpAccumulator
    from rtl.primitives.union import Union
    if type_name == "intersect":
        return Intersect(crd_width)
    if type_name == "union":
        return Union(crd_width)
    if type_name in ("add", "sub", "mul", "max", "min"):
        op = "sub" if type_name == "add" and attrs.get("sub") else type_name
        return Alu(op, val_width)
    if type_name == "reduce":
        return Reduce(val_width)
    if type_name == "crddrop":
        return CrdDrop(crd_width, vals=bool(attrs.get("vals")), val_width=val_width,
                       deep=len(attrs.get("deep") or ()))
    if type_name == "crdhold":
        return CrdHold(crd_width)
    if type_name == "spaccumulator":
        order = attrs.get("order", 1)
        return SpAccumulator(SPACC_DIM, crd_width, val_width, outer=bool(attrs.get("in1")),
                             word=word, order=order, outer_dim=SPACC_DIM if order == 2 else None)
    raise KeyError(type_name)
