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

Reads and writes to the same address in the same cycle return the old data
(no reader here writes the memory it reads while running).
"""

from __future__ import annotations

from amaranth.hdl import Elaboratable, Module, Shape, Signal
from amaranth.lib import memory

from .stream import check_int, read_port, write_port

__all__ = ["Ram", "READ_LATENCIES", "read_latency"]

#: the read latencies a :class:`Ram` read port can have
READ_LATENCIES = (1, 2)


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
        initial contents (a sequence of integers, zero-filled).
    Methods
        :meth:`write_port` and :meth:`read_port` return interfaces with the
        signatures of :func:`rtl.stream.write_port` and
        :func:`rtl.stream.read_port` (not flipped: connect them to a
        primitive's ``In(...)`` member with ``wiring.connect``).
    """

    def __init__(self, *, shape, depth: int, init=()):
        self.shape = Shape.cast(shape)
        self.depth = check_int("depth", depth, 1)
        self.init = list(init)
        if len(self.init) > depth:
            raise ValueError(f"init has {len(self.init)} words, more than depth {depth}")
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
        port = write_port(self.addr_width, self.shape).create()
        self._writes.append(port)
        return port

    def elaborate(self, platform):
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
