"""Synchronous RAM with read ports of latency 1 or 2.

:class:`Ram` stands in for :class:`amaranth.lib.memory.Memory` wherever a
primitive's memory port is connected (the accelerator generator and the test
tops). It has the same port signatures (:func:`rtl.stream.read_port`,
:func:`rtl.stream.write_port`), so ``wiring.connect`` works unchanged, and
adds a per-port read latency:

* latency 1: ``data`` is ``mem[addr]`` of the last cycle ``en`` was high
  (Amaranth's synchronous read port);
* latency 2: a second register behind the read, advanced by the same
  ``en``: ``data`` is ``mem[addr]`` of the second-to-last cycle ``en`` was
  high. A reader that stalls holds ``en`` low and the whole read pipeline
  holds, so it never needs a skid buffer for in-flight reads. This is the
  FPGA block RAM's optional output register (ECP5 DP16KD ``REGMODE
  "OUTREG"``): its clock-to-out is a flip-flop's instead of the RAM array's
  (measured on ECP5 speed 6: 0.5 ns against 5.8 ns), which is what lets a
  reader run at 200 MHz.

Two implementations, chosen by ``target`` at construction:

* ``"generic"``: :class:`amaranth.lib.memory.Memory` plus, for latency 2, a
  register behind its read port. This is what simulation uses and what
  Yosys maps on any target; Yosys never maps the second register into the
  block RAM, so on ECP5 the RAM array's clock-to-out still ends at it.
* ``"ecp5"``: Lattice ECP5 ``DP16KD`` block RAMs instantiated directly
  (synthesis only; the behavioural equivalent is the generic target). Port
  A is the write port, port B one read port; a RAM with k read ports holds
  k copies of the array, all written by the one write port. Latency 2 is
  ``REGMODE_B "OUTREG"`` with ``CEB = OCEB = en``, latency 1 ``"NOREG"``.
  Each copy is ``ceil(width / w)`` side-by-side tiles in the narrowest
  aspect ratio ``(16384 x 1, 8192 x 2, 4096 x 4, 2048 x 9, 1024 x 18)``
  whose depth covers ``depth``: at most 16384 words (larger depths raise
  ``ValueError``), one write port, no ``init`` (load through the write
  port).

Reads of an address written in the same cycle return the old data on the
generic target and are undefined on ``DP16KD`` (no reader here reads a
memory while it is being written). The read data after reset, before the
first read, is 0 in simulation and undefined in hardware.
"""

from __future__ import annotations

from amaranth.hdl import ClockSignal, Const, Elaboratable, Instance, Module, Shape, Signal, Value
from amaranth.lib import memory

from .stream import check_int, read_port, write_port

__all__ = ["Ram", "READ_LATENCIES", "RAM_TARGETS", "read_latency", "dp16kd_mode"]

#: the read latencies a :class:`Ram` read port can have
READ_LATENCIES = (1, 2)

#: implementations of :class:`Ram` (see the module docstring)
RAM_TARGETS = ("generic", "ecp5")

#: ECP5 DP16KD aspect ratios (depth, data width), widest first; in width w
#: the word address sits on ADx[13:lsb] (lsb below), the lower address pins
#: are unused except ADx[1:0] = byte enables (bits 8:0, 17:9) in x18 mode
#: (Yosys share/lattice/brams_16kd.txt: abits 14, widths 1 2 4 9 18)
DP16KD_MODES = ((1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1))
_DP16KD_ADDR_LSB = {18: 4, 9: 3, 4: 2, 2: 1, 1: 0}


def dp16kd_mode(depth: int) -> tuple[int, int]:
    """``(tile depth, tile width)`` of the widest DP16KD aspect ratio holding
    ``depth`` words; ``ValueError`` above 16384."""
    for tile_depth, width in DP16KD_MODES:
        if depth <= tile_depth:
            return tile_depth, width
    raise ValueError(f"an ecp5 Ram holds at most {DP16KD_MODES[-1][0]} words (one DP16KD "
                     f"deep), not {depth}; use a smaller memory depth or the generic target")


def read_latency(component, member: str) -> int:
    """Read latency a primitive expects on its read port ``member``:
    ``component.read_latency`` (an int for all its read ports, or a dict by
    member name), 1 when absent."""
    lat = getattr(component, "read_latency", 1)
    if isinstance(lat, dict):
        lat = lat.get(member, 1)
    if lat not in READ_LATENCIES:
        raise ValueError(f"{type(component).__name__}.read_latency for {member!r} must be one "
                         f"of {READ_LATENCIES}, not {lat!r}")
    return lat


