"""Sparse accumulator ("spaccumulator"), orders 1 and 2."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import fifo, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from ..ram import RAM_TARGETS, Ram
from ..encoding import Kind, token_stream, check_width, STOP_LEVEL_BITS
from ..stream import check_bool, check_int
from . import RtlPrimitive, register

__all__ = ["SpAccumulator", "SpAccumulator1"]

#: tokens each output queue holds (covers the issue-to-pop loop at one per cycle)
QUEUE_DEPTH = 8


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
        ``ram_target``: implementation of the scratch RAM, ``"generic"``
        (simulation, any synthesis target) or ``"ecp5"`` (DP16KD with its
        output register; see :class:`rtl.ram.Ram`).
    Implementation
        A scratch RAM (:class:`rtl.ram.Ram`, read latency 2) indexed by
        ``row * ceil(dim/word) * word + inner``, and occupancy in
        flip-flops at three levels: one bit per entry, one per
        ``word``-bit bitmap word (summary) and one per row, plus one bit per
        word telling whether it holds more than one entry. Every action is an
        item of one pipeline that advances every cycle (issue, S1: RAM
        address register and bitmap word pick, S2: address compares, S3:
        RAM data and the old value, S4: sum written, tokens queued). An
        update reads the scratch in S1; S3 takes the value from the RAM, or
        from one of the three updates ahead when they hit the same entry
        (forwarding), or 0 when the entry is not occupied; S4 writes
        ``old + val``. The drain picks the lowest occupied row, then its
        lowest occupied word (clearing its summary bit), moves that word
        into a register (clearing it) and issues one entry per cycle as a
        RAM read item. Outputs leave through small queues
        (``QUEUE_DEPTH``); an item that emits is issued only when its
        queues have a credit, so no output ``ready`` reaches the RAM or the
        drain logic, and every output is a queue register.
    Timing
        Accumulation: one input triple per cycle. Drain of a non-empty
        group, independent of ``dim``: about ``nnz + 2`` cycles for order 1
        (one more when the group's last triple directly precedes its
        stop); for order 2 at most ``nnz + 3`` plus two per row with
        entries. The closing stop tokens take one cycle during which the
        next group's first triple is already accepted; an empty group costs
        one cycle. The inputs stall during the drain. Outputs come from
        registers; no input ``ready`` depends on an output ``ready``
        (credits). The outputs lag the inputs by about 5 cycles.
    """

    def __init__(self, dim: int, crd_width: int = 16, val_width: int = 32,
                 outer: bool = True, word: int = 16, order: int = 1,
                 outer_dim: int | None = None, ram_target: str = "generic"):
        if ram_target not in RAM_TARGETS:
            raise ValueError(f"ram_target must be one of {', '.join(RAM_TARGETS)}, "
                             f"not {ram_target!r}")
        self.ram_target = ram_target
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
        cw = self.crd_width
        aw = max(1, ceil_log2(self.depth))
        stride = row_words * word
        ram_kw = {} if self.ram_target == "generic" else {"target": self.ram_target}
        m.submodules.mem = mem = Ram(shape=unsigned(W), depth=self.depth, **ram_kw)
        wp = mem.write_port()
        rp = mem.read_port(latency=2)

        # Output queues with credits: an item that emits on an output is
        # issued only when its queue has room for it and for every item in
        # flight, so the pipeline never stalls and no output ``ready`` reaches
        # the RAM or the drain logic.
        qi = _OutQueue(m, self.crd_inner_out, "crd_inner_out")
        qv = _OutQueue(m, self.val_out, "val_out")
        qo = _OutQueue(m, self.crd_outer_out, "crd_outer_out") if outer else None
        ok_iv = Signal()
        ok_all = Signal()
        m.d.comb += [ok_iv.eq(qi.ok & qv.ok), ok_all.eq(ok_iv & (qo.ok if qo else 1))]

        # Occupancy in three levels: one bit per scratch entry, per bitmap
        # word (summary) and per row; the drain visits only set bits.
        bitmap = Signal(self.depth)
        summ = Signal(nwords)
        row_occ = Signal(rows)
        gouter = Signal(cw)                    # order 1: the group's outer coordinate
        pending = Signal()                     # order 1: an emitted fiber awaits its closing
        level = Signal(STOP_LEVEL_BITS)        # level of the group's closing stop

        # One pipeline S0 (issue) > S1 > S2 > S3 > S4, advancing every cycle.
        # An item is an update of the scratch (``acc``: read at the end of S1,
        # old value in S3, sum written in S4), a drain read (``ent``: its value
        # is queued in S4) and/or tokens to queue in S4 (headers, closing
        # stops, D), so everything leaves in issue order. S0 is the issue
        # logic; the RAM address is a register (S1).
        def item(n):
            return dict(acc=Signal(name=f"s{n}_acc"), ent=Signal(name=f"s{n}_ent"),
                        addr=Signal(aw, name=f"s{n}_addr"), val=Signal(W, name=f"s{n}_val"),
                        o_en=Signal(name=f"s{n}_o_en"), o_kind=Signal(Kind, name=f"s{n}_o_kind"),
                        o_data=Signal(cw, name=f"s{n}_o_data"),
                        iv_en=Signal(name=f"s{n}_iv_en"),
                        iv_kind=Signal(Kind, name=f"s{n}_iv_kind"),
                        i_data=Signal(cw, name=f"s{n}_i_data"))
        st = [item(n) for n in range(5)]
        s0, s1, s2, s3, s4 = st
        for prev, cur in zip(st, st[1:]):
            m.d.sync += [cur[k].eq(prev[k]) for k in prev]
        m.d.comb += [rp.en.eq(1), rp.addr.eq(s1["addr"])]
        m.d.comb += [qi.reserve.eq(s0["iv_en"]), qv.reserve.eq(s0["iv_en"])]
        if qo:
            m.d.comb += qo.reserve.eq(s0["o_en"])

        # Forwarding: the RAM value read at the end of S1 misses the sums
        # written at and after that edge, i.e. by the three items ahead (in
        # S4 now, and the last two written, kept in w5/w6). S2 compares
        # addresses, so S3's select inputs are registers. An entry not
        # occupied reads as 0: S1 picks its bitmap word, S2 its bit. A hit is
        # always occupied: an update of a drained group is at least four
        # items ahead of the next group's first update (its stop, a drain
        # read, the closing stops).
        w5_v, w5_addr, w5_sum = Signal(), Signal(aw), Signal(W)
        w6_v, w6_addr, w6_sum = Signal(), Signal(aw), Signal(W)
        sum4 = Signal(W)
        old4 = Signal(W)
        m.d.comb += sum4.eq(old4 + s4["val"])
        m.d.comb += [wp.en.eq(s4["acc"]), wp.addr.eq(s4["addr"]), wp.data.eq(sum4)]
        m.d.sync += [w5_v.eq(s4["acc"]), w5_addr.eq(s4["addr"]), w5_sum.eq(sum4),
                     w6_v.eq(w5_v), w6_addr.eq(w5_addr), w6_sum.eq(w5_sum)]
        occ_word = Signal(word)
        occ_bit = Signal(range(word))
        m.d.sync += [occ_word.eq(bitmap.word_select(_div_const(s1["addr"], word), word)),
                     occ_bit.eq(s1["addr"] % word if word & (word - 1) else
                                s1["addr"][:ceil_log2(word)] if word > 1 else 0)]
        occ3 = Signal()
        m.d.sync += occ3.eq(s2["ent"] | occ_word.bit_select(occ_bit, 1))
        # multi: a bitmap word holds more than one bit (set in S2 from the
        # word S1 read, which already has every earlier update's bit), so the
        # drain knows a word's last bit without counting
        multi = Signal(nwords)
        occ_widx = Signal(range(nwords))
        m.d.sync += occ_widx.eq(_div_const(s1["addr"], word))
        with m.If(s2["acc"] & (occ_word & ~_onehot(occ_bit, word)).any()):
            m.d.sync += multi.bit_select(occ_widx, 1).eq(1)
        f_s4, f_w5, f_w6, f_ram = Signal(), Signal(), Signal(), Signal()  # S3's value source
        h1 = s3["acc"] & (s3["addr"] == s2["addr"])
        h2 = s4["acc"] & (s4["addr"] == s2["addr"])
        h3 = w5_v & (w5_addr == s2["addr"])
        m.d.sync += [f_s4.eq(h1), f_w5.eq(~h1 & h2), f_w6.eq(~h1 & ~h2 & h3),
                     f_ram.eq(~h1 & ~h2 & ~h3)]
        other = Signal(W)
        m.d.comb += other.eq((w5_sum & f_w5.replicate(W)) | (w6_sum & f_w6.replicate(W))
                             | (rp.data & (f_ram & occ3).replicate(W)))
        m.d.sync += old4.eq(Mux(f_s4, sum4, other))
        with m.If(s1["acc"]):
            m.d.sync += bitmap.bit_select(s1["addr"], 1).eq(1)

        # S4: queue the item's tokens
        m.d.comb += [qi.push.eq(s4["iv_en"]), qi.kind.eq(s4["iv_kind"]),
                     qi.data.eq(s4["i_data"]),
                     qv.push.eq(s4["iv_en"]), qv.kind.eq(s4["iv_kind"]),
                     qv.data.eq(Mux(s4["ent"], old4, s4["i_data"]))]
        if qo:
            m.d.comb += [qo.push.eq(s4["o_en"]), qo.kind.eq(s4["o_kind"]),
                         qo.data.eq(s4["o_data"])]

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
        # row's last word) into nx_*; W2 copies that word into nb_* once no
        # update is in S1 (the last one sets its bit there), and clears it in
        # the bitmap the cycle after; nb_* moves to wbits when wbits is empty
        # or issues its last bit; E issues one entry per cycle. ``*_one``
        # (the word has a single bit) is kept in a register so that no
        # find-first-set feeds the refill decisions.
        have_row = Signal()
        row = Signal(range(max(rows, 2)))
        nx_valid = Signal()
        nx_widx = Signal(range(nwords))
        nx_row = Signal(range(max(rows, 2)))
        nx_crd = Signal(range(stride))
        nx_addr = Signal(aw)
        nb_valid = Signal()
        nb_bits = Signal(word)
        nb_one = Signal()                      # nb_bits has a single bit
        nb_row = Signal(range(max(rows, 2)))
        nb_crd = Signal(range(stride))
        nb_addr = Signal(aw)
        clr_valid = Signal()
        clr_widx = Signal(range(nwords))
        wbits = Signal(word)
        w_valid = Signal()                     # wbits is not empty
        w_one = Signal()                       # wbits has a single bit
        wrow = Signal(range(max(rows, 2)))             # row of the word in wbits
        wcrd = Signal(range(stride))           # inner coordinate of its bit 0
        waddr = Signal(aw)                     # scratch address of its bit 0
        row_open = Signal()
        cur_row = Signal(range(max(rows, 2)))

        row_idx, row_any = _lowest(m, row_occ, "row")
        rsumm = summ.word_select(row, row_words) if rows > 1 else summ
        col, col_any = _lowest(m, rsumm, "col")
        col_rest = Signal(row_words)
        m.d.comb += col_rest.eq(rsumm & (rsumm - 1))          # lowest set bit cleared
        bit, _ = _lowest(m, wbits, "bit")
        bit_rest = Signal(word)
        m.d.comb += bit_rest.eq(wbits & (wbits - 1))
        need_hdr = Signal()
        hdr_row = Signal(range(max(rows, 2)))
        if outer and rows == 1:
            m.d.comb += need_hdr.eq(~row_open)        # in SCAN the group has entries
        elif outer:
            # the row whose entries come next: wbits's, else nb_*'s, else
            # nx_*'s, else the one W1 picks from (the header overlaps the fetch)
            m.d.comb += hdr_row.eq(Mux(w_valid, wrow, Mux(nb_valid, nb_row,
                                                          Mux(nx_valid, nx_row, row))))
            m.d.comb += need_hdr.eq((w_valid | nb_valid | nx_valid | have_row)
                                    & (~row_open | (hdr_row != cur_row)))
        e_fire = Signal()
        m.d.comb += e_fire.eq(ok_iv & w_valid & ~need_hdr)
        w_done = Signal()                      # wbits is empty after this cycle
        m.d.comb += w_done.eq(~w_valid | (e_fire & w_one))
        nb_take = Signal()
        m.d.comb += nb_take.eq(nb_valid & w_done)
        w2_fire = Signal()
        m.d.comb += w2_fire.eq(nx_valid & ~s1["acc"] & ~s2["acc"] & (~nb_valid | nb_take))
        m.d.sync += clr_valid.eq(w2_fire)
        with m.If(w2_fire):
            m.d.sync += clr_widx.eq(nx_widx)
        with m.If(clr_valid):
            m.d.sync += [bitmap.word_select(clr_widx, word).eq(0),
                         multi.bit_select(clr_widx, 1).eq(0)]

        def w1():
            widx = (row * row_words + col) if rows > 1 else col
            m.d.sync += [nx_valid.eq(1), nx_widx.eq(widx), nx_row.eq(row),
                         nx_crd.eq(col * word),
                         nx_addr.eq((row * stride if rows > 1 else 0) + col * word)]
            if rows > 1:
                m.d.sync += summ.word_select(row, row_words).eq(col_rest)
            else:
                m.d.sync += summ.eq(col_rest)
            with m.If(_at_most(rsumm, 1)):
                m.d.sync += [have_row.eq(0), row_occ.bit_select(row, 1).eq(0)]

        def accept_data():
            # a triple of the group being accumulated
            m.d.comb += take.eq(1)
            bad = _at_least(ci.data, self.dim)
            if order == 2:
                bad = bad | _at_least(self.crd_outer.payload.data, self.outer_dim)
            with m.If(bad):            # it would alias another entry: dropped
                m.d.sync += self.error.eq(1)
            with m.Else():
                m.d.comb += [s0["acc"].eq(1), s0["addr"].eq(addr_in), s0["val"].eq(vi.data)]
                m.d.sync += summ.bit_select(widx_in, 1).eq(1)
                if order == 2:
                    m.d.sync += row_occ.bit_select(self.crd_outer.payload.data, 1).eq(1)
                else:
                    m.d.sync += row_occ.eq(1)
                if outer:
                    m.d.sync += gouter.eq(self.crd_outer.payload.data)

        def emit_iv(kind, data):
            m.d.comb += [s0["iv_en"].eq(1), s0["iv_kind"].eq(kind), s0["i_data"].eq(data)]

        def emit_o(kind, data):
            m.d.comb += [s0["o_en"].eq(1), s0["o_kind"].eq(kind), s0["o_data"].eq(data)]

        with m.FSM():
            with m.State("ACC"):
                with m.If(all_valid & ((ci.kind != Kind.DONE) | ok_all)):
                    m.d.comb += take.eq(1)
                    with m.Switch(ci.kind):
                        with m.Case(Kind.DATA):
                            accept_data()
                        with m.Case(Kind.STOP):
                            with m.If(_at_least(ci.data, order)):
                                m.d.sync += [level.eq(ci.data), row_open.eq(0),
                                             have_row.eq(row_any), row.eq(row_idx)]
                                with m.If(row_any):
                                    m.next = "SCAN"
                                    if rows == 1:      # the group's summary is complete
                                        w1()
                                with m.Else():
                                    m.next = "TAIL"
                        with m.Case(Kind.DONE):
                            emit_iv(Kind.DONE, 0)
                            if qo:
                                emit_o(Kind.DONE, 0)
                        # N: not a coordinate; skipped

            with m.State("SCAN"):
                # P
                with m.If(~have_row & row_any):
                    m.d.sync += [have_row.eq(1), row.eq(row_idx)]
                # E
                if outer:
                    with m.If(need_hdr & ok_all):
                        # a new output row: its outer coordinate (and S0
                        # closing the previous fiber)
                        sep = pending if order == 1 else row_open
                        emit_o(Kind.DATA, gouter if order == 1 else hdr_row)
                        with m.If(sep):
                            emit_iv(Kind.STOP, 0)
                        m.d.sync += [row_open.eq(1), cur_row.eq(hdr_row), pending.eq(0)]
                with m.If(e_fire):
                    off = Signal(range(stride))
                    m.d.comb += off.eq(_add_aligned(wcrd, bit, word))
                    m.d.comb += [s0["ent"].eq(1), s0["addr"].eq(_add_aligned(waddr, bit, word))]
                    emit_iv(Kind.DATA, off)
                    m.d.sync += [wbits.eq(bit_rest), w_valid.eq(~_at_most(wbits, 1)),
                                 w_one.eq(_at_most(wbits, 2) & ~_at_most(wbits, 1))]
                # refill wbits (after E: overrides its update)
                with m.If(nb_take):
                    m.d.sync += [wbits.eq(nb_bits), w_valid.eq(1), w_one.eq(nb_one),
                                 wrow.eq(nb_row),
                                 wcrd.eq(nb_crd), waddr.eq(nb_addr), nb_valid.eq(0)]
                # W2 (after the refill: it refills nb_*)
                with m.If(w2_fire):
                    wsel = Signal(word)
                    wsel_one = Signal()
                    m.d.comb += [wsel.eq(bitmap.word_select(nx_widx, word)),
                                 wsel_one.eq(~multi.bit_select(nx_widx, 1))]
                    m.d.sync += nx_valid.eq(0)
                    with m.If(~nb_valid & w_done):       # straight into wbits
                        m.d.sync += [wbits.eq(wsel), w_valid.eq(1), w_one.eq(wsel_one),
                                     wrow.eq(nx_row),
                                     wcrd.eq(nx_crd), waddr.eq(nx_addr)]
                    with m.Else():
                        m.d.sync += [nb_valid.eq(1), nb_bits.eq(wsel), nb_one.eq(wsel_one),
                                     nb_row.eq(nx_row), nb_crd.eq(nx_crd), nb_addr.eq(nx_addr)]
                # W1 (after W2: it refills nx_*)
                with m.If(have_row & (~nx_valid | w2_fire)):
                    w1()
                with m.If(~have_row & ~row_any & ~nx_valid & ~nb_valid & w_done):
                    m.next = "TAIL"
            with m.State("TAIL"):
                # the closing stops, with the next group's first triple
                with m.If(ok_all):
                    with m.If(all_valid & (ci.kind == Kind.DATA)):
                        accept_data()
                    m.next = "ACC"
                    if outer:
                        with m.If(_at_least(level, 2)):
                            emit_o(Kind.STOP, level - 2)
                            emit_iv(Kind.STOP, level - 1)
                            m.d.sync += pending.eq(0)
                        with m.Elif(row_open):
                            m.d.sync += pending.eq(1)
                    else:
                        emit_iv(Kind.STOP, level - 1)
        return m


