"""Level scanners ("fiberlookup"): compressed and dense, with root mode."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..encoding import Kind, token_layout, token_stream, check_width
from ..stream import OutReg, RootSource, check_bool, check_int, read_port
from . import RtlPrimitive, register

__all__ = ["CompressedScanner", "DenseScanner", "fiberlookup"]


class _Scanner(wiring.Component):
    """Shared part: the ports and the input stream (``ref`` or the root
    source)."""

    def __init__(self, members: dict, crd_width: int, root: bool):
        self.crd_width = check_width("crd_width", crd_width)
        self.root = check_bool("root", root)
        t = token_stream(crd_width)
        ports = {} if root else {"ref": In(t)}
        ports.update({"crd": Out(t), "ref_out": Out(t)})
        ports.update(members)
        super().__init__(ports)

    def _input(self, m):
        """The input stream: ``ref``, or the root source's ``0 D``."""
        if self.root:
            m.submodules.root = src = RootSource(self.crd_width)
            return src.o
        return self.ref


class CompressedScanner(_Scanner):
    """Compressed level scanner.

    For a reference ``r``: emits ``crd[p]`` on ``crd`` and ``p`` on
    ``ref_out`` for ``p`` in ``seg[r] .. seg[r+1]-1``, then the closing stop
    token by the peek rule (next input ``Sk`` is consumed and gives
    ``S(k+1)``, anything else gives ``S0``). Input ``Sk`` -> ``S(k+1)``;
    ``N`` -> ``N`` then a closing; ``D`` -> ``D``. In root mode the input is
    the internal stream ``0 D`` (emitted once after reset).

    Ports
        ``ref: In(token_stream(crd_width))`` (absent when ``root``);
        ``crd``, ``ref_out: Out(token_stream(crd_width))``;
        ``seg_lo``, ``seg_hi: In(read_port(addr_width, crd_width))`` on memory
        ``seg`` (``seg[r]`` and ``seg[r+1]`` read in the same cycle);
        ``crd_rd: In(read_port(addr_width, crd_width))`` on memory ``crd``;
        ``error: Out(1)``: sticky; a reference ``>= 2**addr_width - 1``
        was taken (its ``seg[r+1]`` lies beyond the memory: the address
        wraps and the fiber read is wrong). Cleared by reset.
    Parameters
        ``crd_width`` 2..64 (default 16); ``addr_width`` 1..crd_width-1
        (default 10; seg entries, up to ``2**addr_width``, must fit
        ``crd_width`` bits; references below ``2**addr_width - 1``); ``root``.
    Timing
        Read ports of latency 2 (``read_latency = 2``: ``data`` is the word
        addressed two enabled cycles earlier, :mod:`rtl.ram`; on ECP5 the
        block RAM's output register), and every RAM output goes straight
        into a register, and every RAM address comes from a register. Latency
        9 cycles from taking a reference to its first coordinate being
        valid: the seg pipeline (6: input register with ``r + 1``, address,
        RAM output register, fabric copy, bound compare, queue entry), the
        queue (1), the crd read (2; the RAM's output register is the
        ``crd`` data register). Then one output token per cycle when
        nothing stalls: up to 9 input tokens wait in the pipeline and a
        three-entry queue with their bounds and flags precomputed, the
        emitter issues crd reads back to back, and the closing stop (peek
        rule) of a fiber or ``N``, the next fiber's first read, stop tokens
        and ``N`` cost no extra cycle. An empty fiber becomes its closing
        stop in the pipeline when its next token is known there (it is
        unless the input had a gap); otherwise it costs one cycle.
        Input tokens are taken at most one per cycle, so a run of empty
        fibers closed by stop tokens (two input tokens per output token)
        goes at the input rate. ``ref.ready`` is a function of registers
        only (it is low while the queue is full); ``crd_rd.en`` and the
        emitter's enables depend combinationally on the output ``ready``.

        Root mode relies on ``seg[0] == 0`` (the compressed format; every
        tensor the host loads is checked for it) and reads only ``seg[1]``
        (on ``seg_hi``; ``seg_lo`` is unused): the crd reads start in the
        first cycle after reset while ``seg[1]`` is read, so the first
        token is valid 4 cycles after reset (``latency = 4``: seg read 2,
        fabric copy 1, output register 1), then one token per cycle.
    """

    #: entries of the token queue between the seg read and the emitter
    QUEUE = 3

    def __init__(self, crd_width: int = 16, addr_width: int = 10, root: bool = False):
        check_width("crd_width", crd_width, minimum=2)
        # seg entries (positions up to 2**addr_width) are crd_width wide
        self.addr_width = check_int("addr_width", addr_width, 1, crd_width - 1)
        self.memory_ports = {"seg_lo": "seg", "seg_hi": "seg", "crd_rd": "crd"}
        self.read_latency = 2
        #: Cycles from taking a reference to its first coordinate (see Timing);
        #: in root mode from the first cycle after reset.
        self.latency = 4 if root else 9
        rp = read_port(addr_width, unsigned(crd_width))
        super().__init__({"seg_lo": In(rp), "seg_hi": In(rp), "crd_rd": In(rp),
                          "error": Out(1)},
                         crd_width, root)

    def elaborate(self, platform):
        if self.root:
            return self._elaborate_root()
        m = Module()
        inp = self._input(m)
        W, AW = self.crd_width, self.addr_width
        tok = inp.payload
        kinds = token_layout(W).members["kind"]

        # Seg pipeline, six stages moved together by ``adv_s``: s0 the input
        # token and its ``r + 1`` (the seg addresses come from registers), s1
        # the token (its seg read issued), s2 its bounds on the seg ports
        # (the RAM's output register), s3 the bounds copied into fabric
        # registers (the route from a block RAM is long), s4 ``lo < hi`` and
        # ``hi - lo`` (carry chains), s5 the queue entry. An empty fiber
        # whose next token is known by s4 -> s5 becomes its closing stop:
        # ``S(k+1)`` eating a following ``Sk`` (dropped from s4), else
        # ``S0``; so the emitter needs no second token to close it.
        def entry(name):
            # ``x``: seg[r] for a reference, the level to emit for a stop;
            # ``dm1``: hi - lo - 1; flags ``ne`` (a non-empty fiber), ``one``
            # (hi - lo == 1), ``stop`` (an input stop token, which a peek eats)
            return {"v": Signal(name=f"{name}_v"), "kind": Signal(kinds, name=f"{name}_kind"),
                    "x": Signal(W, name=f"{name}_x"), "dm1": Signal(W, name=f"{name}_dm1"),
                    "ne": Signal(name=f"{name}_ne"), "one": Signal(name=f"{name}_one"),
                    "stop": Signal(name=f"{name}_stop")}

        s0_v, s0_kind, s0_data, s0_inc = Signal(), Signal(kinds), Signal(W), Signal(W)
        s1_v, s1_kind, s1_lvl = Signal(), Signal(kinds), Signal(W)
        s2_v, s2_kind, s2_lvl = Signal(), Signal(kinds), Signal(W)
        s3_v, s3_kind, s3_lvl, s3_lo, s3_hi = (Signal(), Signal(kinds), Signal(W), Signal(W),
                                               Signal(W))
        s4_v, s4_kind, s4_lvl, s4_lo = Signal(), Signal(kinds), Signal(W), Signal(W)
        s4_lt, s4_dm1 = Signal(), Signal(W)
        s5 = entry("s5")
        q = [entry(f"q{i}") for i in range(self.QUEUE)]

        adv_s, push = Signal(), Signal()
        m.d.comb += [
            adv_s.eq(~s5["v"] | ~q[-1]["v"]),
            push.eq(s5["v"] & ~q[-1]["v"]),
            inp.ready.eq(adv_s),
            self.seg_lo.en.eq(adv_s), self.seg_hi.en.eq(adv_s),
            # straight from registers: the route to a block RAM is long
            self.seg_lo.addr.eq(s0_data), self.seg_hi.addr.eq(s0_inc),
        ]
        s4_empty = (s4_kind == Kind.DATA) & ~s4_lt
        s3_stop = s3_kind == Kind.STOP
        eats = s4_v & s4_empty & s3_v & s3_stop           # s4's closing eats s3
        with m.If(adv_s):
            m.d.sync += [
                s0_v.eq(inp.valid), s0_kind.eq(tok.kind), s0_data.eq(tok.data),
                s0_inc.eq(tok.data + 1),
                s1_v.eq(s0_v), s1_kind.eq(s0_kind), s1_lvl.eq(s0_inc),
                s2_v.eq(s1_v), s2_kind.eq(s1_kind), s2_lvl.eq(s1_lvl),
                s3_v.eq(s2_v), s3_kind.eq(s2_kind), s3_lvl.eq(s2_lvl),
                s3_lo.eq(self.seg_lo.data), s3_hi.eq(self.seg_hi.data),
                s4_v.eq(s3_v & ~eats), s4_kind.eq(s3_kind), s4_lvl.eq(s3_lvl), s4_lo.eq(s3_lo),
                # one carry chain: hi + ~lo = hi - lo - 1, carry out iff lo < hi
                Cat(s4_dm1, s4_lt).eq(s3_hi + ~s3_lo),
                s5["v"].eq(s4_v), s5["dm1"].eq(s4_dm1), s5["one"].eq(s4_dm1 == 0),
                s5["ne"].eq((s4_kind == Kind.DATA) & s4_lt),
            ]
            with m.If(s4_empty & s3_v):
                # not an input stop: a later peek must not eat it
                m.d.sync += [s5["kind"].eq(Kind.STOP), s5["stop"].eq(0),
                             s5["x"].eq(Mux(s3_stop, s3_lvl, 0))]
            with m.Else():
                m.d.sync += [s5["kind"].eq(s4_kind), s5["stop"].eq(s4_kind == Kind.STOP),
                             s5["x"].eq(Mux(s4_kind == Kind.STOP, s4_lvl, s4_lo))]
            with m.If(inp.valid & (tok.kind == Kind.DATA) & (tok.data >= (1 << AW) - 1)):
                m.d.sync += self.error.eq(1)

        # Emitter: ``busy``: a fiber (or N) is open; ``rem`` coordinates are
        # left from ``pos`` on, ``z``: none (its closing stop is due). What
        # it emits goes down a two-stage pipeline in lock-step with the crd
        # port (c1; c2 = the output registers), moved by ``adv``.
        busy, z = Signal(), Signal()
        pos, rem = Signal(W), Signal(W)
        c1_v, c1_kind, c1_d = Signal(), Signal(kinds), Signal(W)
        c2_kind, c2_d = Signal(kinds), Signal(W)
        adv = Signal()
        emit, e_kind, e_d = Signal(), Signal(kinds), Signal(W)
        pop = Signal()
        crd, ref = self.crd, self.ref_out
        q0 = q[0]
        m.d.comb += [
            adv.eq((~crd.valid | crd.ready) & (~ref.valid | ref.ready)),
            self.crd_rd.en.eq(adv),
            self.crd_rd.addr.eq(Mux(busy, pos, q0["x"])),
            crd.payload.kind.eq(c2_kind), ref.payload.kind.eq(c2_kind),
            crd.payload.data.eq(Mux(c2_kind == Kind.DATA, self.crd_rd.data, c2_d)),
            ref.payload.data.eq(c2_d),
        ]
        with m.If(adv):
            m.d.sync += [c1_v.eq(emit), c1_kind.eq(e_kind), c1_d.eq(e_d),
                         crd.valid.eq(c1_v), ref.valid.eq(c1_v),
                         c2_kind.eq(c1_kind), c2_d.eq(c1_d)]
        with m.Else():
            with m.If(crd.ready):
                m.d.sync += crd.valid.eq(0)
            with m.If(ref.ready):
                m.d.sync += ref.valid.eq(0)

        def send(kind, d=0):
            m.d.comb += [emit.eq(1), e_kind.eq(kind), e_d.eq(d)]

        with m.If(adv):
            with m.If(busy & ~z):
                send(Kind.DATA, pos)
                m.d.sync += [pos.eq(pos + 1), rem.eq(rem - 1), z.eq(rem == 1)]
            with m.Elif(busy):                     # the closing, by the peek rule
                with m.If(q0["v"]):
                    m.d.sync += busy.eq(0)
                    send(Kind.STOP, Mux(q0["stop"], q0["x"], 0))
            with m.Elif(q0["v"]):
                with m.Switch(q0["kind"]):
                    with m.Case(Kind.DATA):
                        m.d.sync += busy.eq(1)
                        with m.If(q0["ne"]):
                            send(Kind.DATA, q0["x"])
                            m.d.sync += [pos.eq(q0["x"] + 1), rem.eq(q0["dm1"]),
                                         z.eq(q0["one"])]
                        with m.Else():             # empty, its next token was unknown
                            m.d.sync += z.eq(1)
                    with m.Case(Kind.EMPTY):
                        send(Kind.EMPTY)
                        m.d.sync += [busy.eq(1), z.eq(1)]
                    with m.Case(Kind.STOP):
                        send(Kind.STOP, q0["x"])
                    with m.Case(Kind.DONE):
                        send(Kind.DONE)

        # Queue: entries stay contiguous from q0; a push lands after the last
        # valid one, a pop shifts by one. ``take`` (pop but for ``adv``)
        # selects the data so that ``adv`` only reaches the enables: an
        # invalid entry's candidates are both ``s5`` (the one behind it is
        # invalid too).
        take = Signal()
        m.d.comb += take.eq(q0["v"] & (~busy | (z & q0["stop"])))
        m.d.comb += pop.eq(adv & take)
        for i, dst in enumerate(q):
            nxt = {k: Mux(q[i + 1]["v"], q[i + 1][k], s5[k]) for k in s5 if k != "v"} \
                if i + 1 < len(q) else {k: s5[k] for k in s5 if k != "v"}
            lands = push & (q[i - 1]["v"] if i else 1)
            with m.If(pop | (~dst["v"] & lands)):
                m.d.sync += [dst[k].eq(Mux(take, nxt[k], s5[k])) for k in nxt]
            v_here = dst["v"] | lands
            v_next = (q[i + 1]["v"] | (push & dst["v"])) if i + 1 < len(q) else \
                push & dst["v"]
            m.d.sync += dst["v"].eq(Mux(pop, v_next, v_here))
        return m

    def _elaborate_root(self):
        # The root fiber is ``crd[0 .. hi-1]`` with ``hi = seg[1]``: ``seg[0]``
        # is 0 by the format (a compressed level's seg starts at 0, which
        # ``sam.formats`` checks for every tensor the host loads), so the crd
        # reads start in the first cycle, before ``hi`` is known. Every read
        # goes down a two-stage pipeline in lock-step with the crd port (c1,
        # c2 = the output registers), moved by ``adv``; the token kind is
        # decided at c1 -> c2, so the pipeline holds after the first read
        # until ``hi`` is known.
        m = Module()
        W = self.crd_width
        kinds = token_layout(W).members["kind"]
        # seg[1] is read in cycle 0 (and kept on the port); it is on the
        # port's output register from cycle 2, copied into ``hi`` then (a
        # plain copy: the route from a block RAM is long). The decision for
        # ``p`` (on c1) is ``p < hi``: for ``p = 0`` ``hi != 0``, after that
        # ``nz``, registered at the previous decision as ``p + 1 != hi``
        # (``pos`` is ``p + 1``), so no carry chain precedes a decision.
        sr, hv, first = Signal(2), Signal(), Signal(init=1)
        hi, nz = Signal(W), Signal()
        m.d.comb += [self.seg_hi.en.eq(1), self.seg_hi.addr.eq(1), self.seg_lo.en.eq(0)]
        m.d.sync += sr.eq(Cat(1, sr[0]))
        with m.If(~hv):
            m.d.sync += [hi.eq(self.seg_hi.data), hv.eq(sr[1])]
        more = Signal()
        m.d.comb += more.eq(Mux(first, hi != 0, nz))

        pos = Signal(W)                   # next crd address
        c1_v, c1_d = Signal(), Signal(W)
        c2_kind, c2_d = Signal(kinds), Signal(W)
        phase = Signal(2)                 # 0 coordinates, 1 D next, 2 finished
        adv = Signal()
        crd, ref = self.crd, self.ref_out
        m.d.comb += [
            adv.eq((~c1_v | hv) & (~crd.valid | crd.ready) & (~ref.valid | ref.ready)),
            self.crd_rd.en.eq(adv),
            self.crd_rd.addr.eq(pos),
            crd.payload.kind.eq(c2_kind), ref.payload.kind.eq(c2_kind),
            crd.payload.data.eq(Mux(c2_kind == Kind.DATA, self.crd_rd.data, c2_d)),
            ref.payload.data.eq(c2_d),
        ]
        with m.If(adv):
            m.d.sync += [pos.eq(pos + 1), c1_v.eq(1), c1_d.eq(pos)]
            with m.If(c1_v & (phase != 2)):
                m.d.sync += [crd.valid.eq(1), ref.valid.eq(1), first.eq(0)]
                with m.If(phase == 1):
                    m.d.sync += [c2_kind.eq(Kind.DONE), c2_d.eq(0), phase.eq(2)]
                with m.Elif(more):
                    m.d.sync += [c2_kind.eq(Kind.DATA), c2_d.eq(c1_d), nz.eq(pos != hi)]
                with m.Else():                    # the closing stop
                    m.d.sync += [c2_kind.eq(Kind.STOP), c2_d.eq(0), phase.eq(1)]
            with m.Else():
                m.d.sync += [crd.valid.eq(0), ref.valid.eq(0)]
        with m.Else():
            with m.If(crd.ready):
                m.d.sync += crd.valid.eq(0)
            with m.If(ref.ready):
                m.d.sync += ref.valid.eq(0)
        return m