class Ram(Elaboratable):
    """A RAM of ``depth`` words of ``shape``, with any number of write and
    read ports (see the module docstring for the read timing).

    Parameters
        ``shape``: a shape castable; ``depth``: >= 1 words; ``init``:
        initial contents (a sequence of integers, zero-filled; generic
        target only); ``target``: ``"generic"`` or ``"ecp5"`` (module
        docstring).
    Methods
        :meth:`write_port` and :meth:`read_port` return interfaces with the
        signatures of :func:`rtl.stream.write_port` and
        :func:`rtl.stream.read_port` (not flipped: connect them to a
        primitive's ``In(...)`` member with ``wiring.connect``).
    """

    def __init__(self, *, shape, depth: int, init=(), target: str = "generic"):
        self.shape = Shape.cast(shape)
        self.depth = check_int("depth", depth, 1)
        self.init = list(init)
        if len(self.init) > depth:
            raise ValueError(f"init has {len(self.init)} words, more than depth {depth}")
        if target not in RAM_TARGETS:
            raise ValueError(f"Ram target must be one of {RAM_TARGETS}, not {target!r}")
        self.target = target
        if target == "ecp5":
            dp16kd_mode(depth)
            if any(self.init):
                raise ValueError("an ecp5 Ram has no initial contents (DP16KD INITVAL is not "
                                 "generated); load it through the write port")
        self.addr_width = max(1, (depth - 1).bit_length())
        self._reads: list[tuple[object, int]] = []
        self._writes: list[object] = []

    def read_port(self, *, latency: int = 1):
        if latency not in READ_LATENCIES:
            raise ValueError(f"read latency must be one of {READ_LATENCIES}, not {latency!r}")
        port = read_port(self.addr_width, self.shape).create()
        self._reads.append((port, latency))
        return port

    def write_port(self):
        if self.target == "ecp5" and self._writes:
            raise ValueError("an ecp5 Ram has one write port (DP16KD port A)")
        port = write_port(self.addr_width, self.shape).create()
        self._writes.append(port)
        return port

    def elaborate(self, platform):
        if self.target == "ecp5":
            return self._elaborate_ecp5()
        m = Module()
        m.submodules.mem = mem = memory.Memory(shape=self.shape, depth=self.depth,
                                               init=self.init)
        for port in self._writes:
            wp = mem.write_port()
            m.d.comb += [wp.addr.eq(port.addr), wp.data.eq(port.data), wp.en.eq(port.en)]
        for port, latency in self._reads:
            rp = mem.read_port()
            m.d.comb += [rp.addr.eq(port.addr), rp.en.eq(port.en)]
            if latency == 1:
                m.d.comb += port.data.eq(rp.data)
            else:
                # the RAM's output register: same enable as the array read
                out = Signal(self.shape, name="rd_out")
                with m.If(port.en):
                    m.d.sync += out.eq(rp.data)
                m.d.comb += port.data.eq(out)
        return m

    def _elaborate_ecp5(self):
        m = Module()
        tile_depth, tw = dp16kd_mode(self.depth)
        lsb = _DP16KD_ADDR_LSB[tw]
        width = self.shape.width
        ntiles = -(-width // tw)
        wr = self._writes[0] if self._writes else None

        def addr_pins(prefix, addr, byte_enables):
            pins = {}
            for i in range(14):
                k = i - lsb
                if k >= 0 and k < len(addr):
                    v = addr[k]
                elif tw == 18 and i < 2:
                    v = Const(byte_enables, 1)
                else:
                    v = Const(0, 1)
                pins[f"i_{prefix}{i}"] = v
            return pins

        for r, (port, latency) in enumerate(self._reads):
            rdata = Signal(ntiles * tw, name=f"rd{r}_data")
            for t in range(ntiles):
                lo, hi = t * tw, min(width, (t + 1) * tw)
                args = {
                    "p_DATA_WIDTH_A": tw, "p_DATA_WIDTH_B": tw,
                    "p_REGMODE_A": "NOREG",
                    "p_REGMODE_B": "OUTREG" if latency == 2 else "NOREG",
                    "p_RESETMODE": "SYNC", "p_ASYNC_RESET_RELEASE": "SYNC",
                    "p_CSDECODE_A": "0b000", "p_CSDECODE_B": "0b000",
                    "p_WRITEMODE_A": "NORMAL", "p_WRITEMODE_B": "NORMAL",
                    "p_GSR": "AUTO",
                    "i_CLKA": ClockSignal(), "i_CLKB": ClockSignal(),
                    "i_RSTA": Const(0, 1), "i_RSTB": Const(0, 1),
                    "i_CSA0": Const(0, 1), "i_CSA1": Const(0, 1), "i_CSA2": Const(0, 1),
                    "i_CSB0": Const(0, 1), "i_CSB1": Const(0, 1), "i_CSB2": Const(0, 1),
                    "i_OCEA": Const(1, 1), "i_WEB": Const(0, 1),
                    # the output register holds with the read: CEB = OCEB = en
                    "i_CEB": port.en, "i_OCEB": port.en if latency == 2 else Const(1, 1),
                }
                for b in range(18):
                    args[f"i_DIB{b}"] = Const(0, 1)
                    args[f"i_DIA{b}"] = Value.cast(wr.data)[lo + b] if wr is not None \
                        and lo + b < hi else Const(0, 1)
                    if b < tw:
                        args[f"o_DOB{b}"] = rdata[lo + b]
                if wr is not None:
                    args.update(addr_pins("ADA", wr.addr, 1))
                    args.update({"i_WEA": wr.en, "i_CEA": wr.en})
                else:
                    args.update(addr_pins("ADA", Const(0, 1), 0))
                    args.update({"i_WEA": Const(0, 1), "i_CEA": Const(0, 1)})
                args.update(addr_pins("ADB", port.addr, 0))
                m.submodules[f"rd{r}_bram{t}"] = Instance("DP16KD", **args)
            m.d.comb += port.data.eq(rdata[:width])
        return m
