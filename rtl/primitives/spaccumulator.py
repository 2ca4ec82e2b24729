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
QUEUE_DEPTH = 16


def _queue2_update(m, q0: dict, q1: dict, *, full, nonempty, pop, push, src: dict):
    """Register updates of a two-entry queue of signal records (``q0`` the
    head): ``pop`` shifts ``q1`` into ``q0``; ``push`` writes ``src`` into the
    first free entry, after the shift. The caller keeps the count (``full``:
    two entries, ``nonempty``: at least one) and never pushes into a full
    queue that does not pop."""
    def load(dst, from_):
        m.d.sync += [dst[k].eq(from_[k]) for k in dst]
    with m.If(pop):
        with m.If(full):
            load(q0, q1)
            with m.If(push):
                load(q1, src)
        with m.Elif(push):
            load(q0, src)
    with m.Elif(push):
        with m.If(nonempty):
            load(q1, src)
        with m.Else():
            load(q0, src)

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
        word telling whether it holds more than one entry. Each input has a
        two-entry buffer (head and skid, registered ``ready``; decode flags
        computed on the way in). Every action is an item of one pipeline
        that advances every cycle (issue, S1: RAM address register, bitmap
        word pick, summary and row bits set, S2: address compares, S3: RAM
        data and the old value, S4: sum written, tokens queued). An update
        reads the scratch in S1; S3 takes the value from the RAM, or from
        one of the three updates ahead when they hit the same entry
        (forwarding), or 0 when the entry is not occupied; S4 writes
        ``old + val``. The drain, from the cycle after the stop: P picks the
        lowest occupied row; W1 its lowest occupied word (clearing its
        summary bit) into a two-entry queue; W2 reads that word into a
        register (clearing it in the bitmap) once the last update has
        passed S2; the word moves into a two-entry queue or straight into
        the issue register; E issues one entry per cycle as a RAM read
        item. Every stage-to-stage handshake is a register (queue credits),
        so no enable chains through the stages. Outputs leave through small
        queues (``QUEUE_DEPTH``); an item that emits is issued only when its
        queues have a credit (counted from S1), so no output ``ready``
        reaches the RAM or the drain logic, and every output is a queue
        register.
    Timing
        Accumulation: one input triple per cycle. Drain of a non-empty
        group, independent of ``dim``: about ``nnz + 4`` cycles for order 1
        (the first entry is issued four cycles after the stop is taken);
        for order 2 at most ``nnz + 5`` plus two per row with entries. The
        closing stop tokens take one cycle during which the next group's
        first triple is already accepted; an empty group costs one cycle.
        The inputs stall during the drain. Every input ``ready`` and output
        ``valid``/``payload`` is a register; no input ``ready`` depends on an
        output ``ready`` (credits). Latency (``latency``): 6 cycles from an
        input token to the first output token it causes.
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
        #: cycles from an input token to the first output token it causes
        #: (the accelerator's fork/join balancing reads it)
        self.latency = 6
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
        ok_iv = Signal(init=1)
        ok_all = Signal(init=1)
        m.d.sync += [ok_iv.eq(qi.room & qv.room),
                     ok_all.eq(qi.room & qv.room & (qo.room if qo else 1))]

        # Occupancy in three levels: one bit per scratch entry, per bitmap
        # word (summary) and per row; the drain visits only set bits.
        bitmap = Signal(self.depth)
        summ = Signal(nwords)
        row_occ = Signal(rows)
        gany = Signal()                        # the group has an entry
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
        # a drain read's bit within its word goes straight from the bit pick
        # into s1_ebit (no mux behind the pick); S1 adds it to the address
        # (RAM read) and the coordinate
        s1_ebit = Signal(range(word), name="s1_ebit")
        addr1 = Signal(aw)
        m.d.comb += addr1.eq(Mux(s1["ent"], _add_aligned(s1["addr"], s1_ebit, word), s1["addr"]))
        m.d.sync += [s2["addr"].eq(addr1),
                     s2["i_data"].eq(Mux(s1["ent"], _add_aligned(s1["i_data"], s1_ebit, word),
                                         s1["i_data"]))]
        m.d.comb += [rp.en.eq(1), rp.addr.eq(addr1)]
        # credits are taken a cycle after the issue (from S1's registers)
        m.d.comb += [qi.reserve.eq(s1["iv_en"]), qv.reserve.eq(s1["iv_en"])]
        if qo:
            m.d.comb += qo.reserve.eq(s1["o_en"])

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
        occ_oh = Signal(word)                  # the entry's bit in its word, one-hot
        occ_other = Signal(word)               # the word's other bits
        s1_bit = (s1["addr"] % word if word & (word - 1) else
                  s1["addr"][:ceil_log2(word)] if word > 1 else 0)
        s1_word = bitmap.word_select(_div_const(s1["addr"], word), word)
        m.d.sync += [occ_word.eq(s1_word), occ_oh.eq(_onehot(s1_bit, word)),
                     occ_other.eq(s1_word & ~_onehot(s1_bit, word))]
        occ3 = Signal()
        m.d.sync += occ3.eq(s2["ent"] | (occ_word & occ_oh).any())
        # multi: a bitmap word holds more than one bit (set in S2 from the
        # word S1 read, which already has every earlier update's bit), so the
        # drain knows a word's last bit without counting
        multi = Signal(nwords)
        occ_widx = Signal(range(nwords))
        m.d.sync += occ_widx.eq(_div_const(s1["addr"], word))
        with m.If(s2["acc"] & occ_other.any()):
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

        # Input buffers: each input has two entries, a head and a skid;
        # ``ready`` is the skid being empty (a register), the skid loads
        # whenever it is empty, and the decode flags are computed on the way
        # in, so what the FSM reads are flip-flops (one cycle of latency, no
        # throughput cost).
        take = Signal()
        heads = {}
        flags = {"crd_inner": lambda p: Cat(p.kind == Kind.DATA, p.kind == Kind.DONE,
                                            (p.kind == Kind.STOP) & _at_least(p.data, order),
                                            _at_least(p.data, self.dim))}
        if order == 2:
            flags["crd_outer"] = lambda p: _at_least(p.data, self.outer_dim)
        hflags = {}
        for name in (["crd_outer"] if outer else []) + ["crd_inner", "val"]:
            port = getattr(self, name)
            hv = Signal(name=f"{name}_hv")
            hp = Signal.like(port.payload, name=f"{name}_head")
            kv = Signal(name=f"{name}_kv")
            kp = Signal.like(port.payload, name=f"{name}_skid")
            f = flags.get(name)
            fin = f(port.payload) if f else Const(0, 1)
            hf = Signal(len(fin), name=f"{name}_hflags")
            kf = Signal(len(fin), name=f"{name}_kflags")
            acc_in = Signal(name=f"{name}_accept")
            m.d.comb += [port.ready.eq(~kv), acc_in.eq(port.valid & ~kv)]
            with m.If(~kv):
                m.d.sync += [kp.eq(port.payload), kf.eq(fin)]
            with m.If(take | ~hv):
                # the head empties (or was empty): the skid, else the input
                m.d.sync += [hv.eq(kv | acc_in), hp.eq(Mux(kv, kp, port.payload)),
                             hf.eq(Mux(kv, kf, fin)), kv.eq(0)]
            with m.Else():
                m.d.sync += kv.eq(kv | acc_in)
            heads[name] = (hv, hp)
            hflags[name] = hf
        h_data, h_done, h_grp, h_bad = (hflags["crd_inner"][k] for k in range(4))
        if order == 2:
            h_bad = h_bad | hflags["crd_outer"][0]
        ci, vi = heads["crd_inner"][1], heads["val"][1]
        oi = heads["crd_outer"][1] if outer else None
        all_valid = Signal()
        m.d.comb += all_valid.eq(heads["crd_inner"][0] & heads["val"][0]
                                 & (heads["crd_outer"][0] if outer else 1))
        addr_in = Signal(aw)
        if order == 2:
            m.d.comb += addr_in.eq(oi.data * stride + ci.data)
        else:
            m.d.comb += addr_in.eq(ci.data)

        # Drain (see the class docstring): P > W1 > nx queue > W2 > rq > word
        # queue > wbits > E. ``*_one`` (the word has a single bit) is kept in
        # a register so that no find-first-set feeds the refill decisions.
        have_row = Signal()
        row = Signal(range(max(rows, 2)))
        # the picked words between W1 and W2: two entries, nx0 the head;
        # nx_room (a register) says W1 may push this cycle
        def nxentry(n):
            return dict(widx=Signal(range(nwords), name=f"nx{n}_widx"),
                        row=Signal(range(max(rows, 2)), name=f"nx{n}_row"),
                        crd=Signal(range(stride), name=f"nx{n}_crd"),
                        addr=Signal(aw, name=f"nx{n}_addr"))
        nx0, nx1, nxe = nxentry(0), nxentry(1), nxentry("e")
        nx_count = Signal(range(3))
        nx_room = Signal(init=1)
        nx_valid = Signal()
        m.d.comb += nx_valid.eq(nx_count != 0)
        nx_widx, nx_row, nx_crd, nx_addr = nx0["widx"], nx0["row"], nx0["crd"], nx0["addr"]
        w1_push = Signal()
        # no update in S1 or S2 (the last one's bitmap and multi bits are written)
        no_upd = Signal(init=1)
        m.d.sync += no_upd.eq(~s0["acc"] & ~s1["acc"])
        # the word queue between W2 and E: two entries, q0 the head
        def qentry(n):
            return dict(bits=Signal(word, name=f"q{n}_bits"),
                        one=Signal(name=f"q{n}_one"),          # bits has a single bit
                        row=Signal(range(max(rows, 2)), name=f"q{n}_row"),
                        crd=Signal(range(stride), name=f"q{n}_crd"),
                        addr=Signal(aw, name=f"q{n}_addr"))
        q0, q1, rq = qentry(0), qentry(1), qentry("r")
        r_valid = Signal()                     # rq: the word W2 read, joining the queue
        qcount = Signal(range(3))
        q_any = Signal()
        m.d.comb += q_any.eq(qcount != 0)
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
        m.d.sync += s1_ebit.eq(bit)
        bit_rest = Signal(word)
        m.d.comb += bit_rest.eq(wbits & (wbits - 1))
        need_hdr = Signal()
        hdr_row = Signal(range(max(rows, 2)))
        if outer and rows == 1:
            m.d.comb += need_hdr.eq(~row_open)        # in SCAN the group has entries
        elif outer:
            # the row whose entries come next: wbits's, else the word queue's, rq's or
            # nx_*'s, else the one W1 picks from (the header overlaps the fetch)
            m.d.comb += hdr_row.eq(Mux(w_valid, wrow, Mux(q_any, q0["row"], Mux(r_valid, rq["row"],
                                                          Mux(nx_valid, nx_row, row)))))
            m.d.comb += need_hdr.eq((w_valid | q_any | r_valid | nx_valid | have_row)
                                    & (~row_open | (hdr_row != cur_row)))
        e_fire = Signal()
        m.d.comb += e_fire.eq(ok_iv & w_valid & ~need_hdr)
        w_done = Signal()                      # wbits is empty after this cycle
        m.d.comb += w_done.eq(~w_valid | (e_fire & w_one))
        q_pop = Signal()
        m.d.comb += q_pop.eq(q_any & w_done)
        w2_fire = Signal()
        m.d.comb += w2_fire.eq(nx_valid & no_upd
                                 & ((qcount == 0) | ((qcount == 1) & ~r_valid)))
        m.d.sync += clr_valid.eq(w2_fire)
        with m.If(w2_fire):
            m.d.sync += clr_widx.eq(nx_widx)
        with m.If(clr_valid):
            m.d.sync += [bitmap.word_select(clr_widx, word).eq(0),
                         multi.bit_select(clr_widx, 1).eq(0)]

        def w1():
            widx = (row * row_words + col) if rows > 1 else col
            m.d.comb += [w1_push.eq(1), nxe["widx"].eq(widx), nxe["row"].eq(row),
                         nxe["crd"].eq(col * word),
                         nxe["addr"].eq((row * stride if rows > 1 else 0) + col * word)]
            if rows > 1:
                m.d.sync += summ.word_select(row, row_words).eq(col_rest)
            else:
                m.d.sync += summ.eq(col_rest)
            with m.If(_at_most(rsumm, 1)):
                m.d.sync += [have_row.eq(0), row_occ.bit_select(row, 1).eq(0)]

        def accept_data():
            # a triple of the group being accumulated
            with m.If(h_bad):            # it would alias another entry: dropped
                m.d.sync += self.error.eq(1)
            with m.Else():
                m.d.comb += [s0["acc"].eq(1), s0["addr"].eq(addr_in), s0["val"].eq(vi.data)]
                m.d.sync += gany.eq(1)
                if outer:
                    m.d.sync += gouter.eq(oi.data)

        def emit_iv(kind, data):
            m.d.comb += [s0["iv_en"].eq(1), s0["iv_kind"].eq(kind), s0["i_data"].eq(data)]

        def emit_o(kind, data):
            m.d.comb += [s0["o_en"].eq(1), s0["o_kind"].eq(kind), s0["o_data"].eq(data)]

        _queue2_update(m, nx0, nx1, full=nx_count[1], nonempty=nx_valid, pop=w2_fire,
                       push=w1_push, src=nxe)
        nx_next = Signal(range(3))
        m.d.comb += nx_next.eq(nx_count + w1_push - w2_fire)
        m.d.sync += [nx_count.eq(nx_next), nx_room.eq(~nx_next[1])]

        # the summary and row bits are set from S1's registers (complete when
        # W1 first runs, the cycle after the stop)
        with m.If(s1["acc"]):
            m.d.sync += summ.bit_select(_div_const(s1["addr"], word), 1).eq(1)
            if rows > 1:
                m.d.sync += row_occ.bit_select(_div_const(s1["addr"], stride), 1).eq(1)
            else:
                m.d.sync += row_occ.eq(1)

        with m.FSM() as fsm:
            with m.State("ACC"):
                with m.If(take):
                    with m.Switch(ci.kind):
                        with m.Case(Kind.DATA):
                            accept_data()
                        with m.Case(Kind.STOP):
                            with m.If(h_grp):
                                m.d.sync += [level.eq(ci.data), row_open.eq(0), gany.eq(0),
                                             have_row.eq(gany if rows == 1 else 0)]
                                with m.If(gany):
                                    m.next = "SCAN"
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
                    # the word's base; S1 adds the bit (s1_ebit)
                    m.d.comb += [s0["ent"].eq(1), s0["addr"].eq(waddr)]
                    emit_iv(Kind.DATA, wcrd)
                    m.d.sync += [wbits.eq(bit_rest), w_valid.eq(~_at_most(wbits, 1)),
                                 w_one.eq(_at_most(wbits, 2) & ~_at_most(wbits, 1))]
                # refill wbits (after E: overrides its update)
                # W2: the word joins the queue, or goes straight into
                # wbits when the queue is empty and wbits is done with
                wsel = rq
                m.d.sync += r_valid.eq(w2_fire)
                with m.If(w2_fire):
                    m.d.sync += [rq["bits"].eq(bitmap.word_select(nx_widx, word)),
                                 rq["one"].eq(~multi.bit_select(nx_widx, 1)), rq["row"].eq(nx_row),
                                 rq["crd"].eq(nx_crd), rq["addr"].eq(nx_addr)]
                bypass = Signal()
                q_push = Signal()
                m.d.comb += [bypass.eq(r_valid & ~q_any & w_done),
                             q_push.eq(r_valid & ~bypass)]

                def load_w(e):
                    m.d.sync += [wbits.eq(e["bits"]), w_valid.eq(1), w_one.eq(e["one"]),
                                 wrow.eq(e["row"]), wcrd.eq(e["crd"]), waddr.eq(e["addr"])]

                # refill wbits (after E: overrides its update)
                with m.If(q_pop):
                    load_w(q0)
                with m.Elif(bypass):
                    load_w(wsel)
                _queue2_update(m, q0, q1, full=qcount[1], nonempty=q_any, pop=q_pop,
                               push=q_push, src=wsel)
                with m.If(q_push & ~q_pop):
                    m.d.sync += qcount.eq(qcount + 1)
                with m.Elif(~q_push & q_pop):
                    m.d.sync += qcount.eq(qcount - 1)
                # W1 (after W2: it refills nx_*)
                with m.If(have_row & nx_room):
                    w1()
                with m.If(~have_row & ~row_any & ~nx_valid & ~r_valid & ~q_any & w_done):
                    m.next = "TAIL"
            with m.State("TAIL"):
                # the closing stops, with the next group's first triple
                with m.If(ok_all):
                    with m.If(take):
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
        # what the FSM takes from the heads, written out flat: two gates
        # from registers (it feeds the input buffers' enables)
        m.d.comb += take.eq(all_valid & (
            (fsm.ongoing("ACC") & ~h_done)
            | (ok_all & ((fsm.ongoing("ACC") & h_done) | (fsm.ongoing("TAIL") & h_data)))))
        return m


class _OutQueue:
    """A :class:`SyncFIFOBuffered` of ``depth`` tokens driving the output
    stream ``port``, with credits: ``room`` (from a register only) is high
    when fewer than ``depth - 3`` tokens are queued or reserved, so a
    register of it still leaves room for one more when ``reserve`` comes a
    cycle after the issue (at most two issued since ``room`` was computed);
    ``reserve`` takes a credit (for an item that will ``push`` later),
    ``push`` with ``kind``/``data`` queues a token."""

    def __init__(self, m: Module, port, name: str, depth: int = QUEUE_DEPTH):
        layout = port.payload.shape()
        m.submodules[f"{name}_q"] = q = fifo.SyncFIFOBuffered(width=layout.size, depth=depth)
        self.reserve = Signal(name=f"{name}_reserve")
        self.push = Signal(name=f"{name}_push")
        self.kind = Signal(Kind, name=f"{name}_kind")
        self.data = Signal(layout["data"].shape, name=f"{name}_data")
        self.room = Signal(name=f"{name}_room")
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
        m.d.comb += self.room.eq(count < depth - 3)


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
