"""Golden model of crddrop's deep pass-through (design.md, deliberate
difference 1): hand-derived streams, malformed deep streams, and random
fibertrees with empty subtrees whose drop chain must give the streams of the
canonical tree (oracle: sam.formats.tensor_streams of the canonical tensor)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from sam.formats import Tensor, tensor_streams
from sam.primitives import CatalogueError
from sam.tokens import D, S, fmt
from sim.primitive import SimError, create, make_node
from test_sim_primitives import run


def test_dropped_coordinate_takes_its_deep_closing():
    # i=1 has an empty j fiber: j loses it, k loses the extra closing S1 it
    # caused, and the held closings are raised to the outer fiber's closing
    out, _ = run("crddrop", {"outer": "0 1 S0 D", "inner": "5 S0 S1 D", "deep_k": "7 S1 S2 D"},
                 outer="i", inner="j", deep="k")
    assert out == {"outer": "0 S0 D", "inner": "5 S1 D", "deep_k": "7 S2 D"}


@pytest.mark.parametrize("outer,inner,deep,oout,iout,dout", [
    # dropped in the middle: the held S0 / S1 are emitted before the next fiber
    ("0 1 2 S0 D", "5 S0 S0 6 S1 D", "7 8 S1 S1 9 S2 D",
     "0 2 S0 D", "5 S0 6 S1 D", "7 8 S1 9 S2 D"),
    # several deep fibers under one inner fiber pass unchanged (S0 inside)
    ("0 S0 D", "5 6 S1 D", "1 S0 2 3 S2 D", "0 S0 D", "5 6 S1 D", "1 S0 2 3 S2 D"),
    # an outer fiber losing every coordinate keeps its closing on every level
    ("0 1 S0 2 S1 D", "S0 S1 5 S2 D", "S1 S2 7 S3 D", "S0 2 S1 D", "S1 5 S2 D", "S2 7 S3 D"),
    # an empty outer fiber passes with its closings
    ("S0 D", "S1 D", "S2 D", "S0 D", "S1 D", "S2 D"),
    # an empty deep fiber under a kept inner coordinate is not the drop's business
    ("0 S0 D", "5 S1 D", "S2 D", "0 S0 D", "5 S1 D", "S2 D"),
])
def test_deep_hand_derived(outer, inner, deep, oout, iout, dout):
    out, _ = run("crddrop", {"outer": outer, "inner": inner, "deep_k": deep},
                 outer="i", inner="j", deep="k")
    assert out == {"outer": oout, "inner": iout, "deep_k": dout}


def test_two_deep_levels():
    # the extra closing goes from every level below (k: S1, l: S2)
    out, _ = run("crddrop", {"outer": "0 1 S0 D", "inner": "5 S0 S1 D",
                             "deep_k": "7 S1 S2 D", "deep_l": "3 S2 S3 D"},
                 outer="i", inner="j", deep="k,l")
    assert out == {"outer": "0 S0 D", "inner": "5 S1 D", "deep_k": "7 S2 D",
                   "deep_l": "3 S3 D"}


@pytest.mark.parametrize("deep,msg", [
    ("7 S0 S2 D", "must pair with deep_k S1"),      # S0 closes inside, the pair is missing
    ("7 S1 S1 D", "must pair with deep_k S2"),
    ("7 D", "deep_k is done inside the fiber"),
])
def test_deep_malformed(deep, msg):
    with pytest.raises(SimError, match=msg):
        run("crddrop", {"outer": "0 1 S0 D", "inner": "5 S0 S1 D", "deep_k": deep},
            outer="i", inner="j", deep="k")


def test_deep_params():
    with pytest.raises(CatalogueError, match="vals=true variant has no deep"):
        make_node("crddrop", outer="i", inner="vals", vals=True, deep="k").ports()
    with pytest.raises(CatalogueError, match="deep indices must differ"):
        make_node("crddrop", outer="i", inner="j", deep="j").ports()


# -- random fibertrees ----------------------------------------------------------

def random_tree(rng, nlevels, depth=0, p_empty=0.3, dim=5):
    """A fiber: sorted list of (coordinate, child fiber or None); any fiber
    may be empty (non-canonical)."""
    if rng.random() < p_empty:
        return []
    crds = sorted(rng.sample(range(dim), rng.randint(1, 3)))
    if depth == nlevels - 1:
        return [(c, None) for c in crds]
    return [(c, random_tree(rng, nlevels, depth + 1, p_empty, dim)) for c in crds]


def level_stream(root, level):
    """The crd stream of ``level`` by the nesting rule (spec 1.2): an empty
    fiber above ``level`` closes one (empty) fiber of the level below."""
    out = []

    def walk(fiber, depth, closing):
        if depth == level:
            out.extend(c for c, _ in fiber)
            out.append(S(closing))
        elif not fiber:
            walk([], depth + 1, closing + 1)
        else:
            for k, (_, sub) in enumerate(fiber):
                walk(sub, depth + 1, closing + 1 if k == len(fiber) - 1 else 0)

    walk(root, 0, 0)
    return out + [D]


def prune(fiber, depth, nlevels):
    if depth == nlevels - 1:
        return fiber
    kept = [(c, prune(sub, depth + 1, nlevels)) for c, sub in fiber]
    return [(c, sub) for c, sub in kept if sub]


def points(fiber, prefix=()):
    for c, sub in fiber:
        if sub is None:
            yield prefix + (c,)
        else:
            yield from points(sub, prefix + (c,))


def drop_chain(streams, names):
    """crddrop(l-1, l, deep=below) from the bottom pair up; returns the streams."""
    streams = list(streams)
    n = len(streams)
    for top in range(n - 2, -1, -1):
        deep = names[top + 2:]
        node = make_node("crddrop", outer=names[top], inner=names[top + 1],
                         deep=",".join(deep) or None)
        prim = create(node, None)
        ins = {"outer": streams[top], "inner": streams[top + 1]}
        ins.update({f"deep_{x}": streams[top + 2 + k] for k, x in enumerate(deep)})
        out = prim.run(ins, [])
        streams[top] = out["outer"]
        streams[top + 1] = out["inner"]
        for k, x in enumerate(deep):
            streams[top + 2 + k] = out[f"deep_{x}"]
    return streams


@pytest.mark.parametrize("nlevels", [3, 4])
def test_random_trees_chain_is_canonical(nlevels):
    names = "ijkl"[:nlevels]
    for seed in range(150):
        rng = random.Random(1000 * nlevels + seed)
        tree = random_tree(rng, nlevels, p_empty=rng.choice([0.1, 0.3, 0.5]))
        raw = [level_stream(tree, l) for l in range(nlevels)]
        got = drop_chain(raw, names)
        canon = prune(tree, 0, nlevels)
        pts = list(points(canon))
        t = Tensor.from_coo(np.array(pts, dtype=int).T.reshape(nlevels, len(pts)),
                            np.ones(len(pts)), [5] * nlevels, "s" * nlevels)
        want = [crd for crd, _ in tensor_streams(t)]
        assert [level_stream(canon, l) for l in range(nlevels)] == want, f"seed={seed}"
        assert got == want, (f"seed={seed} nlevels={nlevels}\nraw={[fmt(s) for s in raw]}\n"
                             f"got={[fmt(s) for s in got]}\nwant={[fmt(s) for s in want]}")


def test_graph_files_round_trip(tmp_path):
    # the compiler's drop chain (deep ports) survives DOT and JSON
    import custard
    from sam.graph import Graph
    g = custard.compile("tensor3_elemmul")
    deep = [n for n in g.nodes_of_type("crddrop") if n.attrs.get("deep")]
    assert [n.attrs["deep"] for n in deep] == [["k"]]
    for suffix in (".gv", ".json"):
        path = tmp_path / f"g{suffix}"
        g.save(path)
        assert not g.differences(Graph.load(path)), suffix
    text = (tmp_path / "g.gv").read_text()
    assert 'comment="deep-k"' in text


@pytest.mark.parametrize("order", ["ijkl", "iljk", "klij"])
def test_drop_chains_run_in_cycle_mode(order):
    # the chain above a sparse accumulator (iljk, klij: order 2) and below
    # plain joins (ijkl) must not deadlock at FIFO depth 2: the drop takes an
    # inner coordinate's deep subtree before the next inner coordinate, and
    # the accumulator sends its outer coordinates row by row
    import sys
    import custard
    from sim import engine
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from test_custard_verify import _positive, dims_for, supported_variants
    name = "tensor3_ttm"
    fm = next(f for p, v, f in supported_variants(name) if v == "s" and "".join(p) == order)
    plan = custard.plan(name, fm, list(order))
    g = custard.compile(name, fm, list(order))
    assert any(n.attrs.get("deep") for n in g.nodes_of_type("crddrop"))
    for case, seed in (("mid", 62), ("full", 1), ("sparse", 60)):
        arrays = _positive(plan, dims_for(plan), case, seed)
        ins = {a.name: Tensor.from_dense(np.asarray(arrays[a.name]), plan.formats[a.name])
               for a in plan.inputs}
        want = engine.run_graph(g, ins).output.to_dense()
        got = engine.run_graph(g, ins, mode="cycle", fifo_depth=2)
        assert np.array_equal(got.output.to_dense(), want), f"{order} {case} seed={seed}"


def test_four_level_output_is_canonical():
    # X:ssss: a chain of three drops, the top one with two deep streams; also
    # in cycle mode at FIFO depth 2 (the drops move deep subtrees depth first)
    import custard
    from sim import engine
    g = custard.compile("X(i,j,k,l)=B(i,j,k,l)*C(i,j,k,l)")
    assert sorted((n.attrs["outer"], n.attrs.get("deep") or []) for n in
                  g.nodes_of_type("crddrop")) == [("i", ["k", "l"]), ("j", ["l"]), ("k", [])]
    rng = np.random.default_rng(5)
    for trial in range(12):
        B, C = ((rng.random((3, 3, 3, 3)) < 0.3) * rng.integers(1, 5, (3, 3, 3, 3))
                for _ in range(2))
        ins = {"B": Tensor.from_dense(B, "ssss"), "C": Tensor.from_dense(C, "ssss")}
        for mode in ("functional", "cycle"):
            out = engine.run_graph(g, ins, mode=mode, fifo_depth=2).output
            assert np.array_equal(out.to_dense(), B * C), f"trial={trial} {mode}"
            for lvl in range(1, 4):
                seg = np.asarray(out.levels[lvl].arrays["seg"])
                assert np.all(np.diff(seg) > 0), f"trial={trial}: empty fiber in level {lvl}"
