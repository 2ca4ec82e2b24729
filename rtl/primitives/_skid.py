"""Input head buffer with a registered ``ready`` (a two-entry skid buffer).

Used by the primitives whose consume decision compares token data (ALU,
joiners, crdhold): behind the buffer the decision reads registers, and the
input ``ready`` is a flip-flop, so no path runs from an input's data through
the decision back to an input's ``ready``. The ALU also puts one in front of
its output port (``port`` = an internal stream, the head drives the output):
the pipeline's "output has room" is then the buffer's registered ``ready``.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal

__all__ = ["InBuf"]


class InBuf:
    """Head register plus skid register in front of the ``In`` stream ``port``.

    ``valid``/``payload`` are the head token (registers); drive ``take``
    (combinational, may be high only with ``valid``) to consume it. The port's
    ``ready`` is ``~skid_valid`` (a flip-flop). Latency 1 cycle (a token
    accepted in cycle t is the head in t+1); with ``take`` high every cycle
    the buffer passes one token per cycle.

    ``flags`` maps names to functions of a payload returning a 1-bit value;
    each is computed on the way in and registered with the token, so
    ``flags[name]`` of the head costs no logic after the head register.

    ``load`` (high when the head register loads) and ``next`` (the token it
    loads) let a user keep a copy of the head in registers of its own
    (clock enable ``load``, data ``next``), e.g. a DSP block's input
    registers.
    """

    def __init__(self, m: Module, port, name: str, flags: dict | None = None):
        layout = port.payload.shape()
        flags = flags or {}
        self.valid = Signal(name=f"{name}_head_valid")
        self.payload = Signal(layout, name=f"{name}_head")
        self.flags = {k: Signal(name=f"{name}_head_{k}") for k in flags}
        self.take = Signal(name=f"{name}_take")
        skid_valid = Signal(name=f"{name}_skid_valid")
        skid = Signal(layout, name=f"{name}_skid")
        skid_flags = {k: Signal(name=f"{name}_skid_{k}") for k in flags}
        m.d.comb += port.ready.eq(~skid_valid)
        # next-state of both valid bits as plain logic of four flip-flops and
        # ``take`` (one LUT level after ``take``, no sync-reset mapping)
        load = ~self.valid | self.take             # the head is replaced
        self.load = load
        self.next = layout(Mux(skid_valid, skid.as_value(), port.payload.as_value()))
        m.d.sync += [
            self.valid.eq(~load | skid_valid | port.valid),
            skid_valid.eq(~load & (skid_valid | port.valid)),
        ]
        with m.If(~skid_valid):                    # captured; kept only if the head stays
            m.d.sync += skid.eq(port.payload)
            m.d.sync += [skid_flags[k].eq(f(port.payload)) for k, f in flags.items()]
        with m.If(load):
            with m.If(skid_valid):
                m.d.sync += self.payload.eq(skid)
                m.d.sync += [self.flags[k].eq(skid_flags[k]) for k in flags]
            with m.Else():
                m.d.sync += self.payload.eq(port.payload)
                m.d.sync += [self.flags[k].eq(f(port.payload)) for k, f in flags.items()]
