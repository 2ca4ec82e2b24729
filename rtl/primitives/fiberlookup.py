"""Level scanners ("fiberlookup"): compressed and dense, with root mode."""

from __future__ import annotations

from amaranth.hdl import C, Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..encoding import Kind, token_layout, token_stream, check_width
from ..stream import OutReg, RootSource, check_bool, check_int, read_port
from . import RtlPrimitive, register

__all__ = ["CompressedScanner", "DenseScanner", "fiberlookup"]


class _Scanner(wiring.Component):
    """Shared part: the input (``ref`` or the root source), the two output
    registers, and the handling of stop, ``N`` and ``D`` input tokens."""

    def __init__(self, members: dict, crd_width: int, root: bool):
        self.crd_width = check_width("crd_width", crd_width)
        self.root = check_bool("root", root)
        t = token_stream(crd_width)
        ports = {} if root else {"ref": In(t)}
        ports.update({"crd": Out(t), "ref_out": Out(t)})
        ports.update(members)
        super().__init__(ports)

    def _setup(self, m):
        """The input stream (``ref`` or the root source), the two output
        registers and their joint ``free``."""
        if self.root:
            m.submodules.root = src = RootSource(self.crd_width)
            inp = src.o
        else:
            inp = self.ref
        co, ro = OutReg(m, self.crd, "crd"), OutReg(m, self.ref_out, "ref_out")
        free = Signal()
        m.d.comb += free.eq(co.free & ro.free)
        return inp, co, ro, free

    @staticmethod
    def _emit(crd, ref, kind, data=0, ref_data=None):
        crd.load(kind=kind, data=data)
        ref.load(kind=kind, data=data if ref_data is None else ref_data)


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
        ``seg`` (read ``seg[r]`` and ``seg[r+1]`` in the same cycle);
        ``crd_rd: In(read_port(addr_width, crd_width))`` on memory ``crd``;
        ``error: Out(1)``: sticky; a reference ``>= 2**addr_width - 1``
        was taken (its ``seg[r+1]`` lies beyond the memory: the address
        wraps and the fiber read is wrong). Cleared by reset.
    Parameters
        ``crd_width`` 2..64 (default 16); ``addr_width`` 1..crd_width-1
        (default 10; seg entries, up to ``2**addr_width``, must fit
        ``crd_width`` bits; references below ``2**addr_width - 1``); ``root``.
    Timing
        Latency 3 cycles from the first reference to its first coordinate
        (seg read, crd read, output register). Then one output token per
        cycle: the scanner takes input tokens ahead into a three-token
        lookahead (the token whose seg bounds are being read and a two-entry
        queue), so the peek rule, the next fiber's first crd read, empty
        fibers, stop tokens and ``N`` cost no extra cycle. Input tokens are
        taken at most one per cycle, so a run of empty fibers closed by stop
        tokens (two input tokens per output token) goes at the input rate.
        Outputs registered; ``ref.ready`` depends combinationally on the
        output ``ready`` (through the output registers' ``free``).
    """

    def __init__(self, crd_width: int = 16, addr_width: int = 10, root: bool = False):
        check_width("crd_width", crd_width, minimum=2)
        # seg entries (positions up to 2**addr_width) are crd_width wide
        self.addr_width = check_int("addr_width", addr_width, 1, crd_width - 1)
        self.memory_ports = {"seg_lo": "seg", "seg_hi": "seg", "crd_rd": "crd"}
        rp = read_port(addr_width, unsigned(crd_width))
        super().__init__({"seg_lo": In(rp), "seg_hi": In(rp), "crd_rd": In(rp),
                          "error": Out(1)},
                         crd_width, root)

    def elaborate(self, platform):
        m = Module()
        inp, co, ro, free = self._setup(m)
        W, AW = self.crd_width, self.addr_width
        tok = inp.payload
        # Three stages: the input token taken last cycle (``s``; its seg
        # bounds are on the seg ports now), a two-entry queue of tokens with
        # their bounds (``q``), and the emitter. The emitter sees the first
        # two tokens of q + s, so the peek rule and the start of the next
        # fiber (its first crd read is issued one cycle ahead, "primed")
        # cost no cycle.
        kinds = token_layout(W).members["kind"]

        def slot(name):
            return {"v": Signal(name=f"{name}_v"), "kind": Signal(kinds, name=f"{name}_kind"),
                    "data": Signal(W, name=f"{name}_data"),
                    "lo": Signal(W, name=f"{name}_lo"), "hi": Signal(W, name=f"{name}_hi")}

        q0, q1, sr = slot("q0"), slot("q1"), slot("s")
        s = dict(sr, lo=self.seg_lo.data, hi=self.seg_hi.data)
        none = {"v": C(0, 1), "kind": C(0, kinds), "data": C(0, W), "lo": C(0, W),
                "hi": C(0, W)}

        def pick(c, a, b):
            return {k: Mux(c, a[k], b[k]) for k in a}

        # view: the tokens in order (q0, q1, s without gaps; q1 implies q0)
        view = [pick(q0["v"], q0, s),
                pick(q0["v"], pick(q1["v"], q1, s), none),
                pick(q1["v"], s, none)]
        A, B = view[0], view[1]
        n = Signal(2)                      # tokens the emitter consumes this cycle

        stream = Signal()                  # a fiber is streaming: pos < end
        pending = Signal()                 # a fiber (or N) awaits its closing stop
        primed = Signal()                  # crd_rd.data holds crd[lo] of the head
        pos, end = Signal(W), Signal(W)
        m.d.comb += [self.seg_lo.en.eq(0), self.seg_hi.en.eq(0), self.crd_rd.en.eq(0)]

        def read(addr):
            m.d.comb += [self.crd_rd.addr.eq(addr), self.crd_rd.en.eq(1)]

        def nonempty(x):
            return x["v"] & (x["kind"] == Kind.DATA) & (x["lo"] < x["hi"])

        def prime(x):                      # x: the head after this cycle
            with m.If(nonempty(x)):
                read(x["lo"])
            m.d.sync += primed.eq(nonempty(x))

        def close(x, used, after_stop, after_other):
            """Emit the closing stop of a fiber by the peek rule on ``x``."""
            with m.If(x["kind"] == Kind.STOP):
                self._emit(co, ro, Kind.STOP, x["data"] + 1)
                m.d.comb += n.eq(used + 1)
                prime(after_stop)
            with m.Else():
                self._emit(co, ro, Kind.STOP, 0)
                m.d.comb += n.eq(used)
                prime(after_other)

        with m.If(stream):
            with m.If(free):
                self._emit(co, ro, Kind.DATA, self.crd_rd.data, pos)
                m.d.sync += pos.eq(pos + 1)
                with m.If(pos + 1 < end):
                    read(pos + 1)
                with m.Else():
                    m.d.sync += [stream.eq(0), pending.eq(1)]
                    prime(A)
        with m.Elif(pending):
            with m.If(free & A["v"]):
                m.d.sync += pending.eq(0)
                close(A, 0, B, A)
        with m.Elif(A["v"]):
            with m.Switch(A["kind"]):
                with m.Case(Kind.DATA):
                    with m.If(A["lo"] < A["hi"]):
                        with m.If(~primed):
                            read(A["lo"])
                            m.d.sync += primed.eq(1)
                        with m.Elif(free):
                            self._emit(co, ro, Kind.DATA, self.crd_rd.data, A["lo"])
                            m.d.comb += n.eq(1)
                            m.d.sync += [pos.eq(A["lo"] + 1), end.eq(A["hi"])]
                            with m.If(A["lo"] + 1 < A["hi"]):
                                read(A["lo"] + 1)
                                m.d.sync += [stream.eq(1), primed.eq(0)]
                            with m.Else():
                                m.d.sync += pending.eq(1)
                                prime(B)
                    with m.Elif(free & B["v"]):            # empty fiber: closing only
                        close(B, 1, view[2], B)
                with m.Case(Kind.EMPTY):
                    with m.If(free):
                        self._emit(co, ro, Kind.EMPTY)
                        m.d.comb += n.eq(1)
                        m.d.sync += pending.eq(1)
                        prime(B)
                with m.Case(Kind.STOP):
                    with m.If(free):
                        self._emit(co, ro, Kind.STOP, A["data"] + 1)
                        m.d.comb += n.eq(1)
                        prime(B)
                with m.Case(Kind.DONE):
                    with m.If(free):
                        self._emit(co, ro, Kind.DONE)
                        m.d.comb += n.eq(1)
                        m.d.sync += primed.eq(0)

        # queue update: what is left of the view after consuming n
        nq = Signal(2)                     # valid queue entries
        m.d.comb += nq.eq(q0["v"] + q1["v"])
        rest0 = pick(n == 0, view[0], pick(n == 1, view[1], view[2]))
        rest1 = pick(n == 0, view[1], pick(n == 1, view[2], none))
        for dst, src in ((q0, rest0), (q1, rest1)):
            m.d.sync += [dst[k].eq(src[k]) for k in dst]
        s_leaves = Signal()
        m.d.comb += [s_leaves.eq(nq < n + 2), inp.ready.eq(~sr["v"] | s_leaves)]
        with m.If(s_leaves):
            m.d.sync += sr["v"].eq(0)
        with m.If(inp.valid & inp.ready):
            m.d.sync += [sr["v"].eq(1), sr["kind"].eq(tok.kind), sr["data"].eq(tok.data)]
            m.d.comb += [self.seg_lo.en.eq(1), self.seg_hi.en.eq(1)]
            with m.If((tok.kind == Kind.DATA) & (tok.data >= (1 << AW) - 1)):
                m.d.sync += self.error.eq(1)
        m.d.comb += [self.seg_lo.addr.eq(tok.data), self.seg_hi.addr.eq(tok.data + 1)]
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
        One token per cycle (``dim + 1`` cycles per fiber), latency 1 cycle.
    """

    def __init__(self, crd_width: int = 16, root: bool = False):
        check_width("crd_width", crd_width)
        super().__init__({"dim": In(crd_width)}, crd_width, root)

    def elaborate(self, platform):
        m = Module()
        inp, co, ro, free = self._setup(m)
        W = self.crd_width
        c = Signal(W)
        base = Signal(W)
        tok = inp.payload
        with m.FSM():
            with m.State("IDLE"):
                with m.If(inp.valid & free):
                    m.d.comb += inp.ready.eq(1)
                    with m.Switch(tok.kind):
                        with m.Case(Kind.DATA):
                            b = (tok.data * self.dim)[:W]
                            m.d.sync += [base.eq(b), c.eq(1)]
                            with m.If(self.dim == 0):
                                m.next = "CLOSE"
                            with m.Else():
                                self._emit(co, ro, Kind.DATA, 0, b)
                                with m.If(self.dim == 1):
                                    m.next = "CLOSE"
                                with m.Else():
                                    m.next = "EMIT"
                        with m.Case(Kind.STOP):
                            self._emit(co, ro, Kind.STOP, tok.data + 1)
                        with m.Case(Kind.EMPTY):
                            self._emit(co, ro, Kind.EMPTY)
                            m.next = "CLOSE"
                        with m.Case(Kind.DONE):
                            self._emit(co, ro, Kind.DONE)
            with m.State("EMIT"):
                with m.If(free):
                    self._emit(co, ro, Kind.DATA, c, (base + c)[:W])
                    m.d.sync += c.eq(c + 1)
                    with m.If(c + 1 == self.dim):
                        m.next = "CLOSE"
            with m.State("CLOSE"):
                with m.If(inp.valid & free):
                    with m.If(tok.kind == Kind.STOP):
                        m.d.comb += inp.ready.eq(1)
                        self._emit(co, ro, Kind.STOP, tok.data + 1)
                    with m.Else():
                        self._emit(co, ro, Kind.STOP, 0)
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
