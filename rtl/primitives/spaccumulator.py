"""Sparse accumulator of order 1 ("spaccumulator" with order=1)."""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal, unsigned
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from ..encoding import Kind, token_stream, check_width, STOP_LEVEL_BITS
from ..stream import OutReg, check_bool, check_int
from . import RtlPrimitive, register

__all__ = ["SpAccumulator1"]


class SpAccumulator1(wiring.Component):
    """Order-1 sparse accumulator on stop-token streams.

    The inputs ``crd_outer`` (if ``outer``), ``crd_inner`` and ``val`` have
    the structure of the innermost loop level, e.g. for matmul ikj the nest
    i > k > j: ``crd_outer`` is i held per j coordinate (crdhold),
    ``crd_inner`` is j, ``val`` the products. ``S0`` ends an inner fiber; a
    stop token ``Sn`` with n >= 1 ends a *group* (the reduced loop of one
    outer coordinate). Each group's sums leave after its closing stop token,
    inner coordinates ascending, explicit zeros kept; the outputs have one
    nesting level fewer (golden model ``sim/primitives/spaccumulator.py``):

    * with ``outer``: a non-empty group emits its outer coordinate on
      ``crd_outer_out`` and its fiber on ``crd_inner_out``/``val_out``; the
      fiber's ``S0`` closing is held back until the next non-empty group
      (peek rule); ``Sn`` with n >= 2 closes the outer fiber: ``S(n-2)`` on
      ``crd_outer_out``, ``S(n-1)`` on the others (also when the outer fiber
      has no coordinates: its closing is kept). An empty group with ``S1``
      emits nothing.
    * without ``outer`` (vectors): every group emits its fiber and ``S(n-1)``.

    Ports
        In: ``crd_outer`` (only if ``outer``), ``crd_inner``
        (``token_stream(crd_width)``), ``val`` (``token_stream(val_width,
        signed_data=True)``). Out: ``crd_outer_out``, ``crd_inner_out``,
        ``val_out`` (catalogue outputs ``crd_outer``, ``crd_inner``, ``val``).
    Parameters
        ``dim``: inner dimension, 1..65536: inner coordinates must be below
        it (larger ones alias modulo the scratch depth);
        ``crd_width``, ``val_width``: 1..64 (defaults 16, 32);
        ``outer``: the node has the outer index ``in1`` (default True);
        ``word``: bits of the occupancy bitmap scanned per cycle, 1..64
        (default 16).
    Implementation
        A scratch memory of ``ceil(dim/word)*word`` values indexed by the
        inner coordinate and an occupancy bitmap in flip-flops. An input
        triple reads the scratch (transparent read port, so back-to-back
        updates of one coordinate see the previous sum) and the next cycle
        writes ``(occupied ? old : 0) + val`` and sets the occupancy bit.
        At the group's closing stop token the bitmap is scanned word by word
        with a priority encoder, clearing each bit it emits.
    Timing
        Accumulation: one input triple per cycle. Drain of a group: about
        ``nnz + ceil(dim/word) + 3`` cycles (one per output entry, one per
        bitmap word, a head cycle for the outer coordinate, a tail cycle for
        the closing stop tokens, one for the read latency); the inputs stall
        meanwhile. Outputs are registered; input ``ready`` depends on output
        ``ready`` only for ``D``.
    """

    def __init__(self, dim: int, crd_width: int = 16, val_width: int = 32,
                 outer: bool = True, word: int = 16):
        self.dim = check_int("dim", dim, 1, 1 << 16)
        self.crd_width = check_width("crd_width", crd_width)
        self.val_width = check_width("val_width", val_width)
        self.outer = check_bool("outer", outer)
        self.word = check_width("word", word)
        self.nwords = -(-dim // word)
        self.depth = self.nwords * word
        tc = token_stream(crd_width)
        tv = token_stream(val_width, signed_data=True)
        members = {}
        if outer:
            members["crd_outer"] = In(tc)
        members.update(crd_inner=In(tc), val=In(tv))
        if outer:
            members["crd_outer_out"] = Out(tc)
        members.update(crd_inner_out=Out(tc), val_out=Out(tv))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        W, word, nwords = self.val_width, self.word, self.nwords
        aw = max(1, ceil_log2(self.depth))
        m.submodules.mem = mem = memory.Memory(shape=unsigned(W), depth=self.depth, init=[])
        wp = mem.write_port()
        rp = mem.read_port(transparent_for=(wp,))
        m.d.comb += rp.en.eq(0)                # (its init is 1) read only when asked

        oi = OutReg(m, self.crd_inner_out, "crd_inner_out")
        ov = OutReg(m, self.val_out, "val_out")
        oo = OutReg(m, self.crd_outer_out, "crd_outer_out") if self.outer else None
        free_iv = Signal()
        free_all = Signal()
        m.d.comb += [free_iv.eq(oi.free & ov.free),
                     free_all.eq(free_iv & (oo.free if oo else 1))]

        bitmap = Signal(self.depth)
        nonempty = Signal()                    # the group has at least one entry
        gouter = Signal(self.crd_width)        # the group's outer coordinate
        pending = Signal()                     # an emitted fiber awaits its closing
        level = Signal(STOP_LEVEL_BITS)        # level of the group's closing stop

        # Read-modify-write stage (one cycle behind the input).
        s1_valid = Signal()
        s1_addr = Signal(aw)
        s1_val = Signal(W)
        m.d.sync += s1_valid.eq(0)
        with m.If(s1_valid):
            occ = bitmap.bit_select(s1_addr, 1)
            m.d.comb += [wp.en.eq(1), wp.addr.eq(s1_addr),
                         wp.data.eq(Mux(occ, rp.data, 0) + s1_val)]
            m.d.sync += bitmap.bit_select(s1_addr, 1).eq(1)

        ci, vi = self.crd_inner.payload, self.val.payload
        ins = [self.crd_inner, self.val] + ([self.crd_outer] if self.outer else [])
        all_valid = Signal()
        m.d.comb += all_valid.eq(ins[0].valid & ins[1].valid & (ins[2].valid if self.outer else 1))
        take = Signal()
        for p in ins:
            m.d.comb += p.ready.eq(take)

        # Scan state.
        widx = Signal(range(nwords))
        sv = Signal()                          # a read result waits in rp.data
        scrd = Signal(aw)
        cur = bitmap.word_select(widx, word)
        found = Signal()
        idx = Signal(range(word)) if word > 1 else Signal(1)
        for i in reversed(range(word)):
            with m.If(cur[i]):
                m.d.comb += idx.eq(i)
        m.d.comb += found.eq(cur.any())
        rest = Signal(word)
        m.d.comb += rest.eq(cur & ~(Const(1, word) << idx)[:word])

        with m.FSM():
            with m.State("ACC"):
                with m.If(all_valid):
                    with m.Switch(ci.kind):
                        with m.Case(Kind.DATA):
                            m.d.comb += [take.eq(1), rp.en.eq(1), rp.addr.eq(ci.data)]
                            m.d.sync += [s1_valid.eq(1), s1_addr.eq(ci.data), s1_val.eq(vi.data),
                                         nonempty.eq(1)]
                            if self.outer:
                                m.d.sync += gouter.eq(self.crd_outer.payload.data)
                        with m.Case(Kind.STOP):
                            m.d.comb += take.eq(1)
                            with m.If(ci.data != 0):
                                m.d.sync += level.eq(ci.data)
                                if self.outer:
                                    m.next = "HEAD"
                                else:
                                    m.next = "SCAN"
                        with m.Case(Kind.DONE):
                            with m.If(free_all):
                                m.d.comb += take.eq(1)
                                oi.load(kind=Kind.DONE)
                                ov.load(kind=Kind.DONE)
                                if oo:
                                    oo.load(kind=Kind.DONE)
                        with m.Default():                 # N: not a coordinate; skip
                            m.d.comb += take.eq(1)
            if self.outer:
                with m.State("HEAD"):
                    with m.If(~nonempty):
                        m.next = "TAIL"
                    with m.Elif(free_all):
                        oo.load(kind=Kind.DATA, data=gouter)
                        with m.If(pending):
                            oi.load(kind=Kind.STOP, data=0)
                            ov.load(kind=Kind.STOP, data=0)
                        m.next = "SCAN"
            with m.State("SCAN"):
                advance = ~sv | free_iv
                with m.If(advance):
                    with m.If(sv):
                        oi.load(kind=Kind.DATA, data=scrd)
                        ov.load(kind=Kind.DATA, data=rp.data)
                    m.d.sync += sv.eq(found)
                    with m.If(found):
                        addr = (widx * word + idx)[:aw] if nwords > 1 else idx
                        m.d.comb += [rp.en.eq(1), rp.addr.eq(addr)]
                        m.d.sync += [scrd.eq(addr), cur.eq(rest)]
                    with m.If(~found | (rest == 0)):
                        with m.If(widx == nwords - 1):
                            m.d.sync += widx.eq(0)
                            m.next = "TAIL"
                        with m.Else():
                            m.d.sync += widx.eq(widx + 1)
            with m.State("TAIL"):
                with m.If(sv):
                    with m.If(free_iv):
                        oi.load(kind=Kind.DATA, data=scrd)
                        ov.load(kind=Kind.DATA, data=rp.data)
                        m.d.sync += sv.eq(0)
                with m.Elif(free_all):
                    m.d.sync += nonempty.eq(0)
                    m.next = "ACC"
                    if self.outer:
                        with m.If(level >= 2):
                            oo.load(kind=Kind.STOP, data=level - 2)
                            oi.load(kind=Kind.STOP, data=level - 1)
                            ov.load(kind=Kind.STOP, data=level - 1)
                            m.d.sync += pending.eq(0)
                        with m.Elif(nonempty):
                            m.d.sync += pending.eq(1)
                    else:
                        oi.load(kind=Kind.STOP, data=level - 1)
                        ov.load(kind=Kind.STOP, data=level - 1)
        return m


def _factory(dim: int, order: int = 1, outer: bool = True, crd_width: int = 16,
             val_width: int = 32, word: int = 16):
    if order != 1:
        raise ValueError(f"order must be 1 (the RTL implements the order-1 sparse "
                         f"accumulator only), not {order!r}")
    return SpAccumulator1(dim, crd_width=crd_width, val_width=val_width, outer=outer, word=word)


register(RtlPrimitive("spaccumulator", _factory,
                      formal_params=({"dim": 4, "crd_width": 3, "val_width": 3, "word": 2},
                                     {"dim": 3, "crd_width": 2, "val_width": 3, "word": 4,
                                      "outer": False}),
                      doc=SpAccumulator1.__doc__))
