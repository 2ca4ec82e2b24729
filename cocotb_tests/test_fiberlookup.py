"""fiberlookup (level scanners) against the spec vectors and the golden model."""

import random

import pytest

from cocotb_tests.harness import Vector, run_vectors, sim_params
from cocotb_tests.streamgen import golden, random_level, random_stream
from rtl.primitives.fiberlookup import CompressedScanner, DenseScanner
from sim.primitive import LevelData, SimContext
from sam.tokens import parse

CW, AW = 9, 8
SEEDS = (1, 2, 3, 4, 5)


def _ctx(fmt, dim, seg=None, crd=None):
    arrays = {} if fmt == "dense" else {"seg": seg, "crd": crd}
    return SimContext(levels={("B", 0): LevelData(fmt, dim, arrays)})


def _golden(fmt, ins, ctx, root=False):
    return golden("fiberlookup", ins, ctx, tensor="B", index="i", mode=0, format=fmt, root=root)


SPEC_COMPRESSED = [  # spec 2.1 (test) vectors without the skip input
    ([0, 2, 3, 4], [0, 2, 2, 2], "0 1 2 S0 D", "0 2 S0 2 S0 2 S1 D", "0 1 S0 2 S0 3 S1 D"),
    ([0, 3, 4, 6], [0, 2, 3, 0, 2, 3], "0 0 S0 1 S0 2 S1 D",
     "0 2 3 S0 0 2 3 S1 0 S1 2 3 S2 D", "0 1 2 S0 0 1 2 S1 3 S1 4 5 S2 D"),
    ([0, 1], [28], "0 S0 S0 0 S0 D", "28 S1 S1 28 S1 D", "0 S1 S1 0 S1 D"),
    ([0, 2, 3, 4], [0, 1, 2, 3], "0 1 N 2 N S0 D",
     "0 1 S0 2 S0 N S0 3 S0 N S1 D", "0 1 S0 2 S0 N S0 3 S0 N S1 D"),
]


def compressed_vectors(seeds=SEEDS):
    vecs = []
    for k, (seg, crd, ref, ocrd, oref) in enumerate(SPEC_COMPRESSED):
        want = _golden("compressed", {"ref": parse(ref)}, _ctx("compressed", 32, seg, crd))
        assert want == {"crd": parse(ocrd), "ref": parse(oref)}, "golden model disagrees with spec"
        vecs.append(Vector(f"spec{k}", inputs={"ref": ref}, expected=want,
                           preload={"seg": seg, "crd": crd}, seed=k, p_valid=0.7, p_ready=0.7))
    for seed in seeds:
        rng = random.Random(seed)
        nfib = rng.randint(1, 12)
        seg, crd = random_level(rng, nfib, dim=40, p_empty=0.3)
        ins = {"ref": random_stream(rng, rng.randint(1, 3), data=lambda r: r.randrange(nfib),
                                    p_n=0.1, p_empty=0.15, dim=20)}
        want = _golden("compressed", ins, _ctx("compressed", 40, seg, crd))
        vecs.append(Vector(f"rand{seed}", inputs=ins, expected=want, seed=seed,
                           preload={"seg": seg, "crd": crd}, p_valid=0.6, p_ready=0.6))
    return vecs


@pytest.mark.parametrize("sim", sim_params(verilator_default=True))
def test_compressed(sim):
    run_vectors("fiberlookup_c", lambda: CompressedScanner(crd_width=CW, addr_width=AW),
                compressed_vectors(), sim=sim)


@pytest.mark.parametrize("sim", sim_params())
def test_compressed_throughput(sim):
    # 4 fibers of 50 coordinates: 206 tokens; the next seg is read while a fiber
    # streams. Allowance: the latency (9 cycles, 5 before issue 6)
    seg = [0, 50, 100, 150, 200]
    crd = [c for _ in range(4) for c in range(0, 100, 2)]
    ins = {"ref": "0 1 2 3 S0 D"}
    want = _golden("compressed", {"ref": parse("0 1 2 3 S0 D")}, _ctx("compressed", 100, seg, crd))
    ntok = len(want["crd"])
    (res,) = run_vectors("fiberlookup_c", lambda: CompressedScanner(crd_width=CW, addr_width=AW),
                         [Vector("throughput", inputs=ins, expected=want,
                                 preload={"seg": seg, "crd": crd},
                                 expect_cycles_max=ntok + 9)], sim=sim)
    print(f"compressed scanner: {ntok} tokens in {res.cycles} cycles")


