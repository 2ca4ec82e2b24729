"""rtl/primitives/spaccumulator.py (orders 1 and 2) on the Amaranth
simulator: the spec vectors in stop-token form, random fibertrees against the
golden model with stalls (order 1 with and without the outer index, order 2,
several bitmap word widths, back-to-back updates of one coordinate),
throughput (also many short groups with a large dim: the drain cost must not
depend on dim), parameter checks."""

import random

import pytest

from cocotb_tests import primitive_cases as pc
from rtl.primitives import build
from rtl.primitives.spaccumulator import SpAccumulator, SpAccumulator1
from rtl_sim import PROFILES, check_case, expect_param_error, golden_firings

NAME = "spaccumulator"
DIM = pc.SPACC_DIM


def _dut(attrs, word=4, val_width=pc.VAL_WIDTH, dim=DIM):
    order = attrs.get("order", 1)
    return SpAccumulator(dim, pc.CRD_WIDTH, val_width, outer=bool(attrs.get("in1")), word=word,
                         order=order, outer_dim=dim if order == 2 else None)


@pytest.mark.parametrize("case", pc.spec_cases(NAME), ids=lambda c: c[0])
@pytest.mark.parametrize("profile", PROFILES[:3])
def test_spec(case, profile):
    _, attrs, ins, stated = case
    check_case(NAME, attrs, ins, stated=stated, seed=7, p_valid=profile[0], p_ready=profile[1],
               dut=_dut(attrs, word=2, dim=5))


def test_explicit_zero_and_same_coordinate_back_to_back():
    ins = {"crd_outer": "3 3 3 3 S0 3 S2 D", "crd_inner": "1 1 1 4 S0 1 S2 D",
           "val": "40 2 -2 7 S0 -40 S2 D"}
    check_case(NAME, {"order": 1, "in0": "j", "in1": "i"}, ins,
               stated={"crd_outer": "3 S0 D", "crd_inner": "1 4 S1 D", "val": "0 7 S1 D"},
               dut=_dut({"in1": "i"}))


def test_empty_groups():
    # groups without entries: no outer coordinate; closings kept
    ins = {"crd_outer": "S0 S1 2 S0 S2 D", "crd_inner": "S0 S1 5 S0 S2 D",
           "val": "S0 S1 9 S0 S2 D"}
    check_case(NAME, {"order": 1, "in0": "j", "in1": "i"}, ins,
               stated={"crd_outer": "2 S0 D", "crd_inner": "5 S1 D", "val": "9 S1 D"},
               dut=_dut({"in1": "i"}), p_ready=0.5)


