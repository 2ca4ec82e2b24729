"""Sparse accumulator ("spaccumulator"), orders 1 and 2."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, unsigned
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
        seen (the triple is dropped). Cleared by reset.
    Parameters
        ``dim``: inner dimension, 1..65536; inner coordinates must be below
        it (a triple with a larger one is dropped and raises ``error``).
        ``order``: 1 or 2. ``outer``: the node has the outer index ``in1``
        (default True; required for order 2).
        ``outer_dim``: order 2 only, outer dimension (outer coordinates below
        it), 1..65536. ``crd_width``, ``val_width``: 1..64 (defaults 16, 32).
        ``word``: bits per occupancy bitmap word (one summary bit each), 1..64
        (default 16). The scratch holds ``rows * ceil(dim/word) * word``
        values (rows = ``outer_dim`` for order 2, else 1), at most 2**20.
    Implementation
        A scratch memory indexed by ``row * ceil(dim/word) * word + inner``
        and occupancy in flip-flops at three levels: one bit per entry, one
        per ``word``-bit bitmap word (summary) and one per row. An input
        triple reads the scratch (read port transparent to the write port);
        the next cycle registers the read data (or, for back-to-back updates
        of one entry, the sum being written) and the entry's occupancy bit,
        and sets it; the cycle after writes
        ``(occupied ? old : 0) + val`` (no RAM output feeds the adder). The
        drain picks the lowest occupied row, then its lowest occupied word
        (clearing its summary bit), moves that word into a register
        (clearing it) and reads one entry per cycle from it with a priority
        encoder; the next word is picked and moved while the current one
        emits its entries, so untouched words and rows cost nothing. Each of
        these steps is a registered stage (Fmax).
    Timing
        Accumulation: one input triple per cycle. Drain of a non-empty
        group, independent of ``dim``: ``nnz + 1`` cycles for order 1 (with
        or without ``outer``); for order 2 at most ``nnz + 2`` plus two per
        row with entries (its header, and picking the row when its
        predecessor's last word held a single entry). Then the closing stop tokens take two
        cycles during which the next group's triples are already accepted;
        an empty group costs one cycle. The inputs stall during the drain.
        Outputs are registered; input ``ready`` depends on output ``ready``
        only for ``D`` and at the end of a drain.
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
        order, outer, rows, row_words = self.order, self.outer, self.rows, self.row_words
        aw = max(1, ceil_log2(self.depth))
        stride = row_words * word
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

        # Occupancy in three levels: one bit per scratch entry, per bitmap
        # word (summary) and per row; the drain visits only set bits.
        bitmap = Signal(self.depth)
        summ = Signal(nwords)
        row_occ = Signal(rows)
        gouter = Signal(self.crd_width)        # order 1: the group's outer coordinate
        pending = Signal()                     # order 1: an emitted fiber awaits its closing
        level = Signal(STOP_LEVEL_BITS)        # level of the group's closing stop

        # Read-modify-write pipeline: the input cycle reads the scratch (the
        # read port is transparent to the write port) and sets the summary
        # and row bits; stage A registers the read data, taking stage B's sum
        # instead when B updates the same entry, and the entry's occupancy
        # bit (then sets it); stage B writes ``(occupied ? old : 0) + val``.
        # No RAM output drives the adder.
        sa_valid = Signal()
        sa_addr = Signal(aw)
        sa_val = Signal(W)
        sb_valid = Signal()
        sb_addr = Signal(aw)
        sb_occ = Signal()
        sb_val = Signal(W)
        sb_old = Signal(W)
        sb_sum = Signal(W)
        m.d.comb += sb_sum.eq((sb_old & sb_occ.replicate(W)) + sb_val)
        m.d.sync += [sa_valid.eq(0),
                     sb_valid.eq(sa_valid), sb_addr.eq(sa_addr),
                     sb_occ.eq(bitmap.bit_select(sa_addr, 1)),
                     sb_val.eq(sa_val),
                     sb_old.eq(Mux(sb_valid & (sb_addr == sa_addr), sb_sum, rp.data))]
        m.d.comb += [wp.en.eq(sb_valid), wp.addr.eq(sb_addr), wp.data.eq(sb_sum)]
        with m.If(sa_valid):
            m.d.sync += bitmap.bit_select(sa_addr, 1).eq(1)

        ci, vi = self.crd_inner.payload, self.val.payload
        ins = [self.crd_inner, self.val] + ([self.crd_outer] if outer else [])
        all_valid = Signal()
        m.d.comb += all_valid.eq(ins[0].valid & ins[1].valid & (ins[2].valid if outer else 1))
        take = Signal()
        for p in ins:
            m.d.comb += p.ready.eq(take)
        addr_in = Signal(aw)
        widx_in = Signal(range(nwords))
        col_in = _div_const(ci.data, word)
        if order == 2:
            orow = self.crd_outer.payload.data
            m.d.comb += [addr_in.eq(orow * stride + ci.data),
                         widx_in.eq(orow * row_words + col_in)]
        else:
            m.d.comb += [addr_in.eq(ci.data), widx_in.eq(col_in)]

        # Drain: P picks the lowest occupied row; W1 picks the row's lowest
        # occupied word (clearing its summary bit, and the row bit with the
        # row's last word) into nx_*; W2 moves that word into wbits (clearing
        # it); E reads one entry per cycle. W2 refills wbits while E emits
        # its last bit.
        have_row = Signal()
        row = Signal(range(rows))
        nx_valid = Signal()
        nx_widx = Signal(range(nwords))
        nx_row = Signal(range(rows))
        nx_crd = Signal(range(stride))
        nx_addr = Signal(aw)
        wbits = Signal(word)
        wrow = Signal(range(rows))             # row of the word in wbits
        wcrd = Signal(range(stride))           # inner coordinate of its bit 0
        waddr = Signal(aw)                     # scratch address of its bit 0
        row_open = Signal()
        cur_row = Signal(range(rows))
        sv = Signal()                          # a read result waits in rp.data
        scrd = Signal(self.crd_width)

        row_idx, row_any = _lowest(m, row_occ, "row")
        rsumm = summ.word_select(row, row_words) if rows > 1 else summ
        col, col_any = _lowest(m, rsumm, "col")
        col_rest = Signal(row_words)
        m.d.comb += col_rest.eq(rsumm & ~(Const(1, row_words) << col)[:row_words])
        bit, bit_any = _lowest(m, wbits, "bit")
        bit_rest = Signal(word)
        m.d.comb += bit_rest.eq(wbits & ~(Const(1, word) << bit)[:word])
        need_hdr = Signal()
        if outer:
            # the row whose entries come next: wbits's, else nx_*'s, else the
            # one W1 picks from (so the header overlaps the fetch)
            hdr_row = Mux(bit_any, wrow, Mux(nx_valid, nx_row, row))
            m.d.comb += need_hdr.eq((bit_any | nx_valid | have_row)
                                    & (~row_open | (hdr_row != cur_row)))
        e_fire = Signal()
        m.d.comb += e_fire.eq(bit_any & ~need_hdr & (~sv | free_iv))

        w2_fire = Signal()
        m.d.comb += w2_fire.eq(nx_valid & (~bit_any | (e_fire & (bit_rest == 0))))

        def w1():
            widx = (row * row_words + col) if rows > 1 else col
            m.d.sync += [nx_valid.eq(1), nx_widx.eq(widx), nx_row.eq(row),
                         nx_crd.eq(col * word),
                         nx_addr.eq((row * stride if rows > 1 else 0) + col * word),
                         summ.bit_select(widx, 1).eq(0)]
            with m.If(col_rest == 0):
                m.d.sync += [have_row.eq(0), row_occ.bit_select(row, 1).eq(0)]

        def accept_data():
            # a triple of the group being accumulated
            m.d.comb += take.eq(1)
            bad = ci.data >= self.dim
            if order == 2:
                bad = bad | (self.crd_outer.payload.data >= self.outer_dim)
            with m.If(bad):            # it would alias another entry: dropped
                m.d.sync += self.error.eq(1)
            with m.Else():
                m.d.comb += [rp.en.eq(1), rp.addr.eq(addr_in)]
                m.d.sync += [sa_valid.eq(1), sa_addr.eq(addr_in),
                             sa_val.eq(vi.data),
                             summ.bit_select(widx_in, 1).eq(1)]
                if order == 2:
                    m.d.sync += row_occ.bit_select(self.crd_outer.payload.data, 1).eq(1)
                else:
                    m.d.sync += row_occ.eq(1)
                if outer:
                    m.d.sync += gouter.eq(self.crd_outer.payload.data)

        with m.FSM():
            with m.State("ACC"):
                with m.If(all_valid):
                    with m.Switch(ci.kind):
                        with m.Case(Kind.DATA):
                            accept_data()
                        with m.Case(Kind.STOP):
                            m.d.comb += take.eq(1)
                            with m.If(ci.data >= order):
                                m.d.sync += [level.eq(ci.data), row_open.eq(0),
                                             have_row.eq(row_any), row.eq(row_idx)]
                                with m.If(row_any):
                                    m.next = "SCAN"
                                    if rows == 1:      # the group's summary is complete
                                        w1()
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
                # P
                with m.If(~have_row & row_any):
                    m.d.sync += [have_row.eq(1), row.eq(row_idx)]
                # E
                if outer:
                    with m.If(need_hdr):
                        # A new output row: flush the last entry, then emit the
                        # row's outer coordinate (and S0 closing the previous fiber).
                        flush()
                        with m.Elif(free_all):
                            sep = pending if order == 1 else row_open
                            oo.load(kind=Kind.DATA, data=gouter if order == 1 else hdr_row)
                            with m.If(sep):
                                oi.load(kind=Kind.STOP, data=0)
                                ov.load(kind=Kind.STOP, data=0)
                            m.d.sync += [row_open.eq(1), cur_row.eq(hdr_row), pending.eq(0)]
                with (m.Elif if outer else m.If)(e_fire):
                    with m.If(sv):
                        oi.load(kind=Kind.DATA, data=scrd)
                        ov.load(kind=Kind.DATA, data=rp.data)
                    m.d.comb += [rp.en.eq(1), rp.addr.eq(waddr + bit)]
                    m.d.sync += [sv.eq(1), scrd.eq(wcrd + bit), wbits.eq(bit_rest)]
                # W2 (after E: its refill overrides E's wbits update)
                with m.If(w2_fire):
                    m.d.sync += [wbits.eq(bitmap.word_select(nx_widx, word)),
                                 bitmap.word_select(nx_widx, word).eq(0),
                                 wrow.eq(nx_row), wcrd.eq(nx_crd), waddr.eq(nx_addr),
                                 nx_valid.eq(0)]
                # W1 (after W2: it refills nx_*)
                with m.If(have_row & (~nx_valid | w2_fire)):
                    w1()
                with m.If(~have_row & ~row_any & ~nx_valid
                          & (~bit_any | (e_fire & (bit_rest == 0)))):
                    m.next = "TAIL"
            with m.State("TAIL"):
                # the next group's triples enter meanwhile (the drain is over;
                # rp.data is used this cycle only)
                with m.If(all_valid & (ci.kind == Kind.DATA) & (~sv | free_iv)):
                    accept_data()
                flush()
                with m.Elif(free_all):
                    m.next = "ACC"
                    if outer:
                        with m.If(level >= 2):
                            oo.load(kind=Kind.STOP, data=level - 2)
                            oi.load(kind=Kind.STOP, data=level - 1)
                            ov.load(kind=Kind.STOP, data=level - 1)
                            m.d.sync += pending.eq(0)
                        with m.Elif(row_open):
                            m.d.sync += pending.eq(1)
                    else:
                        oi.load(kind=Kind.STOP, data=level - 1)
                        ov.load(kind=Kind.STOP, data=level - 1)
        return m


def _div_const(value, divisor: int):
    """``value // divisor`` for a constant divisor (a slice for powers of two)."""
    if divisor & (divisor - 1) == 0:
        return value[ceil_log2(divisor):]
    return value // divisor


def _lowest(m: Module, bits, name: str):
    """Index of the lowest set bit of ``bits`` and whether any is set, as a
    balanced tree (logarithmic depth)."""
    n = len(bits)
    k = ceil_log2(n) if n > 1 else 0
    idx = Signal(max(1, k), name=f"{name}_idx")
    anyb = Signal(name=f"{name}_any")

    def tree(lo, size):
        # (index within the block, any) of bits[lo:lo+size], size a power of two
        if size == 1:
            return Const(0, 0), (bits[lo] if lo < n else Const(0, 1))
        half = size // 2
        li, la = tree(lo, half)
        if lo + half >= n:
            return Cat(li, Const(0, 1)), la
        hi, ha = tree(lo + half, half)
        return Cat(Mux(la, li, hi), ~la), la | ha

    i, a = tree(0, 1 << k)
    m.d.comb += [idx.eq(i), anyb.eq(a)]
    return idx, anyb


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