class _OutQueue:
    """A :class:`SyncFIFOBuffered` of ``depth`` tokens driving the output
    stream ``port``, with credits: ``ok`` (a register) is high when the
    queue has room for one more token beyond those queued and reserved;
    ``reserve`` takes a credit (an item that will ``push`` later is issued),
    ``push`` with ``kind``/``data`` queues a token."""

    def __init__(self, m: Module, port, name: str, depth: int = QUEUE_DEPTH):
        layout = port.payload.shape()
        m.submodules[f"{name}_q"] = q = fifo.SyncFIFOBuffered(width=layout.size, depth=depth)
        self.reserve = Signal(name=f"{name}_reserve")
        self.push = Signal(name=f"{name}_push")
        self.kind = Signal(Kind, name=f"{name}_kind")
        self.data = Signal(layout["data"].shape, name=f"{name}_data")
        self.ok = Signal(name=f"{name}_ok", init=1)
        word = Signal(layout, name=f"{name}_word")
        m.d.comb += [word.kind.eq(self.kind), word.data.eq(self.data),
                     q.w_data.eq(word), q.w_en.eq(self.push),
                     port.payload.eq(q.r_data), port.valid.eq(q.r_rdy), q.r_en.eq(port.ready)]
        count = Signal(range(depth + 1), name=f"{name}_credits_used")
        pop = q.r_rdy & port.ready
        up, down = self.reserve & ~pop, ~self.reserve & pop
        with m.If(up):
            m.d.sync += count.eq(count + 1)
        with m.Elif(down):
            m.d.sync += count.eq(count - 1)
        # ok after this cycle, without the adder in the reserve path
        m.d.sync += self.ok.eq(Mux(up, count < depth - 1, down | (count < depth)))