@pytest.mark.parametrize("sim", sim_params())
def test_compressed_root(sim):
    vecs = []
    for seed in SEEDS:
        rng = random.Random(seed)
        seg, crd = random_level(rng, 1, dim=60, p_empty=0.2, p_long=0.4, long_len=50)
        want = _golden("compressed", {}, _ctx("compressed", 60, seg, crd), root=True)
        vecs.append(Vector(f"root{seed}", expected=want, preload={"seg": seg, "crd": crd},
                           seed=seed, p_ready=0.5))
    run_vectors("fiberlookup_cr",
                lambda: CompressedScanner(crd_width=CW, addr_width=AW, root=True), vecs, sim=sim)


def dense_vectors(seeds=SEEDS):
    vecs = []
    spec = [(4, "0 1 2 3 S0 D"), (3, "0 1 2 S0 3 4 S0 5 6 S1 D"), (2, "0 N S0 S0 1 S1 D"),
            (0, "0 1 S0 D"), (1, "0 S0 5 S1 D")]
    for k, (dim, ref) in enumerate(spec):
        want = _golden("dense", {"ref": parse(ref)}, _ctx("dense", dim))
        vecs.append(Vector(f"spec{k}", inputs={"ref": ref}, expected=want, config={"dim": dim},
                           seed=k, p_valid=0.7, p_ready=0.7))
    assert vecs[0].expected["ref"] == parse(
        "0 1 2 3 S0 4 5 6 7 S0 8 9 10 11 S0 12 13 14 15 S1 D")
    for seed in seeds:
        rng = random.Random(seed)
        dim = rng.choice([1, 2, 5, 9])
        ins = {"ref": random_stream(rng, rng.randint(1, 3), data=lambda r: r.randrange(12),
                                    p_n=0.1, p_empty=0.15, dim=12)}
        want = _golden("dense", ins, _ctx("dense", dim))
        vecs.append(Vector(f"rand{seed}", inputs=ins, expected=want, config={"dim": dim},
                           seed=seed, p_valid=0.6, p_ready=0.6))
    # throughput: 4 fibers of 60 -> 244 tokens, one per cycle after the latency
    # (5 cycles with crd_width 9; 1 before issue 6)
    want = _golden("dense", {"ref": parse("0 1 2 3 S0 D")}, _ctx("dense", 60))
    vecs.append(Vector("throughput", inputs={"ref": "0 1 2 3 S0 D"}, expected=want,
                       config={"dim": 60}, expect_cycles_max=len(want["crd"]) + 6))
    return vecs


@pytest.mark.parametrize("sim", sim_params())
def test_dense(sim):
    res = run_vectors("fiberlookup_d", lambda: DenseScanner(crd_width=CW), dense_vectors(), sim=sim)
    print(f"dense scanner throughput vector: {res[-1].cycles} cycles")


@pytest.mark.parametrize("sim", sim_params())
def test_dense_root(sim):
    vecs = []
    for dim in (1, 7, 30):
        want = _golden("dense", {}, _ctx("dense", dim), root=True)
        vecs.append(Vector(f"root{dim}", expected=want, config={"dim": dim}, seed=dim,
                           p_ready=0.5))
    run_vectors("fiberlookup_dr", lambda: DenseScanner(crd_width=CW, root=True), vecs, sim=sim)


@pytest.mark.slow
def test_sweep_icarus():
    """40 more seeds per scanner (make test-full)."""
    seeds = range(100, 140)
    run_vectors("fiberlookup_c", lambda: CompressedScanner(crd_width=CW, addr_width=AW),
                compressed_vectors(seeds), sim="icarus")
    run_vectors("fiberlookup_d", lambda: DenseScanner(crd_width=CW), dense_vectors(seeds),
                sim="icarus")
