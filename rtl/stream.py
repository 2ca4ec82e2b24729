"""Shared helpers for the RTL primitives: token streams, memory ports,
output registers and the root-reference source.

Conventions every primitive in :mod:`rtl.primitives` follows (see
``docs/design.md``, "How to write and test an RTL primitive"):

* Every stream port is ``In(token_stream(W))`` or ``Out(token_stream(W))``
  (:func:`rtl.encoding.token_stream`), named after the catalogue port
  (``ref``, ``crd``, ``val``, ``repsig``; ``inp``/``out_<k>`` for broadcast
  because ``in`` is a Python keyword).
* Output streams come from registers (:class:`OutReg`): ``valid`` never
  depends combinationally on any ``ready``, and ``payload`` is stable while
  ``valid & ~ready``. Input ``ready`` may depend combinationally on the
  output ``ready`` (one AND gate); the generator puts a :class:`~rtl.primitives.fifo.Fifo`
  (registered ``ready``) on every edge, which breaks any loop.
* Memories are not inside primitives. A primitive that reads an array has a
  read-port member ``In(read_port(addr_width, shape))`` (it drives ``addr`` and
  ``en``, receives ``data`` one cycle later: a synchronous
  :class:`amaranth.lib.memory.ReadPort`); a writer has a write-port member
  ``In(write_port(addr_width, shape))``. The attribute ``memory_ports`` maps
  each such member to the name of the memory it belongs to (two ports may
  share one memory, e.g. a scanner's ``seg_lo`` and ``seg_hi``).
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import Out

from .encoding import Kind, token_stream, check_width, STOP_LEVEL_BITS

__all__ = [
    "token_stream", "read_port", "write_port", "is_read_port", "is_write_port",
    "is_stream", "stream_ports", "OutReg", "RootSource", "check_int",
    "check_bool", "Kind", "STOP_LEVEL_BITS",
]


def check_int(name: str, value, minimum: int, maximum: int | None = None) -> int:
    """Check an integer parameter at construction; the message names it."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum \
        and (maximum is None or value <= maximum)
    if not ok:
        rng = f"{minimum}..{maximum}" if maximum is not None else f">= {minimum}"
        raise ValueError(f"{name} must be an integer {'in ' if maximum is not None else ''}"
                         f"{rng}, not {value!r}")
    return value


def check_bool(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, not {value!r}")
    return value


def read_port(addr_width: int, shape) -> memory.ReadPort.Signature:
    """Signature of a synchronous memory read port, as seen by the memory.

    A primitive declares ``rd: In(read_port(a, s))``: it drives ``addr`` and
    ``en`` and gets ``data`` on the cycle after ``en`` was high (``data`` holds
    while ``en`` is low). Connect it to ``Memory.read_port()`` with
    :func:`amaranth.lib.wiring.connect`.
    """
    return memory.ReadPort.Signature(addr_width=addr_width, shape=shape)


def write_port(addr_width: int, shape) -> memory.WritePort.Signature:
    """Signature of a memory write port (``addr``, ``data``, ``en``), as seen
    by the memory; a writer declares ``wr: In(write_port(a, s))``."""
    return memory.WritePort.Signature(addr_width=addr_width, shape=shape)


def _flipped_sig(member):
    sig = member.signature
    return sig.flip() if isinstance(sig, wiring.FlippedSignature) else sig


def is_read_port(member) -> bool:
    return member.is_signature and isinstance(_flipped_sig(member), memory.ReadPort.Signature)


def is_write_port(member) -> bool:
    return member.is_signature and isinstance(_flipped_sig(member), memory.WritePort.Signature)


def is_stream(member) -> bool:
    from amaranth.lib import stream
    return member.is_signature and isinstance(member.signature, stream.Signature)


def stream_ports(component) -> dict[str, tuple[str, object]]:
    """``{name: ("in"|"out", payload_shape)}`` for every stream member."""
    out = {}
    for name, member in component.signature.members.items():
        if is_stream(member):
            d = "in" if member.flow == wiring.In else "out"
            out[name] = (d, member.signature.members["payload"].shape)
    return out


class OutReg:
    """Output register for a stream port ``port`` (an ``Out`` stream member).

    ``free`` is high when the register can take a new token this cycle (it is
    empty, or its token is being accepted). Call :meth:`load` under a
    condition that implies ``free``. ``valid`` clears itself after a handshake
    when nothing is loaded, so ``valid``/``payload`` follow the stream rules.
    """

    def __init__(self, m: Module, port, name: str):
        self.port = port
        self.free = Signal(name=f"{name}_free")
        m.d.comb += self.free.eq(~port.valid | port.ready)
        with m.If(port.valid & port.ready):
            m.d.sync += port.valid.eq(0)
        self._m = m

    def load(self, **fields):
        """Emit a token (``kind=...``, ``data=...``); data defaults to 0."""
        m = self._m
        m.d.sync += self.port.valid.eq(1)
        for k, v in fields.items():
            m.d.sync += getattr(self.port.payload, k).eq(v)
        if "data" not in fields and "data" in _fields(self.port.payload):
            m.d.sync += self.port.payload.data.eq(0)


def _fields(view):
    return set(view.shape().members.keys()) if hasattr(view.shape(), "members") else set()


class RootSource(wiring.Component):
    """The root reference stream ``0 D``, emitted once after reset.

    Ports: ``o: Out(token_stream(width))``. Latency: ``0`` is valid in the
    first cycle after reset, ``D`` in the cycle after ``0`` is accepted.
    """

    def __init__(self, width: int):
        self.width = check_width("width", width)
        super().__init__({"o": Out(token_stream(width))})

    def elaborate(self, platform):
        m = Module()
        step = Signal(2)       # 0: emit 0, 1: emit D, 2: finished
        done_word = Kind.DONE.value << self.width
        # one assignment of the whole payload (a comb process of constants
        # only would never run under Icarus: "@* found no sensitivities")
        m.d.comb += [
            self.o.valid.eq(step != 2),
            self.o.payload.as_value().eq(Mux(step == 1, done_word, 0)),
        ]
        with m.If(self.o.valid & self.o.ready):
            m.d.sync += step.eq(step + 1)
        return m
