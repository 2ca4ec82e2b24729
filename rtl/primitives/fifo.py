"""Stream FIFO: the buffer the accelerator generator puts on every edge."""

from __future__ import annotations

from amaranth.hdl import Module, Mux, ResetSignal, Shape, Signal
from amaranth.lib import fifo, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..encoding import token_layout, check_width
from ..stream import check_bool, check_int
from . import RtlPrimitive, register

__all__ = ["Fifo"]


class Fifo(wiring.Component):
    """First-in first-out buffer between two streams.

    Ports
        ``i: In(stream.Signature(shape))``, ``o: Out(stream.Signature(shape))``.
    Parameters
        ``shape``: payload shape (e.g. :func:`rtl.encoding.token_layout`);
        ``depth``: number of tokens it holds, at least 2;
        ``fall_through`` (default False): when the FIFO is empty, a token offered on ``i``
        appears on ``o`` in the same cycle (and is stored only if ``o`` does
        not take it), so the FIFO adds no latency.
    Attributes
        ``latency``: 0 with ``fall_through`` (an empty FIFO), else 1.
    Timing
        A token written in cycle t is visible on ``o`` in cycle t+1 (cycle t
        with ``fall_through`` and an empty FIFO). With ``i`` always valid and
        ``o`` always ready it moves one token per cycle. ``i.ready`` (= not
        full) comes from registers: there is no combinational path from
        ``o.ready`` to ``i.ready``, so a FIFO breaks every ready chain.
        Without ``fall_through``, ``i.ready`` is one flip-flop (a registered
        "full"), so a fan-out's joint ready is an AND of flip-flops.
    Structure
        Without ``fall_through`` the FIFO is an output register ``head`` in
        front of a ``depth - 1`` entry LUTRAM: ``o.valid`` and ``o.payload``
        come straight from flip-flops, so a consumer's decision never starts
        at a RAM read. A token goes into ``head`` when the RAM is empty and
        ``head`` is empty or being taken, else into the RAM; when ``head`` is
        taken and the RAM holds tokens, ``head`` loads the RAM's oldest entry
        (read at a registered address, so the RAM read only feeds ``head``).
        The RAM's write enable and ``head``'s load enable do not depend on
        ``i.valid`` (a free slot or an empty ``head`` may take a non-token).
        With ``fall_through`` it is an Amaranth ``SyncFIFO`` whose ``o.valid``
        and ``o.payload`` also follow ``i.valid`` and ``i.payload``
        combinationally (the generator's producers drive them from registers,
        so the path ends at the consumer).
    Depth 1 is refused: it holds one token and must empty before it takes the
    next, which halves the throughput.
    """

    def __init__(self, shape, depth: int, fall_through: bool = False):
        self.fall_through = check_bool("fall_through", fall_through)
        self.latency = 0 if fall_through else 1
        try:
            self.width = Shape.cast(shape).width
        except TypeError:
            raise ValueError(f"shape must be an Amaranth shape (e.g. rtl.encoding.token_layout(16)), "
                             f"not {shape!r}") from None
        self.shape = shape
        if isinstance(depth, int) and not isinstance(depth, bool) and depth == 1:
            raise ValueError(
                "depth must be an integer >= 2, not 1: a depth-1 FIFO moves one token "
                "every other cycle; use depth 2 or more")
        self.depth = check_int("depth", depth, 2, 1 << 16)
        super().__init__({
            "i": In(stream.Signature(shape)),
            "o": Out(stream.Signature(shape)),
        })

    def elaborate(self, platform):
        if self.fall_through:
            return self._elaborate_fall_through()
        m = Module()
        n = self.depth - 1                  # RAM entries; head holds the last one
        w_ptr = Signal(range(n))
        r_ptr = Signal(range(n))
        level = Signal(range(n + 1))        # tokens in the RAM; > 0 implies head_valid
        # registered level == n and level != 0: i.ready and the head/RAM
        # choice start at flip-flops, not at a compare on level
        full = Signal()
        ram_any = Signal()
        head_valid = Signal()
        head = Signal(self.width)

        def wrap_inc(ptr):
            return Mux(ptr == n - 1, 0, ptr + 1)

        put = self.i.valid & ~full
        # head free or being taken: it loads the RAM's oldest entry, else
        # i.payload (whether or not a token is offered), so head's enable
        # does not wait for the producer's valid
        head_load = ~head_valid | self.o.ready
        from_ram = head_load & ram_any      # implies head_valid: a take
        to_ram = put & (ram_any | ~head_load)
        m.d.comb += [
            self.o.valid.eq(head_valid),
            self.o.payload.eq(head),
            self.i.ready.eq(~full),         # level == n implies head_valid: full
        ]
        # the RAM slot at w_ptr is free unless full: write it every such
        # cycle, so the write enable does not wait for the producer's valid
        # (only w_ptr's advance does)
        if n == 1:
            # one RAM entry: a plain register (a 1-word Memory would have a 0-bit address)
            spare = Signal(self.width)
            with m.If(~full):
                m.d.sync += spare.eq(self.i.payload)
            ram_data = spare
        else:
            m.submodules.ram = ram = Memory(shape=self.width, depth=n, init=[])
            wr = ram.write_port()
            rd = ram.read_port(domain="comb")
            m.d.comb += [wr.addr.eq(w_ptr), wr.data.eq(self.i.payload), wr.en.eq(~full),
                         rd.addr.eq(r_ptr)]
            ram_data = rd.data
        with m.If(to_ram):
            m.d.sync += w_ptr.eq(wrap_inc(w_ptr))
        with m.If(head_load):
            m.d.sync += [head.eq(Mux(ram_any, ram_data, self.i.payload)),
                         head_valid.eq(ram_any | put)]
        with m.If(from_ram):
            m.d.sync += r_ptr.eq(wrap_inc(r_ptr))
        with m.If(to_ram & ~from_ram):
            m.d.sync += [level.eq(level + 1), ram_any.eq(1), full.eq(level == n - 1)]
        with m.Elif(from_ram & ~to_ram):
            m.d.sync += [level.eq(level - 1), ram_any.eq(level != 1), full.eq(0)]
        return m

    def _elaborate_fall_through(self):
        m = Module()
        m.submodules.q = q = fifo.SyncFIFO(width=self.width, depth=self.depth)
        m.d.comb += [
            q.w_data.eq(self.i.payload),
            self.i.ready.eq(q.w_rdy),
            q.r_en.eq(self.o.ready),
        ]
        empty = ~q.r_rdy
        m.d.comb += [
            # no token passes while the FIFO is in reset (its state is void)
            self.o.valid.eq(q.r_rdy | (self.i.valid & ~ResetSignal())),
            self.o.payload.eq(Mux(empty, self.i.payload, q.r_data)),
            # a token taken straight through is not stored
            q.w_en.eq(self.i.valid & ~(empty & self.o.ready)),
        ]
        return m


def token_fifo(width: int = 16, depth: int = 2, signed: bool = False,
               fall_through: bool = False) -> Fifo:
    """A :class:`Fifo` of SAM tokens with ``width`` data bits (0: repsig)."""
    check_width("width", width, minimum=0)
    return Fifo(token_layout(width, signed_data=signed), depth, fall_through=fall_through)


register(RtlPrimitive("fifo", token_fifo,
                      formal_params=({"width": 3, "depth": 2}, {"width": 3, "depth": 3},
                                     {"width": 3, "depth": 2, "fall_through": True}),
                      doc=Fifo.__doc__))
