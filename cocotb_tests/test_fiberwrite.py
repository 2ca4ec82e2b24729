"""fiberwrite (level and value writers) against the golden model: the
written memories and lengths must equal the golden model's raw arrays."""

import random

import pytest

from cocotb_tests.harness import Vector, run_vectors, sim_params
from cocotb_tests.streamgen import golden, random_stream
from rtl.primitives.fiberwrite import LevelWriter, ValsWriter
from sam.tokens import parse

CW, VW, AW = 12, 16, 10
SEEDS = (1, 2, 3, 4, 5)


def _level_vec(name, crd, seed, fmt="compressed", **kw):
    ins = {"crd": parse(crd) if isinstance(crd, str) else crd}
    prim = golden("fiberwrite", ins, tensor="X", index="i", mode="0", format=fmt)["_prim"]
    return Vector(name, inputs=ins, expected={}, seed=seed,
                  expect_mem={"crd": prim.crd, "seg": prim.seg},
                  expect_signals={"crd_len": len(prim.crd), "seg_len": len(prim.seg),
                                  "done": 1, "error": 0}, **kw)


def level_vectors(seeds=SEEDS):
    vecs = [_level_vec("spec0", "0 2 3 S0 0 2 3 S1 D", 0, p_valid=0.7),
            _level_vec("empty_fibers", "0 2 S0 S0 1 3 S1 D", 1),
            _level_vec("all_empty", "S0 S0 S1 S2 D", 2)]
    assert vecs[0].expect_mem == {"crd": [0, 2, 3, 0, 2, 3], "seg": [0, 3, 6]}
    for seed in seeds:
        rng = random.Random(seed)
        crd = random_stream(rng, rng.randint(1, 3), p_empty=0.2, dim=30)
        vecs.append(_level_vec(f"rand{seed}", crd, seed, p_valid=0.6))
    crd = parse(" ".join(str(i) for i in range(200)) + " S0 D")
    vecs.append(_level_vec("throughput", crd, 0, expect_cycles_max=len(crd) + 2))
    return vecs


@pytest.mark.parametrize("sim", sim_params())
def test_level_writer(sim):
    res = run_vectors("fiberwrite_l", lambda: LevelWriter(crd_width=CW, addr_width=AW),
                      level_vectors(), sim=sim)
    print(f"level writer throughput vector: {res[-1].cycles} cycles for 202 tokens")


def test_level_writer_flags_n():
    """An N token cannot be stored: the writer raises its error flag."""
    v = _level_vec("ok", "0 S0 D", 0)
    v.inputs = {"crd": parse("0 N S0 D")}
    with pytest.raises(AssertionError, match="signal error = 1"):
        run_vectors("fiberwrite_l", lambda: LevelWriter(crd_width=CW, addr_width=AW), [v],
                    sim="icarus")


def _vals_vec(name, val, seed, **kw):
    ins = {"val": parse(val) if isinstance(val, str) else val}
    prim = golden("fiberwrite", ins, tensor="X", mode="vals")["_prim"]
    return Vector(name, inputs=ins, expected={}, seed=seed, expect_mem={"vals": prim.vals},
                  expect_signals={"vals_len": len(prim.vals), "done": 1, "error": 0}, **kw)


@pytest.mark.parametrize("sim", sim_params())
def test_vals_writer(sim):
    vecs = [_vals_vec("spec0", "1 -2 S0 3 S1 D", 0, p_valid=0.5)]
    for seed in SEEDS:
        rng = random.Random(seed)
        val = random_stream(rng, rng.randint(1, 3), data=lambda r: r.randint(-30000, 30000),
                            p_empty=0.2, dim=30)
        vecs.append(_vals_vec(f"rand{seed}", val, seed, p_valid=0.6))
    val = parse(" ".join(str(i - 100) for i in range(200)) + " S0 D")
    vecs.append(_vals_vec("throughput", val, 0, expect_cycles_max=len(val) + 1))
    res = run_vectors("fiberwrite_v", lambda: ValsWriter(val_width=VW, addr_width=AW), vecs,
                      sim=sim)
    print(f"vals writer throughput vector: {res[-1].cycles} cycles for 202 tokens")


@pytest.mark.slow
def test_sweep_icarus():
    """40 more seeds (make test-full)."""
    run_vectors("fiberwrite_l", lambda: LevelWriter(crd_width=CW, addr_width=AW),
                level_vectors(range(100, 140)), sim="icarus")
