"""Value array load ("arrayvals")."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..encoding import Kind, token_stream, check_width
from ..stream import check_int, read_port
from . import RtlPrimitive, register

__all__ = ["ArrayVals"]


class ArrayVals(wiring.Component):
    """Load ``vals[r]`` for every reference ``r``.

    Data token ``r`` -> value ``vals[r]``; ``N`` -> value 0; stop tokens and
    ``D`` pass unchanged.

    Ports
        ``ref: In(token_stream(crd_width))``;
        ``val: Out(token_stream(val_width, signed))``;
        ``vals_rd: In(read_port(addr_width, signed(val_width)))`` on memory
        ``vals``, read latency 2 (:mod:`rtl.ram`);
        ``error: Out(1)``: sticky; a reference ``>= 2**addr_width`` was taken
        (its high bits are dropped, so the value read is wrong). Cleared by
        reset.
    Parameters
        ``crd_width`` 1..64 (default 16), ``val_width`` 1..64 (default 32),
        ``addr_width`` 1..crd_width (default 10); references must be below
        ``2**addr_width`` (else ``error``).
    Timing
        One token per cycle, latency 2 cycles: the value memory is read with
        read latency 2 (``read_latency = 2``: array read, then the RAM's
        output register, which is the value's output register, so no logic
        sits between the block RAM and ``val``). The token's kind and stop
        level travel in two registers alongside. The whole two-stage
        pipeline (RAM included, ``vals_rd.en``) advances when the output
        register can take a token (``~val.valid | val.ready``), so a stall
        holds every stage and the payload; ``ref.ready`` is that same
        condition (one gate after ``val.ready``).
    """

    def __init__(self, crd_width: int = 16, val_width: int = 32, addr_width: int = 10):
        self.crd_width = check_width("crd_width", crd_width)
        self.val_width = check_width("val_width", val_width)
        self.addr_width = check_int("addr_width", addr_width, 1, crd_width)
        self.memory_ports = {"vals_rd": "vals"}
        self.read_latency = 2
        #: Cycles from a reference to its value (see Timing).
        self.latency = 2
        super().__init__({
            "ref": In(token_stream(crd_width)),
            "val": Out(token_stream(val_width, signed_data=True)),
            "vals_rd": In(read_port(addr_width, signed(val_width))),
            "error": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        ref, val, rd = self.ref, self.val, self.vals_rd
        adv = Signal()       # both stages (and the RAM's read pipeline) move
        take = Signal()
        # stage 1: the array read; stage 2: the RAM's output register (= val)
        v1, kind1, level1, mem1 = Signal(), Signal(Kind), Signal(self.val_width), Signal()
        kind2, level2, mem2 = Signal(Kind), Signal(self.val_width), Signal()
        m.d.comb += [
            adv.eq(~val.valid | val.ready),
            ref.ready.eq(adv),
            take.eq(ref.valid & adv),
            rd.addr.eq(ref.payload.data),
            rd.en.eq(adv),
            # the whole payload in one assignment: Icarus never runs an
            # `always @*` for a field whose inputs do not change after time 0
            val.payload.as_value().eq(
                Cat(Mux(mem2, rd.data.as_unsigned(), level2)[:self.val_width], kind2)),
        ]
        with m.If(adv):
            k = ref.payload.kind
            m.d.sync += [
                v1.eq(ref.valid),
                kind1.eq(Mux(k == Kind.EMPTY, Kind.DATA, k)),   # N loads the value 0
                mem1.eq(k == Kind.DATA),
                level1.eq(Mux(k == Kind.STOP, ref.payload.data, 0)),
                val.valid.eq(v1),
                kind2.eq(kind1),
                mem2.eq(mem1),
                level2.eq(level1),
            ]
        if self.addr_width < self.crd_width:
            with m.If(take & (ref.payload.kind == Kind.DATA)
                      & (ref.payload.data[self.addr_width:] != 0)):
                m.d.sync += self.error.eq(1)
        return m


register(RtlPrimitive("arrayvals", ArrayVals,
                      formal_params=({"crd_width": 3, "val_width": 3, "addr_width": 2},),
                      doc=ArrayVals.__doc__))
