"""Level scanners ("fiberlookup"): compressed and dense, with root mode."""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, unsigned
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
        addressed two enabled cycles earlier; :mod:`rtl.ram`), so no path
        starts at a RAM array output. Latency 5 cycles from taking a
        reference to its first coordinate being valid: seg read (2), the
        token queue (1), crd read (2; the second is the output register).
        Then one output token per cycle: tokens with their seg bounds wait
        in a two-entry queue whose flags (empty fiber, one or two
        coordinates) are computed on the way in, the emitter sees the first
        two entries, so the peek rule, the next fiber's first crd read,
        empty fibers (closed together with a following stop), stop tokens
        and ``N`` cost no extra cycle. Input tokens are taken at most one
        per cycle, so a run of empty fibers closed by stop tokens (two input
        tokens per output token) goes at the input rate. ``ref.ready`` is a
        function of registers only; the outputs are registers (``crd.data``
        is the crd RAM's output register for coordinates).
    """

    #: entries of the token queue between the seg read and the emitter
    QUEUE = 3

    def __init__(self, crd_width: int = 16, addr_width: int = 10, root: bool = False):
        check_width("crd_width", crd_width, minimum=2)
        # seg entries (positions up to 2**addr_width) are crd_width wide
        self.addr_width = check_int("addr_width", addr_width, 1, crd_width - 1)
        self.memory_ports = {"seg_lo": "seg", "seg_hi": "seg", "crd_rd": "crd"}
        self.read_latency = 2
        rp = read_port(addr_width, unsigned(crd_width))
        super().__init__({"seg_lo": In(rp), "seg_hi": In(rp), "crd_rd": In(rp),
                          "error": Out(1)},
                         crd_width, root)

    def elaborate(self, platform):
        m = Module()
        inp = self._input(m)
        W, AW = self.crd_width, self.addr_width
        tok = inp.payload
        kinds = token_layout(W).members["kind"]

        # Seg read: two stages (a, b) in lock-step with the latency-2 seg
        # ports; ``b``'s bounds are on ``seg_lo.data``/``seg_hi.data``.
        a_v, a_kind, a_data = Signal(), Signal(kinds), Signal(W)
        b_v, b_kind, b_lvl = Signal(), Signal(kinds), Signal(W)

        # The queue. An entry: ``x`` is ``seg[r]`` for a reference, the stop
        # level k+1 for ``Sk`` (what the emitter sends: precomputed); flags
        # ``ne`` (a non-empty fiber), ``one``/``two`` (one/two coordinates).
        def entry(name):
            return {"v": Signal(name=f"{name}_v"), "kind": Signal(kinds, name=f"{name}_kind"),
                    "x": Signal(W, name=f"{name}_x"), "hi": Signal(W, name=f"{name}_hi"),
                    "ne": Signal(name=f"{name}_ne"), "one": Signal(name=f"{name}_one"),
                    "two": Signal(name=f"{name}_two")}

        q = [entry(f"q{i}") for i in range(self.QUEUE)]
        lo, hi = self.seg_lo.data, self.seg_hi.data
        is_data = b_kind == Kind.DATA
        b = {"kind": b_kind, "x": Mux(b_kind == Kind.STOP, b_lvl, lo), "hi": hi,
             "ne": is_data & (lo < hi), "one": lo + 1 == hi, "two": lo + 2 == hi}

        # the seg pipeline moves unless its last stage waits for a full queue
        adv_s, push = Signal(), Signal()
        m.d.comb += [
            adv_s.eq(~b_v | ~q[-1]["v"]),
            push.eq(b_v & ~q[-1]["v"]),
            inp.ready.eq(adv_s),
            self.seg_lo.en.eq(adv_s), self.seg_hi.en.eq(adv_s),
            self.seg_lo.addr.eq(tok.data), self.seg_hi.addr.eq(tok.data + 1),
        ]
        with m.If(adv_s):
            m.d.sync += [a_v.eq(inp.valid), a_kind.eq(tok.kind), a_data.eq(tok.data),
                         b_v.eq(a_v), b_kind.eq(a_kind), b_lvl.eq(a_data + 1)]
            with m.If(inp.valid & (tok.kind == Kind.DATA) & (tok.data >= (1 << AW) - 1)):
                m.d.sync += self.error.eq(1)

        # Emitter: mode NEXT (neither flag), STREAM (pos .. hi-1 of a fiber;
        # ``last``: pos is its last position) or CLOSE (a closing stop is due).
        # What it emits goes down a two-stage pipeline in lock-step with the
        # crd port (c1; c2 = the output registers), moved by ``adv``.
        stream, close, last = Signal(), Signal(), Signal()
        pos, end = Signal(W), Signal(W)
        c1_v, c1_kind, c1_d = Signal(), Signal(kinds), Signal(W)
        c2_kind, c2_d = Signal(kinds), Signal(W)
        adv = Signal()
        emit, e_kind, e_d = Signal(), Signal(kinds), Signal(W)
        pop = Signal(2)                    # queue entries consumed this cycle
        crd, ref = self.crd, self.ref_out
        m.d.comb += [
            adv.eq((~crd.valid | crd.ready) & (~ref.valid | ref.ready)),
            self.crd_rd.en.eq(adv),
            self.crd_rd.addr.eq(Mux(stream, pos, q[0]["x"])),
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

        q0, q1 = q[0], q[1]
        with m.If(adv):
            with m.If(stream):
                send(Kind.DATA, pos)
                m.d.sync += [pos.eq(pos + 1), last.eq(pos + 2 == end)]
                with m.If(last):
                    m.d.sync += [stream.eq(0), close.eq(1)]
            with m.Elif(close):
                with m.If(q0["v"]):
                    m.d.sync += close.eq(0)
                    with m.If(q0["kind"] == Kind.STOP):
                        send(Kind.STOP, q0["x"])
                        m.d.comb += pop.eq(1)
                    with m.Else():
                        send(Kind.STOP, 0)
            with m.Elif(q0["v"]):
                with m.Switch(q0["kind"]):
                    with m.Case(Kind.DATA):
                        with m.If(q0["ne"]):
                            send(Kind.DATA, q0["x"])
                            m.d.comb += pop.eq(1)
                            m.d.sync += [pos.eq(q0["x"] + 1), end.eq(q0["hi"]),
                                         last.eq(q0["two"])]
                            with m.If(q0["one"]):
                                m.d.sync += close.eq(1)
                            with m.Else():
                                m.d.sync += stream.eq(1)
                        with m.Elif(q1["v"]):      # empty fiber: its closing only
                            with m.If(q1["kind"] == Kind.STOP):
                                send(Kind.STOP, q1["x"])
                                m.d.comb += pop.eq(2)
                            with m.Else():
                                send(Kind.STOP, 0)
                                m.d.comb += pop.eq(1)
                    with m.Case(Kind.EMPTY):
                        send(Kind.EMPTY)
                        m.d.comb += pop.eq(1)
                        m.d.sync += close.eq(1)
                    with m.Case(Kind.STOP):
                        send(Kind.STOP, q0["x"])
                        m.d.comb += pop.eq(1)
                    with m.Case(Kind.DONE):
                        send(Kind.DONE)
                        m.d.comb += pop.eq(1)

        # Queue update: entries stay contiguous from q0. ``cand[j]`` is what
        # sits at j before the pop (the pushed entry lands after the last
        # valid one); the new q[i] is cand[i + pop].
        cand = []
        for j in range(self.QUEUE + 2):
            if j >= self.QUEUE:
                cand.append(None)
                continue
            lands = push & (q[j - 1]["v"] if j else 1)
            c = {k: Mux(q[j]["v"], q[j][k], b[k]) for k in b}
            c["v"] = q[j]["v"] | lands
            cand.append(c)
        for i, dst in enumerate(q):
            for k in dst:
                src = [cand[i + p][k] if cand[i + p] is not None else 0 for p in range(3)]
                m.d.sync += dst[k].eq(Mux(pop == 0, src[0], Mux(pop == 1, src[1], src[2])))
        return m


class DenseScanner(_Scanner):
    """Dense (uncompressed) level scanner.

    For a reference ``r``: emits coordinates ``0 .. dim-1`` on ``crd`` and
    ``r*dim + c`` on ``ref_out``, then the closing stop token by the peek
    rule. Stop tokens, ``N`` and ``D`` as in :class:`CompressedScanner`.

    Ports
        ``ref: In(token_stream(crd_width))`` (absent when ``root``);
        ``crd``, ``ref_out: Out(token_stream(crd_width))``;
        ``dim: In(crd_width)``: the level's dimension, held constant while the
        scanner runs (set by the host). No memory.
    Parameters
        ``crd_width`` 1..64 (default 16), ``root``. References wrap modulo
        ``2**crd_width``.
    Timing
        Latency 3 cycles: the input token is registered, ``r*dim`` computed
        into a second register (a pipelined multiplier step, out of the
        emitter's path), then the emitter loads the output registers. One
        token per cycle (``dim + 1`` cycles per fiber; ``dim = 0`` takes two
        cycles per reference). Outputs registered; ``ref.ready`` depends
        combinationally on the output ``ready``.
    """

    def __init__(self, crd_width: int = 16, root: bool = False):
        check_width("crd_width", crd_width)
        super().__init__({"dim": In(crd_width)}, crd_width, root)

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

        # two-stage input pipeline: p1 (the token), p2 (the token, its stop
        # level k+1 and base = r*dim), moved together when p2 is taken
        p1_v, p1_kind, p1_data = Signal(), Signal(kinds), Signal(W)
        p2_v, p2_kind, p2_lvl, base = Signal(), Signal(kinds), Signal(W), Signal(W)
        take, adv = Signal(), Signal()
        m.d.comb += [adv.eq(~p2_v | take), inp.ready.eq(adv)]
        with m.If(adv):
            m.d.sync += [p1_v.eq(inp.valid), p1_kind.eq(tok.kind), p1_data.eq(tok.data),
                         p2_v.eq(p1_v), p2_kind.eq(p1_kind), p2_lvl.eq(p1_data + 1),
                         base.eq((p1_data * self.dim)[:W])]

        c, cur = Signal(W), Signal(W)       # coordinate and base of the fiber
        dim0, dim1 = Signal(), Signal()    # registered dim == 0, dim == 1
        m.d.sync += [dim0.eq(self.dim == 0), dim1.eq(self.dim == 1)]
        last = Signal()                    # c + 1 == dim
        with m.FSM():
            with m.State("IDLE"):
                with m.If(p2_v & free):
                    m.d.comb += take.eq(1)
                    with m.Switch(p2_kind):
                        with m.Case(Kind.DATA):
                            m.d.sync += [c.eq(1), cur.eq(base), last.eq(self.dim == 2)]
                            with m.If(dim0):
                                m.next = "CLOSE"
                            with m.Else():
                                emit(Kind.DATA, 0, base)
                                with m.If(dim1):
                                    m.next = "CLOSE"
                                with m.Else():
                                    m.next = "EMIT"
                        with m.Case(Kind.STOP):
                            emit(Kind.STOP, p2_lvl)
                        with m.Case(Kind.EMPTY):
                            emit(Kind.EMPTY)
                            m.next = "CLOSE"
                        with m.Case(Kind.DONE):
                            emit(Kind.DONE)
            with m.State("EMIT"):
                with m.If(free):
                    emit(Kind.DATA, c, (cur + c)[:W])
                    m.d.sync += [c.eq(c + 1), last.eq(c + 2 == self.dim)]
                    with m.If(last):
                        m.next = "CLOSE"
            with m.State("CLOSE"):
                with m.If(p2_v & free):
                    with m.If(p2_kind == Kind.STOP):
                        m.d.comb += take.eq(1)
                        emit(Kind.STOP, p2_lvl)
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
