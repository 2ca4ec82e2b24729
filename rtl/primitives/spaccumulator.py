"""Sparse accumulator ("spaccumulator"), orders 1 and 2."""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal, unsigned
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from ..encoding import Kind, token_stream, check_width, STOP_LEVEL_BITS
from ..stream import OutReg, check_bool, check_int
from . import RtlPrimitive, register

__all__ = ["SpAccumulator", "SpAccumulator1"]


class SpAccumulator(wiring.Component):
    """Sparse accumulator of order 1 or 2 on stop-token streams.

    The inputs ``crd_outer`` (if ``outer``), ``crd_inner`` and ``val`` have
    the structure of the innermost loop level: for matmul ikj (order 1) the
    nest is i > k > j, ``crd_outer`` is i held per j coordinate (crdhold),
    ``crd_inner`` j, ``val`` the products; for kij (order 2) the nest is
    k > i > j. A stop token ``Sn`` with n >= ``order`` ends a *group* (the
    reduced loop); smaller ones are consumed. Each group's sums leave after
    its closing stop token, sorted, explicit zeros kept; the outputs have one
    nesting level fewer (golden model ``sim/primitives/spaccumulator.py``):

    * order 1 with ``outer``: a non-empty group emits its outer coordinate
      on ``crd_outer_out`` and its inner fiber on ``crd_inner_out``/
      ``val_out``; the fiber's ``S0`` closing is held back until the next
      non-empty group (peek rule); ``Sn`` with n >= 2 closes the outer fiber:
      ``S(n-2)`` on ``crd_outer_out``, ``S(n-1)`` on the others (also when it
      has no coordinates: its closing is kept). An empty group with ``S1``
      emits nothing.
    * order 1 without ``outer`` (vectors): every group emits its fiber and
      ``S(n-1)``.
    * order 2: a group emits one outer coordinate per row that has entries
      (ascending, ``S0`` between the rows' inner fibers), then ``S(n-2)`` /
      ``S(n-1)``.

    Ports
        In: ``crd_outer`` (only if ``outer``), ``crd_inner``
        (``token_stream(crd_width)``), ``val`` (``token_stream(val_width,
        signed_data=True)``). Out: ``crd_outer_out`` (only if ``outer``),
        ``crd_inner_out``, ``val_out`` (catalogue outputs ``crd_outer``,
        ``crd_inner``, ``val``). Status ``error: Out(1)``: sticky; an inner
        coordinate ``>= dim`` (order 2: or an outer one ``>= outer_dim``) was
        accumulated (it aliases another entry). Cleared by reset.
    Parameters
        ``dim``: inner dimension, 1..65536; inner coordinates must be below
        it (larger ones alias and raise ``error``). ``order``: 1 or 2. ``outer``: the node has the
        outer index ``in1`` (default True; required for order 2).
        ``outer_dim``: order 2 only, outer dimension (outer coordinates below
        it), 1..65536. ``crd_width``, ``val_width``: 1..64 (defaults 16, 32).
        ``word``: bits of the occupancy bitmap scanned per cycle, 1..64
        (default 16). The scratch holds ``rows * ceil(dim/word) * word``
        values (rows = ``outer_dim`` for order 2, else 1), at most 2**20.
    Implementation
        A scratch memory indexed by ``row * ceil(dim/word) * word + inner``
        and an occupancy bitmap in flip-flops. An input triple reads the
        scratch (read port transparent to the write port, so back-to-back
        updates of one coordinate see the previous sum); the next cycle
        writes ``(occupied ? old : 0) + val`` and sets the occupancy bit. At
        the group's closing stop token the bitmap is scanned word by word
        with a priority encoder, each emitted bit cleared.
    Timing
        Accumulation: one input triple per cycle. Drain of a non-empty group:
        ``nnz + rows * ceil(dim/word) + rows_with_entries + 2`` cycles or
        fewer (one per entry, one per bitmap word, one header per outer
        coordinate, one for the read latency, one for the closing stop
        tokens); an empty group costs one cycle. The inputs stall during a
        drain. Outputs are registered; input ``ready`` depends on output
        ``ready`` only for ``D``.
    """

    def __init__(self, dim: int, crd_width: int = 16, val_width: int = 32,
                 outer: bool = True, word: int = 16, order: int = 1,
                 outer_dim: int | None = None):
        self.dim = check_int("dim", dim, 1, 1 << 16)
        self.crd_width = check_width("crd_width", crd_width)
        self.val_width = check_width("val_width", val_width)
        self.outer = check_bool("outer", outer)
        self.word = check_width("word", word)
        self.order = check_int("order", order, 1, 2)
        if order == 2:
            if not outer:
                raise ValueError("outer must be True for order 2 (the order-2 accumulator "
                                 "keeps the outer index in1)")
            self.outer_dim = check_int("outer_dim", outer_dim, 1, 1 << 16)
        elif outer_dim is not None:
            raise ValueError(f"outer_dim is for order 2 only; leave it out for order 1, "
                             f"not {outer_dim!r}")
        else:
            self.outer_dim = None
        self.rows = self.outer_dim if order == 2 else 1
        self.row_words = -(-dim // word)
        self.nwords = self.rows * self.row_words
        self.depth = self.nwords * word
        if self.depth > 1 << 20:
            raise ValueError(f"the scratch would hold {self.depth} values (rows * "
                             f"ceil(dim/word) * word); at most {1 << 20}: lower dim/outer_dim")
        tc = token_stream(crd_width)
        tv = token_stream(val_width, signed_data=True)
        members = {}
        if outer:
            members["crd_outer"] = In(tc)
        members.update(crd_inner=In(tc), val=In(tv))
        if outer:
            members["crd_outer_out"] = Out(tc)
        members.update(crd_inner_out=Out(tc), val_out=Out(tv), error=Out(1))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        W, word, nwords = self.val_width, self.word, self.nwords
        order, outer = self.order, self.outer
        aw = max(1, ceil_log2(self.depth))
        stride = self.row_words * word
        m.submodules.mem = mem = memory.Memory(shape=unsigned(W), depth=self.depth, init=[])
        wp = mem.write_port()
        rp = mem.read_port(transparent_for=(wp,))
        m.d.comb += rp.en.eq(0)                # (its init is 1) read only when asked

        oi = OutReg(m, self.crd_inner_out, "crd_inner_out")
        ov = OutReg(m, self.val_out, "val_out")
        oo = OutReg(m, self.crd_outer_out, "crd_outer_out") if outer else None
        free_iv = Signal()
        free_all = Signal()
        m.d.comb += [free_iv.eq(oi.free & ov.free),
                     free_all.eq(free_iv & (oo.free if oo else 1))]

        bitmap = Signal(self.depth)
        nonempty = Signal()                    # the group has at least one entry
        gouter = Signal(self.crd_width)        # order 1: the group's outer coordinate
        pending = Signal()                     # order 1: an emitted fiber awaits its closing
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
        ins = [self.crd_inner, self.val] + ([self.crd_outer] if outer else [])
        all_valid = Signal()
        m.d.comb += all_valid.eq(ins[0].valid & ins[1].valid & (ins[2].valid if outer else 1))
        take = Signal()
        for p in ins:
            m.d.comb += p.ready.eq(take)
        addr_in = Signal(aw)
        if order == 2:
            m.d.comb += addr_in.eq(self.crd_outer.payload.data * stride + ci.data)
        else:
            m.d.comb += addr_in.eq(ci.data)

        # Scan state: word index, its row and column, the open output row.
        widx = Signal(range(nwords))
        wcol = Signal(range(self.row_words))
        row = Signal(range(self.rows))
        row_open = Signal()
        cur_row = Signal(range(self.rows))
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
        need_hdr = Signal()
        if outer:
            m.d.comb += need_hdr.eq(found & (~row_open | (row != cur_row)))

        with m.FSM():
            with m.State("ACC"):
                with m.If(all_valid):
                    with m.Switch(ci.kind):
                        with m.Case(Kind.DATA):
                            m.d.comb += [take.eq(1), rp.en.eq(1), rp.addr.eq(addr_in)]
                            m.d.sync += [s1_valid.eq(1), s1_addr.eq(addr_in), s1_val.eq(vi.data),
                                         nonempty.eq(1)]
                            if outer:
                                m.d.sync += gouter.eq(self.crd_outer.payload.data)
                            bad = ci.data >= self.dim
                            if order == 2:
                                bad = bad | (self.crd_outer.payload.data >= self.outer_dim)
                            with m.If(bad):            # the address aliases another entry
                                m.d.sync += self.error.eq(1)
                        with m.Case(Kind.STOP):
                            m.d.comb += take.eq(1)
                            with m.If(ci.data >= order):
                                m.d.sync += [level.eq(ci.data), widx.eq(0), wcol.eq(0),
                                             row.eq(0), row_open.eq(0)]
                                with m.If(nonempty):
                                    m.next = "SCAN"
                                with m.Else():
                                    m.next = "TAIL"
                        with m.Case(Kind.DONE):
                            with m.If(free_all):
                                m.d.comb += take.eq(1)
                                oi.load(kind=Kind.DONE)
                                ov.load(kind=Kind.DONE)
                                if oo:
                                    oo.load(kind=Kind.DONE)
                        with m.Default():                 # N: not a coordinate; skip
                            m.d.comb += take.eq(1)
            def flush():
                # emit the entry whose value is on the read port; a caller's
                # m.Elif right after acts once nothing is pending
                with m.If(sv):
                    with m.If(free_iv):
                        oi.load(kind=Kind.DATA, data=scrd)
                        ov.load(kind=Kind.DATA, data=rp.data)
                        m.d.sync += sv.eq(0)

            with m.State("SCAN"):
                def header():
                    # A new output row: flush the last entry, then emit the
                    # row's outer coordinate (and S0 closing the previous fiber).
                    flush()
                    with m.Elif(free_all):
                        sep = pending if order == 1 else row_open
                        oo.load(kind=Kind.DATA, data=gouter if order == 1 else row)
                        with m.If(sep):
                            oi.load(kind=Kind.STOP, data=0)
                            ov.load(kind=Kind.STOP, data=0)
                        m.d.sync += [row_open.eq(1), cur_row.eq(row), pending.eq(0)]

                def step():
                    with m.If(sv):
                        oi.load(kind=Kind.DATA, data=scrd)
                        ov.load(kind=Kind.DATA, data=rp.data)
                    m.d.sync += sv.eq(found)
                    with m.If(found):
                        addr = (widx * word + idx)[:aw] if nwords > 1 else idx
                        m.d.comb += [rp.en.eq(1), rp.addr.eq(addr)]
                        m.d.sync += [scrd.eq(addr - row * stride), cur.eq(rest)]
                    with m.If(~found | (rest == 0)):
                        with m.If(widx == nwords - 1):
                            m.next = "TAIL"
                        with m.Else():
                            m.d.sync += widx.eq(widx + 1)
                            with m.If(wcol == self.row_words - 1):
                                m.d.sync += [wcol.eq(0), row.eq(row + 1)]
                            with m.Else():
                                m.d.sync += wcol.eq(wcol + 1)

                if outer:
                    with m.If(need_hdr):
                        header()
                    with m.Elif(~sv | free_iv):
                        step()
                else:
                    with m.If(~sv | free_iv):
                        step()
            with m.State("TAIL"):
                flush()
                with m.Elif(free_all):
                    m.d.sync += nonempty.eq(0)
                    m.next = "ACC"
                    if outer:
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


def SpAccumulator1(dim: int, crd_width: int = 16, val_width: int = 32, outer: bool = True,
                   word: int = 16) -> SpAccumulator:
    """The order-1 :class:`SpAccumulator`."""
    return SpAccumulator(dim, crd_width, val_width, outer=outer, word=word, order=1)


def _factory(dim: int, order: int = 1, outer: bool = True, crd_width: int = 16,
             val_width: int = 32, word: int = 16, outer_dim: int | None = None):
    return SpAccumulator(dim, crd_width=crd_width, val_width=val_width, outer=outer, word=word,
                         order=order, outer_dim=outer_dim)


register(RtlPrimitive("spaccumulator", _factory,
                      formal_params=({"dim": 4, "crd_width": 3, "val_width": 3, "word": 2},
                                     {"dim": 3, "crd_width": 2, "val_width": 3, "word": 4,
                                      "outer": False},
                                     {"dim": 3, "order": 2, "outer_dim": 2, "crd_width": 2,
                                      "val_width": 3, "word": 2}),
                      doc=SpAccumulator.__doc__))
