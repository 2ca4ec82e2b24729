"""repeat and repsiggen on the Amaranth simulator + parameter checks."""

import random

import pytest

from cocotb_tests.streamgen import golden, random_stream
from cocotb_tests.test_repeat import SPEC_REPEAT, repsig_for
from rtl.primitives.repeat import Repeat
from rtl.primitives.repsiggen import RepSigGen
from sam.tokens import parse
from tests.rtl_sim import run_stream_sim


@pytest.mark.parametrize("case", range(len(SPEC_REPEAT)))
def test_repeat_spec(case):
    ref, sig, out = SPEC_REPEAT[case]
    res = run_stream_sim(Repeat(crd_width=8), {"ref": ref, "repsig": sig}, seed=case,
                         p_valid=0.7, p_ready=0.7)
    assert res.outputs["ref_out"] == parse(out)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_repeat_random(seed):
    rng = random.Random(seed)
    refs = random_stream(rng, rng.randint(1, 3), data=lambda r: r.randrange(100), p_n=0.1,
                         p_empty=0.15)
    ins = {"ref": refs, "repsig": repsig_for(rng, refs)}
    res = run_stream_sim(Repeat(crd_width=8), ins, seed=seed, p_valid=0.6, p_ready=0.6)
    assert res.outputs["ref_out"] == golden("repeat", ins, index="j")["ref"], f"seed {seed}"


def _error_after(dut, ins, cycles=30):
    """Drive ``ins`` (always valid), keep outputs ready; ``error`` after ``cycles``."""
    from amaranth.sim import Simulator
    from rtl.encoding import encode
    words = {p: [encode(t, 0 if p == "repsig" else 8, repsig=p == "repsig") for t in parse(s)]
             for p, s in ins.items()}
    state = {}

    async def bench(ctx):
        pos = dict.fromkeys(words, 0)
        ctx.set(dut.ref_out.ready, 1)
        for _ in range(cycles):
            for p, w in words.items():
                port = getattr(dut, p)
                ctx.set(port.valid, int(pos[p] < len(w)))
                if pos[p] < len(w):
                    ctx.set(port.payload.as_value(), w[pos[p]])
            fired = {p: ctx.get(getattr(dut, p).ready) and pos[p] < len(w)
                     for p, w in words.items()}
            await ctx.tick()
            for p in words:
                pos[p] += bool(fired[p])
        state["error"] = ctx.get(dut.error)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return state["error"]


@pytest.mark.parametrize("ref, sig, flagged", [
    ("0 S0 D", "R R S D", 0),          # well-formed
    ("S0 D", "R S D", 1),              # R against a stop token
    ("0 S0 D", "R S S D", 1),          # S against D (no reference left)
    ("0 1 S0 D", "R S D", 1),          # D while reference 1 is pending
])
def test_repeat_malformed_raises_error(ref, sig, flagged):
    # a malformed pair stalls (the cocotb bench reports a timeout) and
    # raises the sticky error flag the host can read
    assert _error_after(Repeat(crd_width=8), {"ref": ref, "repsig": sig}) == flagged


def test_repeat_throughput():
    refs = parse(" ".join(map(str, range(20))) + " S0 D")
    sig = parse(" ".join(["R R R S"] * 20) + " D")
    res = run_stream_sim(Repeat(crd_width=8), {"ref": refs, "repsig": sig})
    assert res.cycles <= len(sig) + 2


@pytest.mark.parametrize("pattern, refs, sig", [
    # references repeated zero times (mat_mattransmul's repeat over j)
    ("zero repeats", " ".join(map(str, range(40))) + " S0 D", " ".join(["S"] * 40) + " D"),
    ("mixed", " ".join(map(str, range(40))) + " S0 D",
     " ".join(["R S S R R S"] * 13) + " R S D"),
])
def test_repeat_throughput_zero_repeats(pattern, refs, sig):
    res = run_stream_sim(Repeat(crd_width=8), {"ref": refs, "repsig": sig})
    ins = {"ref": parse(refs), "repsig": parse(sig)}
    assert res.outputs["ref_out"] == golden("repeat", ins, index="j")["ref"]
    assert res.cycles <= len(ins["repsig"]) + 2, f"{pattern}: {res.cycles} cycles"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_repsiggen_random(seed):
    rng = random.Random(seed)
    ins = {"crd": random_stream(rng, rng.randint(1, 3), p_n=0.1, p_empty=0.2)}
    res = run_stream_sim(RepSigGen(crd_width=8), ins, seed=seed, p_valid=0.6, p_ready=0.6)
    assert res.outputs["repsig"] == golden("repsiggen", ins)["repsig"]


def test_parameters():
    with pytest.raises(ValueError, match=r"crd_width must be an integer in 1\.\.64, not 0"):
        RepSigGen(crd_width=0)
    with pytest.raises(ValueError, match=r"crd_width must be an integer in 1\.\.64, not 65"):
        Repeat(crd_width=65)
    with pytest.raises(ValueError, match="root must be True or False"):
        Repeat(root=1)
    assert "ref" not in Repeat(root=True).signature.members
