"""Level and value writers ("fiberwrite")."""

from __future__ import annotations

from amaranth.hdl import Module, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..encoding import Kind, token_stream, check_width
from ..stream import check_int, write_port
from . import RtlPrimitive, register

__all__ = ["LevelWriter", "ValsWriter", "fiberwrite"]


class LevelWriter(wiring.Component):
    """Write one output level: raw ``crd`` and ``seg`` arrays.

    Matches the golden model (``sim/primitives/fiberwrite.py``, design.md
    difference 2): every coordinate is appended to ``crd``; **every** stop
    token appends the running coordinate count to ``seg``, which starts with
    ``seg[0] = 0`` (written in the first cycle after reset). The same arrays
    are written for compressed and dense levels; the host decodes them with
    ``sam.formats.assemble_output``.

    Ports
        ``crd: In(token_stream(crd_width))``;
        ``crd_wr: In(write_port(addr_width, crd_width))`` on memory ``crd``;
        ``seg_wr: In(write_port(addr_width, crd_width))`` on memory ``seg``;
        ``crd_len``, ``seg_len: Out(addr_width + 1)``: entries written;
        ``done: Out(1)``: ``D`` was consumed;
        ``error: Out(1)``: sticky; an ``N`` token (not storable), a token
        after ``D``, or an array overflowing ``2**addr_width`` entries.
    Parameters
        ``crd_width`` 2..64 (default 16), ``addr_width`` 1..min(32,
        crd_width-1) (default 10; seg entries count up to ``2**addr_width``),
        ``format`` (``compressed`` or ``dense``; documentation only).
    Timing
        One token per cycle; ``crd.ready`` is high from the second cycle after
        reset on (no dependence on anything else). The write ports are
        registers (``en``, ``addr``, ``data``): a write is presented in the
        cycle after its token is accepted and lands at the end of it, so every
        write has landed when ``done`` rises. ``seg[0] = 0`` is presented in
        the second cycle after reset.
    """

    def __init__(self, crd_width: int = 16, addr_width: int = 10, format: str = "compressed"):
        self.crd_width = check_width("crd_width", crd_width, minimum=2)
        # seg entries count up to 2**addr_width and are crd_width wide
        self.addr_width = check_int("addr_width", addr_width, 1, min(32, crd_width - 1))
        if format not in ("compressed", "dense"):
            raise ValueError(f"format must be 'compressed' or 'dense', not {format!r}")
        self.format = format
        #: Cycles from a token to its write landing (no output stream).
        self.latency = 1
        self.memory_ports = {"crd_wr": "crd", "seg_wr": "seg"}
        wp = write_port(addr_width, unsigned(crd_width))
        super().__init__({
            "crd": In(token_stream(crd_width)),
            "crd_wr": In(wp), "seg_wr": In(wp),
            "crd_len": Out(addr_width + 1), "seg_len": Out(addr_width + 1),
            "done": Out(1), "error": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        started = Signal()
        tok = self.crd.payload
        top = self.addr_width            # crd_len[top]: the array is full (== 2**addr_width)
        m.d.comb += self.crd.ready.eq(started)
        # The write ports come from registers (en, addr, data): the block RAM
        # inputs are far from the fabric, so no logic may sit in front of them.
        m.d.sync += [self.crd_wr.en.eq(0), self.seg_wr.en.eq(0),
                     self.crd_wr.addr.eq(self.crd_len[:top]), self.crd_wr.data.eq(tok.data),
                     self.seg_wr.addr.eq(self.seg_len[:top]), self.seg_wr.data.eq(self.crd_len)]
        with m.If(~started):                       # seg[0] = 0
            m.d.sync += [self.seg_wr.addr.eq(0), self.seg_wr.data.eq(0), self.seg_wr.en.eq(1),
                         started.eq(1), self.seg_len.eq(1)]
        with m.Elif(self.crd.valid):
            with m.If(self.done):
                m.d.sync += self.error.eq(1)
            with m.Else():
                with m.Switch(tok.kind):
                    with m.Case(Kind.DATA):
                        with m.If(self.crd_len[top]):
                            m.d.sync += self.error.eq(1)
                        with m.Else():
                            m.d.sync += [self.crd_wr.en.eq(1), self.crd_len.eq(self.crd_len + 1)]
                    with m.Case(Kind.STOP):
                        with m.If(self.seg_len[top]):
                            m.d.sync += self.error.eq(1)
                        with m.Else():
                            m.d.sync += [self.seg_wr.en.eq(1), self.seg_len.eq(self.seg_len + 1)]
                    with m.Case(Kind.EMPTY):
                        m.d.sync += self.error.eq(1)
                    with m.Case(Kind.DONE):
                        m.d.sync += self.done.eq(1)
        return m


class ValsWriter(wiring.Component):
    """Write the output values in arrival order; stop tokens are ignored.

    Ports
        ``val: In(token_stream(val_width, signed))``;
        ``vals_wr: In(write_port(addr_width, signed(val_width)))`` on memory
        ``vals``; ``vals_len: Out(addr_width + 1)``; ``done``, ``error``
        (sticky: ``N``, a token after ``D``, or overflow) as in
        :class:`LevelWriter`.
    Parameters
        ``val_width`` 1..64 (default 32), ``addr_width`` 1..32 (default 10).
    Timing
        One token per cycle; ``val.ready`` is always high. The write port is
        registered as in :class:`LevelWriter` (a write is presented in the
        cycle after its token is accepted; all have landed when ``done``
        rises).
    """

    def __init__(self, val_width: int = 32, addr_width: int = 10):
        self.val_width = check_width("val_width", val_width)
        self.addr_width = check_int("addr_width", addr_width, 1, 32)
        #: Cycles from a token to its write landing (no output stream).
        self.latency = 1
        self.memory_ports = {"vals_wr": "vals"}
        super().__init__({
            "val": In(token_stream(val_width, signed_data=True)),
            "vals_wr": In(write_port(addr_width, signed(val_width))),
            "vals_len": Out(addr_width + 1), "done": Out(1), "error": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        tok = self.val.payload
        top = self.addr_width
        m.d.comb += self.val.ready.eq(1)
        # registered write port, as in LevelWriter
        m.d.sync += [self.vals_wr.en.eq(0), self.vals_wr.addr.eq(self.vals_len[:top]),
                     self.vals_wr.data.eq(tok.data)]
        with m.If(self.val.valid):
            with m.If(self.done):
                m.d.sync += self.error.eq(1)
            with m.Else():
                with m.Switch(tok.kind):
                    with m.Case(Kind.DATA):
                        with m.If(self.vals_len[top]):
                            m.d.sync += self.error.eq(1)
                        with m.Else():
                            m.d.sync += [self.vals_wr.en.eq(1),
                                         self.vals_len.eq(self.vals_len + 1)]
                    with m.Case(Kind.EMPTY):
                        m.d.sync += self.error.eq(1)
                    with m.Case(Kind.DONE):
                        m.d.sync += self.done.eq(1)
        return m


def fiberwrite(vals: bool = False, format: str = "compressed", crd_width: int = 16,
               val_width: int = 32, addr_width: int = 10):
    """A value writer (``vals=True``, catalogue ``mode=vals``) or a level writer."""
    if vals:
        return ValsWriter(val_width=val_width, addr_width=addr_width)
    return LevelWriter(crd_width=crd_width, addr_width=addr_width, format=format)


register(RtlPrimitive("fiberwrite", fiberwrite,
                      formal_params=({"crd_width": 3, "addr_width": 2},
                                     {"vals": True, "val_width": 3, "addr_width": 2}),
                      doc=LevelWriter.__doc__))