def _at_least(value, bound: int):
    """``value >= bound`` for a constant ``bound`` (an OR of the high bits,
    no carry chain, for powers of two)."""
    if bound & (bound - 1) == 0:
        k = ceil_log2(bound)
        return value[k:].any() if k < len(value) else Const(0, 1)
    return value >= bound


def _onehot(index, n: int):
    """``1 << index`` as ``n`` bits."""
    return (Const(1, n) << index)[:n]


def _div_const(value, divisor: int):
    """``value // divisor`` for a constant divisor (a slice for powers of two)."""
    if divisor & (divisor - 1) == 0:
        return value[ceil_log2(divisor):]
    return value // divisor


def _add_aligned(base, offset, word: int):
    """``base + offset`` where ``base`` is a multiple of ``word`` and
    ``offset < word`` (an OR, no carry chain, for powers of two)."""
    if word & (word - 1) == 0:
        return base | offset
    return base + offset


def _at_most(bits, k: int):
    """Whether ``bits`` has at most ``k`` (1 or 2) bits set: a balanced tree
    of thermometer counts (>= 1, >= 2, >= 3), no carry chain."""
    def count(lo, n):
        if n == 1:
            return bits[lo], Const(0, 1), Const(0, 1)
        (a1, a2, a3), (b1, b2, b3) = count(lo, n // 2), count(lo + n // 2, n - n // 2)
        return a1 | b1, a2 | b2 | (a1 & b1), a3 | b3 | (a2 & b1) | (a1 & b2)
    return ~count(0, len(bits))[k]


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
             val_width: int = 32, word: int = 16, outer_dim: int | None = None,
             ram_target: str = "generic"):
    return SpAccumulator(dim, crd_width=crd_width, val_width=val_width, outer=outer, word=word,
                         order=order, outer_dim=outer_dim, ram_target=ram_target)


register(RtlPrimitive("spaccumulator", _factory,
                      formal_params=({"dim": 4, "crd_width": 3, "val_width": 3, "word": 2},
                                     {"dim": 3, "crd_width": 2, "val_width": 3, "word": 4,
                                      "outer": False},
                                     {"dim": 3, "order": 2, "outer_dim": 2, "crd_width": 2,
                                      "val_width": 3, "word": 2}),
                      doc=SpAccumulator.__doc__))
