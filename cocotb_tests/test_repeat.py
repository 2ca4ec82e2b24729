"""repeat and repsiggen against the spec vectors and the golden model."""

import random

import pytest

from cocotb_tests.harness import Vector, run_vectors, sim_params
from cocotb_tests.streamgen import golden, random_stream
from rtl.primitives.repeat import Repeat
from rtl.primitives.repsiggen import RepSigGen
from sam.tokens import D, R, RS, Stop, parse

CW = 8
SEEDS = (1, 2, 3, 4, 5, 6)

SPEC_REPEAT = [  # spec 2.2 (test) vectors
    ("0 1 2 S0 D", "R R S R S R S D", "0 0 S0 1 S0 2 S1 D"),
    ("0 S0 1 2 3 S1 D", "R R R S R R R S R S R R S D", "0 0 0 S1 1 1 1 S0 2 S0 3 3 S2 D"),
    ("0 S0 S0 S0 S1 D", "R S S S S D", "0 S1 S1 S1 S2 D"),
    ("0 S0 1 S1 D", "S R S D", "S1 1 S2 D"),
    ("N 0 1 S0 D", "R S R S R S D", "N S0 0 S0 1 S1 D"),
]


def repsig_for(rng, refs, max_rep=4, p_zero=0.15):
    """A repeat signal consistent with the reference stream ``refs``."""
    sig, i = [], 0
    while i < len(refs):
        t = refs[i]
        if t is D:
            sig.append(D)
            break
        if type(t) is Stop:            # empty parent fiber: its own S
            sig.append(RS)
            i += 1
            continue
        k = 0 if rng.random() < p_zero else rng.randint(1, max_rep)
        sig += [R] * k + [RS]
        i += 1
        if i < len(refs) and type(refs[i]) is Stop:
            i += 1                     # consumed by the peek rule
    return sig


def repeat_vectors(seeds=SEEDS):
    vecs = []
    for k, (ref, sig, out) in enumerate(SPEC_REPEAT):
        want = golden("repeat", {"ref": parse(ref), "repsig": parse(sig)}, index="j")
        assert want["ref"] == parse(out), "golden model disagrees with spec"
        vecs.append(Vector(f"spec{k}", inputs={"ref": ref, "repsig": sig}, expected=want,
                           seed=k, p_valid=0.7, p_ready=0.7))
    for seed in seeds:
        rng = random.Random(seed)
        refs = random_stream(rng, rng.randint(1, 3), data=lambda r: r.randrange(200), p_n=0.1,
                             p_empty=0.15, dim=20)
        ins = {"ref": refs, "repsig": repsig_for(rng, refs)}
        want = golden("repeat", ins, index="j")
        vecs.append(Vector(f"rand{seed}", inputs=ins, expected=want, seed=seed,
                           p_valid=0.6, p_ready=0.6))
    # throughput: 50 refs x 8 repeats = 450 signal tokens, one output per cycle
    refs = parse(" ".join(map(str, range(50))) + " S0 D")
    sig = ([R] * 8 + [RS]) * 50 + [D]
    want = golden("repeat", {"ref": refs, "repsig": sig}, index="j")
    vecs.append(Vector("throughput", inputs={"ref": refs, "repsig": sig}, expected=want,
                       expect_cycles_max=len(sig) + 2))
    return vecs


@pytest.mark.parametrize("sim", sim_params(verilator_default=True))
def test_repeat(sim):
    res = run_vectors("repeat", lambda: Repeat(crd_width=CW), repeat_vectors(), sim=sim)
    print(f"repeat throughput vector: {res[-1].cycles} cycles for 451 tokens")


@pytest.mark.parametrize("sim", sim_params())
def test_repeat_root(sim):
    vecs = []
    for seed in SEEDS[:3]:
        rng = random.Random(seed)
        sig = repsig_for(rng, [0, D], max_rep=30)
        want = golden("repeat", {"repsig": sig}, index="j", root=True)
        vecs.append(Vector(f"root{seed}", inputs={"repsig": sig}, expected=want, seed=seed,
                           p_valid=0.6, p_ready=0.6))
    run_vectors("repeat_root", lambda: Repeat(crd_width=CW, root=True), vecs, sim=sim)


def test_repeat_malformed_reported():
    """R against a stop token is malformed: the module stalls and the bench
    reports a timeout instead of accepting it."""
    with pytest.raises(AssertionError, match="timeout"):
        run_vectors("repeat", lambda: Repeat(crd_width=CW),
                    [Vector("bad", inputs={"ref": "S0 D", "repsig": "R S D"},
                            expected={"ref_out": "S1 D"}, max_cycles=200)], sim="icarus")


def repsiggen_vectors():
    vecs = []
    spec = [("0 1 S0 2 S0 3 S1 D", "R R S R S R S D"),
            ("0 1 2 S0 0 1 2 S1 S1 4 5 S2 D", "R R R S R R R S S R R S D")]
    for k, (crd, sig) in enumerate(spec):
        want = golden("repsiggen", {"crd": parse(crd)})
        assert want["repsig"] == parse(sig)
        vecs.append(Vector(f"spec{k}", inputs={"crd": crd}, expected=want, seed=k,
                           p_valid=0.7, p_ready=0.7))
    for seed in SEEDS:
        rng = random.Random(seed)
        ins = {"crd": random_stream(rng, rng.randint(1, 3), p_n=0.1, p_empty=0.2, dim=20)}
        vecs.append(Vector(f"rand{seed}", inputs=ins, expected=golden("repsiggen", ins),
                           seed=seed, p_valid=0.6, p_ready=0.6))
    crd = parse(" ".join(map(str, range(200))) + " S0 D")
    vecs.append(Vector("throughput", inputs={"crd": crd},
                       expected=golden("repsiggen", {"crd": crd}),
                       expect_cycles_max=len(crd) + 1))
    return vecs


@pytest.mark.parametrize("sim", sim_params())
def test_repsiggen(sim):
    res = run_vectors("repsiggen", lambda: RepSigGen(crd_width=CW), repsiggen_vectors(), sim=sim)
    print(f"repsiggen throughput vector: {res[-1].cycles} cycles for 202 tokens")


@pytest.mark.slow
def test_sweep_icarus():
    """40 more seeds (make test-full)."""
    run_vectors("repeat", lambda: Repeat(crd_width=CW), repeat_vectors(range(100, 140)),
                sim="icarus")
