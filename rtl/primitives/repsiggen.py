"""Repeat-signal generator ("repsiggen")."""

from __future__ import annotations

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..encoding import Kind, token_stream, check_width
from ..stream import OutReg
from . import RtlPrimitive, register

__all__ = ["RepSigGen"]


class RepSigGen(wiring.Component):
    """Turn a crd (or ref) stream into a repeat-signal stream.

    Each data token and each ``N`` becomes ``R``, each stop token (any level)
    becomes ``S``, ``D`` becomes ``D``.

    Ports
        ``crd: In(token_stream(crd_width))``, ``repsig: Out(token_stream(0))``.
    Parameters
        ``crd_width``: data bits of the input stream, 1..64 (default 16).
    Attributes
        ``latency = 1`` (input token to output token, cycles).
    Timing
        One token per cycle; output registered, latency 1 cycle.
        ``crd.ready = ~repsig.valid | repsig.ready`` (combinational through one
        gate; follow the output with a FIFO when chaining).
    """

    def __init__(self, crd_width: int = 16):
        self.crd_width = check_width("crd_width", crd_width)
        self.latency = 1
        super().__init__({
            "crd": In(token_stream(crd_width)),
            "repsig": Out(token_stream(0)),
        })

    def elaborate(self, platform):
        m = Module()
        out = OutReg(m, self.repsig, "repsig")
        m.d.comb += self.crd.ready.eq(out.free)
        with m.If(self.crd.valid & out.free):
            with m.Switch(self.crd.payload.kind):
                with m.Case(Kind.STOP):
                    out.load(kind=Kind.STOP)
                with m.Case(Kind.DONE):
                    out.load(kind=Kind.DONE)
                with m.Default():
                    out.load(kind=Kind.DATA)
        return m


register(RtlPrimitive("repsiggen", RepSigGen, formal_params=({"crd_width": 3},),
                      doc=RepSigGen.__doc__))