class DenseScanner(_Scanner):
    """Dense (uncompressed) level scanner.

    For a reference ``r``: emits coordinates ``0 .. dim-1`` on ``crd`` and
    ``r*dim + c`` on ``ref_out``, then the closing stop token by the peek
    rule. Stop tokens, ``N`` and ``D`` as in :class:`CompressedScanner`.

    Ports
        ``ref: In(token_stream(crd_width))`` (absent when ``root``);
        ``crd``, ``ref_out: Out(token_stream(crd_width))``;
        ``dim: In(crd_width)``: the level's dimension, set by the host and
        held constant from one cycle before the first reference (or during
        reset) until the scanner has finished: values derived from it are
        registered. No memory.
    Parameters
        ``crd_width`` 1..64 (default 16), ``root``. References wrap modulo
        ``2**crd_width``.
    Timing
        ``r*dim`` is computed in the fabric, pipelined alongside the input
        tokens (no multiplier in the emitter's path and no DSP block, whose
        combinational delay alone is 3.9 ns on ECP5): radix-4 partial
        products registered, then summed pairwise, one adder per stage:
        ``mul_stages`` stages (4 for ``crd_width`` 9..16). Latency
        ``mul_stages + 1``
        cycles, then one token per cycle (``dim + 1`` cycles per fiber;
        ``dim = 0`` takes two cycles per reference). Outputs registered;
        ``ref.ready`` depends combinationally on the output ``ready``.
    """

    def __init__(self, crd_width: int = 16, root: bool = False):
        check_width("crd_width", crd_width)
        super().__init__({"dim": In(crd_width)}, crd_width, root)
        self.npp = (crd_width + 1) // 2          # radix-4 partial products
        self.mul_stages = 1 + (self.npp - 1).bit_length()
        #: Cycles from taking a reference to its first coordinate.
        self.latency = self.mul_stages + 1

    def elaborate(self, platform):
        m = Module()
        inp = self._input(m)
        co, ro = OutReg(m, self.crd, "crd"), OutReg(m, self.ref_out, "ref_out")
        free = Signal()
        m.d.comb += free.eq(co.free & ro.free)
        W = self.crd_width
        kinds = token_layout(W).members["kind"]
        tok = inp.payload

        def emit(kind, data=0, ref_data=None):
            co.load(kind=kind, data=data)
            ro.load(kind=kind, data=data if ref_data is None else ref_data)

        # registered values derived from the (static) dim; not reset, so
        # they follow a dim set during reset
        dim = self.dim
        dim3, dm2 = Signal(W, reset_less=True), Signal(W, reset_less=True)
        dim0, dim1, dim2 = (Signal(reset_less=True) for _ in range(3))
        m.d.sync += [dim3.eq(dim + (dim << 1)), dm2.eq(dim - 2),
                     dim0.eq(dim == 0), dim1.eq(dim == 1), dim2.eq(dim == 2)]

        # radix-4 partial products of r*dim (mod 2**W) from the input token
        pps = []
        for k in range(self.npp):
            digit = tok.data[2 * k:2 * k + 2]
            val = Mux(digit[0], Mux(digit[1:2], dim3, dim), Mux(digit[1:2], dim << 1, 0))
            pps.append((val << (2 * k))[:W])

        # the pipeline: stage i holds the token and the partial sums after i
        # pairwise additions; all stages move together (``adv``)
        take, adv = Signal(), Signal()
        stages = []
        sums = pps
        prev = {"v": inp.valid, "kind": tok.kind, "lvl": tok.data + 1}
        for i in range(self.mul_stages):
            if i:                                  # stage 0 registers the products
                sums = [(sums[j] + sums[j + 1])[:W] if j + 1 < len(sums) else sums[j]
                        for j in range(0, len(sums), 2)]
            st = {"v": Signal(name=f"m{i}_v"), "kind": Signal(kinds, name=f"m{i}_kind"),
                  "lvl": Signal(W, name=f"m{i}_lvl"),
                  "sums": [Signal(W, name=f"m{i}_sum{j}") for j in range(len(sums))]}
            with m.If(adv):
                m.d.sync += [st[k].eq(prev[k]) for k in ("v", "kind", "lvl")]
                m.d.sync += [r.eq(v) for r, v in zip(st["sums"], sums)]
            stages.append(st)
            prev, sums = st, st["sums"]
        last = stages[-1]
        p_v, p_kind, p_lvl, base = last["v"], last["kind"], last["lvl"], last["sums"][0]
        m.d.comb += [adv.eq(~p_v | take), inp.ready.eq(adv)]

        c, nref, rem = Signal(W), Signal(W), Signal(W)  # coordinate, its ref, left after c
        final = Signal()                                # c is the last coordinate
        with m.FSM():
            with m.State("IDLE"):
                with m.If(p_v & free):
                    m.d.comb += take.eq(1)
                    with m.Switch(p_kind):
                        with m.Case(Kind.DATA):
                            m.d.sync += [c.eq(1), nref.eq(base + 1), rem.eq(dm2), final.eq(dim2)]
                            with m.If(dim0):
                                m.next = "CLOSE"
                            with m.Else():
                                emit(Kind.DATA, 0, base)
                                with m.If(dim1):
                                    m.next = "CLOSE"
                                with m.Else():
                                    m.next = "EMIT"
                        with m.Case(Kind.STOP):
                            emit(Kind.STOP, p_lvl)
                        with m.Case(Kind.EMPTY):
                            emit(Kind.EMPTY)
                            m.next = "CLOSE"
                        with m.Case(Kind.DONE):
                            emit(Kind.DONE)
            with m.State("EMIT"):
                with m.If(free):
                    emit(Kind.DATA, c, nref)
                    m.d.sync += [c.eq(c + 1), nref.eq(nref + 1), rem.eq(rem - 1),
                                 final.eq(rem == 1)]
                    with m.If(final):
                        m.next = "CLOSE"
            with m.State("CLOSE"):
                with m.If(p_v & free):
                    with m.If(p_kind == Kind.STOP):
                        m.d.comb += take.eq(1)
                        emit(Kind.STOP, p_lvl)
                    with m.Else():
                        emit(Kind.STOP, 0)
                    m.next = "IDLE"
        return m


def fiberlookup(format: str = "compressed", root: bool = False, crd_width: int = 16,
                addr_width: int = 10):
    """The scanner for level format ``format`` (``compressed`` or ``dense``)."""
    if format == "compressed":
        return CompressedScanner(crd_width=crd_width, addr_width=addr_width, root=root)
    if format == "dense":
        return DenseScanner(crd_width=crd_width, root=root)
    raise ValueError(f"format must be 'compressed' or 'dense', not {format!r}")


register(RtlPrimitive(
    "fiberlookup", fiberlookup,
    formal_params=({"format": "compressed", "crd_width": 3, "addr_width": 2},
                   {"format": "compressed", "crd_width": 3, "addr_width": 2, "root": True},
                   {"format": "dense", "crd_width": 3},
                   {"format": "dense", "crd_width": 3, "root": True}),
    doc=CompressedScanner.__doc__))
