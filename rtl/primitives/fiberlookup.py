"""Level scanners ("fiberlookup"): compressed and dense, with root mode."""

from __future__ import annotations

from amaranth.hdl import Module, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..encoding import Kind, token_stream, check_width
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
        Latency 3 cycles from a reference to its first coordinate (seg read,
        crd read, output register). One token per cycle in steady state: while
        a fiber streams, the scanner reads the seg bounds of the next
        reference (if it has arrived), so back-to-back non-empty fibers take
        ``L + 1`` cycles for their ``L + 1`` tokens. Exceptions (one extra
        cycle each, the seg read latency): the first fiber, a fiber right
        after an empty fiber, a stop token or ``N``, and a reference that
        arrives after its predecessor's last coordinate. An empty fiber takes
        2 cycles. Outputs registered; ``ref.ready`` depends on the output
        ``ready`` through the output registers' ``free``.
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
        W = self.crd_width
        pos = Signal(W + 1)
        end = Signal(W + 1)
        tok = inp.payload
        m.d.comb += [
            self.seg_lo.addr.eq(tok.data),
            self.seg_hi.addr.eq(tok.data + 1),
            self.seg_lo.en.eq(0), self.seg_hi.en.eq(0), self.crd_rd.en.eq(0),
        ]

        pf = Signal()       # seg ports hold the bounds of the (unconsumed) next ref

        def fetch_seg():
            m.d.comb += [inp.ready.eq(1), self.seg_lo.en.eq(1), self.seg_hi.en.eq(1)]
            m.next = "SEG"

        def start_fiber():  # bounds are on the seg ports' data
            lo, hi = self.seg_lo.data, self.seg_hi.data
            m.d.sync += [pos.eq(lo), end.eq(hi)]
            m.d.comb += [self.crd_rd.addr.eq(lo), self.crd_rd.en.eq(lo < hi)]
            with m.If(lo < hi):
                m.next = "EMIT"
            with m.Else():
                m.next = "CLOSE"

        with m.FSM():
            with m.State("IDLE"):
                with m.If(inp.valid):
                    with m.Switch(tok.kind):
                        with m.Case(Kind.DATA):
                            fetch_seg()
                        with m.Case(Kind.STOP):
                            with m.If(free):
                                m.d.comb += inp.ready.eq(1)
                                self._emit(co, ro, Kind.STOP, tok.data + 1)
                        with m.Case(Kind.EMPTY):
                            with m.If(free):
                                m.d.comb += inp.ready.eq(1)
                                self._emit(co, ro, Kind.EMPTY)
                                m.next = "CLOSE"
                        with m.Case(Kind.DONE):
                            with m.If(free):
                                m.d.comb += inp.ready.eq(1)
                                self._emit(co, ro, Kind.DONE)
            with m.State("SEG"):
                start_fiber()
            with m.State("EMIT"):
                nxt = pos + 1
                m.d.comb += self.crd_rd.addr.eq(nxt)
                with m.If(free):
                    self._emit(co, ro, Kind.DATA, self.crd_rd.data, pos)
                    m.d.sync += pos.eq(nxt)
                    with m.If(nxt < end):
                        m.d.comb += self.crd_rd.en.eq(1)
                    with m.Else():
                        m.next = "CLOSE"
                # prefetch the bounds of the next fiber while this one streams
                with m.If(inp.valid & (tok.kind == Kind.DATA) & ~pf):
                    m.d.comb += [self.seg_lo.en.eq(1), self.seg_hi.en.eq(1)]
                    m.d.sync += pf.eq(1)
            with m.State("CLOSE"):
                with m.If(inp.valid & free):
                    with m.If(tok.kind == Kind.STOP):
                        m.d.comb += inp.ready.eq(1)
                        self._emit(co, ro, Kind.STOP, tok.data + 1)
                        m.next = "IDLE"
                    with m.Elif(tok.kind == Kind.DATA):
                        self._emit(co, ro, Kind.STOP, 0)
                        with m.If(pf):
                            m.d.comb += inp.ready.eq(1)
                            start_fiber()
                        with m.Else():
                            fetch_seg()
                    with m.Else():
                        self._emit(co, ro, Kind.STOP, 0)
                        m.next = "IDLE"
        with m.If(inp.valid & inp.ready):
            m.d.sync += pf.eq(0)
            with m.If((tok.kind == Kind.DATA) & (tok.data >= (1 << self.addr_width) - 1)):
                m.d.sync += self.error.eq(1)
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
