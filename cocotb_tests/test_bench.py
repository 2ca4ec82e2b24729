"""The generic bench itself: it must catch a broken stream protocol, a wrong
token and a malformed output stream (negative controls, Icarus only)."""

import pytest
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from cocotb_tests.broken import DropsValid
from cocotb_tests.harness import Vector, run_vectors
from rtl.encoding import Kind, token_stream
from rtl.primitives.fiberlookup import CompressedScanner
from rtl.primitives.fifo import token_fifo

STREAM = "0 1 S0 2 3 S0 4 S1 D"


class SwapStops(wiring.Component):
    """Broken on purpose: swaps stop levels 0 and 1 (S1 no longer closes last)."""
    i: In(token_stream(8))
    o: Out(token_stream(8))

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.i.ready.eq(~self.o.valid | self.o.ready)
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += [self.o.valid.eq(1), self.o.payload.eq(self.i.payload)]
            with m.If(self.i.payload.kind == Kind.STOP):
                m.d.sync += self.o.payload.data.eq(self.i.payload.data ^ 1)
        with m.Elif(self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        return m


def test_catches_dropped_valid():
    with pytest.raises(AssertionError, match="valid dropped"):
        run_vectors("bench_dropsvalid", DropsValid,
                    [Vector("v", inputs={"i": STREAM}, expected={"o": STREAM}, p_ready=0.3)])


def test_catches_wrong_token_and_writes_waves():
    with pytest.raises(AssertionError, match=r"port 'o' differs at token 3(.|\n)*waves: \S+\.fst"):
        run_vectors("bench_fifo", lambda: token_fifo(width=8, depth=2),
                    [Vector("v", inputs={"i": STREAM}, expected={"o": "0 1 S0 9 3 S0 4 S1 D"})])


def test_catches_malformed_output():
    # expected equals the (malformed) output, so only the form check can fail
    bad = "0 1 S1 2 3 S1 4 S0 D"
    with pytest.raises(AssertionError, match="not a well-formed SAM stream: the token before D"):
        run_vectors("bench_swapstops", SwapStops,
                    [Vector("v", inputs={"i": STREAM}, expected={"o": bad})])


def _no_d(**kw):
    return Vector("noD", inputs={"ref": [0]}, expected={"crd": "5 S0 D", "ref": "0 S0 D"},
                  preload={"seg": [0, 1], "crd": [5]}, max_cycles=100, **kw)


def _scanner():
    return CompressedScanner(crd_width=9, addr_width=8)


def test_malformed_input_is_refused():
    # the harness checks every input stream before it simulates anything
    with pytest.raises(ValueError, match="input 'ref' is not a well-formed SAM stream: "
                                         "stream does not end with D"):
        run_vectors("fiberlookup_c", _scanner, [_no_d()])


def test_malformed_input_is_reported():
    # driven on purpose: the scanner never finishes; the bench says so
    with pytest.raises(AssertionError, match="timeout"):
        run_vectors("fiberlookup_c", _scanner, [_no_d(check_inputs=False)])


def test_error_flag_is_checked():
    # reference 255 = 2**addr_width - 1: seg[256] is beyond the memory; the
    # scanner raises `error` and the bench (which expects 0 by default) fails
    v = Vector("oob", inputs={"ref": "255 D"}, expected={"crd": "S0 D", "ref": "S0 D"},
               preload={"seg": [0] * 256, "crd": [0]})
    with pytest.raises(AssertionError, match="signal error = 1, expected 0"):
        run_vectors("fiberlookup_c", _scanner, [v])
