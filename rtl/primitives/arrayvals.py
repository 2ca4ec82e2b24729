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
        ``vals`` (synchronous read, 1-cycle latency);
        ``error: Out(1)``: sticky; a reference ``>= 2**addr_width`` was taken
        (its high bits are dropped, so the value read is wrong). Cleared by
        reset.
    Parameters
        ``crd_width`` 1..64 (default 16), ``val_width`` 1..64 (default 32),
        ``addr_width`` 1..crd_width (default 10); references must be below
        ``2**addr_width`` (else ``error``).
    Timing
        One token per cycle, latency 1 cycle. The read port's data register
        is the output register of the value (its ``en`` is low while the
        output stalls, so the payload holds). ``ref.ready = ~val.valid |
        val.ready``.
    """

    def __init__(self, crd_width: int = 16, val_width: int = 32, addr_width: int = 10):
        self.crd_width = check_width("crd_width", crd_width)
        self.val_width = check_width("val_width", val_width)
        self.addr_width = check_int("addr_width", addr_width, 1, crd_width)
        self.memory_ports = {"vals_rd": "vals"}
        super().__init__({
            "ref": In(token_stream(crd_width)),
            "val": Out(token_stream(val_width, signed_data=True)),
            "vals_rd": In(read_port(addr_width, signed(val_width))),
            "error": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        ref, val, rd = self.ref, self.val, self.vals_rd
        kind = Signal(Kind)
        level = Signal(self.val_width)
        from_mem = Signal()
        free = Signal()
        fire = Signal()
        m.d.comb += [
            free.eq(~val.valid | val.ready),
            ref.ready.eq(free),
            fire.eq(ref.valid & free),
            rd.addr.eq(ref.payload.data),
            rd.en.eq(fire),
            # the whole payload in one assignment: Icarus never runs an
            # `always @*` for a field whose inputs do not change after time 0
            val.payload.as_value().eq(
                Cat(Mux(from_mem, rd.data.as_unsigned(), level)[:self.val_width], kind)),
        ]
        with m.If(fire):
            k = ref.payload.kind
            m.d.sync += [
                val.valid.eq(1),
                kind.eq(k),
                from_mem.eq(k == Kind.DATA),
                level.eq(0),
            ]
            with m.If(k == Kind.EMPTY):
                m.d.sync += kind.eq(Kind.DATA)          # N loads the value 0
            with m.If(k == Kind.STOP):
                m.d.sync += level.eq(ref.payload.data)
            if self.addr_width < self.crd_width:
                with m.If((k == Kind.DATA) & (ref.payload.data[self.addr_width:] != 0)):
                    m.d.sync += self.error.eq(1)
        with m.Elif(val.ready):
            m.d.sync += val.valid.eq(0)
        return m


register(RtlPrimitive("arrayvals", ArrayVals,
                      formal_params=({"crd_width": 3, "val_width": 3, "addr_width": 2},),
                      doc=ArrayVals.__doc__))