@pytest.mark.parametrize("outer", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_random(seed, outer):
    rng = random.Random(seed)
    for k, word in enumerate((4, 16, 1)):
        attrs, ins = pc.random_case(NAME, rng, outer=outer)
        pv, pr = PROFILES[(seed + k) % len(PROFILES)]
        check_case(NAME, attrs, ins, seed=seed, p_valid=pv, p_ready=pr, dut=_dut(attrs, word))


@pytest.mark.parametrize("seed", range(6))
def test_random_order2(seed):
    rng = random.Random(200 + seed)
    for k, word in enumerate((4, 16, 3)):
        attrs, ins = pc.random_case(NAME, rng, order=2)
        pv, pr = PROFILES[(seed + k) % len(PROFILES)]
        check_case(NAME, attrs, ins, seed=seed, p_valid=pv, p_ready=pr, dut=_dut(attrs, word))


def test_order2_rows_not_power_of_two():
    # outer_dim 5, dim 6, word 4: rows of 8 scratch entries, 10 bitmap words
    rng = random.Random(31)
    for _ in range(3):
        attrs, ins = pc.random_case(NAME, rng, order=2, dim=5)
        dut = SpAccumulator(6, pc.CRD_WIDTH, pc.VAL_WIDTH, word=4, order=2, outer_dim=5)
        check_case(NAME, attrs, ins, p_valid=0.7, p_ready=0.7, dut=dut)


def test_word_not_dividing_dim():
    rng = random.Random(21)
    for _ in range(3):
        attrs, ins = pc.random_case(NAME, rng)
        check_case(NAME, attrs, ins, p_valid=0.7, p_ready=0.6, dut=_dut(attrs, word=5))


def test_wraparound():
    attrs, ins = pc.random_case(NAME, random.Random(2), big=True, range=(-32, 31))
    check_case(NAME, attrs, ins, dut=_dut(attrs, val_width=6), val_width=6)


@pytest.mark.parametrize("word", [4, 16])
def test_throughput(word):
    # accumulation: one triple per cycle; drain per group: the first entry
    # four cycles after the stop, then the closing cycle that accepts the
    # next group's triples
    attrs, ins = pc.random_case(NAME, random.Random(12), nlevels=3, big=True)
    r = check_case(NAME, attrs, ins, dut=_dut(attrs, word))
    n = golden_firings(NAME, attrs, ins)
    groups = sum(1 for t in ins["crd_inner"] if type(t).__name__ == "Stop" and t.level >= 1)
    bound = n + 4 * groups + 1
    print(f"spaccumulator word={word}: {len(ins['crd_inner'])} input tokens, {groups} groups, "
          f"{n} golden firings, {r.cycles} cycles (bound {bound})")
    assert r.cycles <= bound


def test_registry():
    dut = build(NAME, dim=8, outer=False, crd_width=8, val_width=16)
    assert "crd_outer" not in dut.signature.members
    check_case(NAME, {"order": 1, "in0": "j"}, {"crd_inner": "3 1 S1 D", "val": "4 5 S1 D"},
               dut=dut, stated={"crd_inner": "1 3 S0 D", "val": "5 4 S0 D"})
    expect_param_error(lambda: build(NAME, dim=8, order=2), "outer_dim must be an integer")
    expect_param_error(lambda: build(NAME, dim=8, order=2, outer=False, outer_dim=4),
                       "outer must be True for order 2")
    expect_param_error(lambda: build(NAME, dim=8, order=1, outer_dim=4), "outer_dim is for order 2")
    expect_param_error(lambda: build(NAME, dim=8, order=3), "order must be an integer in 1..2")


def test_bad_params():
    expect_param_error(lambda: SpAccumulator1(0), "dim must be an integer in 1..65536")
    expect_param_error(lambda: SpAccumulator1(8, word=0), "word must be an integer in 1..64")
    expect_param_error(lambda: SpAccumulator1(8, outer="no"), "outer must be True or False")
    expect_param_error(lambda: SpAccumulator1(8, val_width=0), "val_width must be")
    expect_param_error(lambda: SpAccumulator(1 << 16, order=2, outer_dim=1 << 10),
                       "the scratch would hold")


@pytest.mark.parametrize("order, ins, flagged", [
    (1, {"crd_inner": "7 S1 D", "val": "1 S1 D"}, 0),
    (1, {"crd_inner": "8 S1 D", "val": "1 S1 D"}, 1),              # inner >= dim
    (2, {"crd_outer": "3 S1 D", "crd_inner": "7 S1 D", "val": "1 S1 D"}, 0),
    (2, {"crd_outer": "4 S2 D", "crd_inner": "0 S2 D", "val": "1 S2 D"}, 1),  # outer >= outer_dim
])
def test_coordinate_beyond_scratch_raises_error(order, ins, flagged):
    from rtl_sim import run_stream_sim
    dut = SpAccumulator(8, 8, 8, outer=order == 2, word=4, order=order,
                        outer_dim=4 if order == 2 else None)
    assert run_stream_sim(dut, ins).signals["error"] == flagged


def _short_groups(rng, groups, dim, outer_dim=None):
    """Streams of ``groups`` short groups: order 1 (``outer_dim`` None):
    nest i > k > j, a group per i; order 2: nest l > k > i > j, a group per l.
    A group holds 1-2 k fibers of 1-2 (order 2: per i, 1-2 rows) entries."""
    from sam.tokens import D, S

    def fiber(i):
        return [(i, j, rng.randint(-50, 50)) for j in sorted(rng.sample(range(dim), rng.randint(1, 2)))]

    def emit(node, h):
        if h == 0:
            return list(node)
        out = []
        for n, c in enumerate(node):
            out += emit(c, h - 1)
            if n < len(node) - 1:
                out.append(S(h - 1))
        return out

    if outer_dim is None:
        tree = [[fiber(i) for _ in range(rng.randint(1, 2))] for i in range(groups)]
        h = 2
    else:
        tree = [[[fiber(i) for i in sorted(rng.sample(range(outer_dim), rng.randint(1, 2)))]
                 for _ in range(rng.randint(1, 2))] for _ in range(groups)]
        h = 3
    toks = emit(tree, h) + [S(h), D]
    pick = lambda k: [t[k] if isinstance(t, tuple) else t for t in toks]  # noqa: E731
    return {"crd_outer": pick(0), "crd_inner": pick(1), "val": pick(2)}


@pytest.mark.parametrize("order", [1, 2])
def test_throughput_short_groups_large_dim(order):
    # the drain visits occupied words only: cost independent of dim
    from sam.tokens import is_data
    rng = random.Random(40 + order)
    if order == 1:
        dim, outer_dim, groups = 1024, None, 150
    else:
        dim, outer_dim, groups = 256, 16, 60     # bitmap of 4096 bits
    ins = _short_groups(rng, groups, dim, outer_dim)
    attrs = {"order": order, "in0": "j", "in1": "i"}
    dut = SpAccumulator(dim, 16, pc.VAL_WIDTH, word=16, order=order, outer_dim=outer_dim)
    r = check_case(NAME, attrs, ins, dut=dut)
    n = golden_firings(NAME, attrs, ins)
    # order 2: one header (and at most one row pick) per output row
    rows_out = sum(1 for t in pc.expected(NAME, attrs, ins, pc.VAL_WIDTH)["crd_outer"] if is_data(t))
    bound = n + 4 * groups + (2 * rows_out if order == 2 else 0)
    print(f"spaccumulator order {order} dim {dim}: {groups} groups, {n} golden firings, "
          f"{r.cycles} cycles (bound {bound})")
    assert r.cycles <= bound
