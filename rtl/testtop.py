"""Test top: a primitive plus the memories behind its memory ports.

Benches and the formal harness want a design whose only interfaces are
streams and plain signals. :class:`MemTestTop` wraps a primitive, creates one
:class:`rtl.ram.Ram` per memory name in
``dut.memory_ports`` (depth ``2**addr_width`` of the port), connects the
primitive's read and write ports to it (each read port with the latency the
primitive asks for, :func:`rtl.ram.read_latency`), and exposes

* ``load_<mem>: Out(write_port(...))`` for every memory the primitive reads:
  the bench (or host) writes the contents before starting the streams;
* ``dump_<mem>: Out(read_port(...))`` for every memory the primitive writes:
  the bench reads the results back after ``D``, with read latency 2
  (``DUMP_READ_LATENCY``: the RAM's output register, so the readback is
  never the critical path of a synthesized test top).

``init={mem: [values]}`` gives initial contents (for Amaranth-simulator
tests; the cocotb benches load through ``load_*`` so one build serves many
vectors). ``ram_target`` picks the :class:`rtl.ram.Ram` implementation
(``"ecp5"`` for ECP5 synthesis: DP16KD block RAMs). Every other member of the primitive (streams, configuration inputs, status
outputs) is forwarded under the same name.
"""

from __future__ import annotations

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .ram import RAM_TARGETS, Ram, read_latency
from .stream import is_read_port, is_write_port, read_port, write_port

__all__ = ["MemTestTop", "memory_specs", "wrap_for_test", "DUMP_READ_LATENCY"]

#: read latency of the ``dump_<mem>`` ports
DUMP_READ_LATENCY = 2


def memory_specs(dut) -> dict[str, dict]:
    """``{mem: {"addr_width", "shape", "read": [ports], "write": [ports]}}``."""
    groups = getattr(dut, "memory_ports", {})
    specs: dict[str, dict] = {}
    for name, member in dut.signature.members.items():
        rd, wr = is_read_port(member), is_write_port(member)
        if not (rd or wr):
            continue
        sig = member.signature.flip() if isinstance(member.signature, wiring.FlippedSignature) \
            else member.signature
        mem = groups.get(name, name)
        spec = specs.setdefault(mem, {"addr_width": sig.addr_width, "shape": sig.shape,
                                      "read": [], "write": []})
        if (spec["addr_width"], spec["shape"]) != (sig.addr_width, sig.shape):
            raise ValueError(f"ports of memory {mem!r} disagree on address width or shape")
        spec["read" if rd else "write"].append(name)
    return specs


class MemTestTop(wiring.Component):
    """``dut`` with its memories inside; see the module docstring."""

    def __init__(self, dut, init: dict | None = None, ram_target: str = "generic"):
        self.dut = dut
        if ram_target not in RAM_TARGETS:
            raise ValueError(f"ram_target must be one of {RAM_TARGETS}, not {ram_target!r}")
        self.ram_target = ram_target
        self.mems = memory_specs(dut)
        self.init = dict(init or {})
        unknown = set(self.init) - set(self.mems)
        if unknown:
            raise ValueError(f"init names unknown memories {sorted(unknown)}; "
                             f"memories: {sorted(self.mems)}")
        members = {}
        for name, member in dut.signature.members.items():
            if not (is_read_port(member) or is_write_port(member)):
                members[name] = member
        for mem, spec in self.mems.items():
            if spec["read"]:
                members[f"load_{mem}"] = Out(write_port(spec["addr_width"], spec["shape"]))
            if spec["write"]:
                members[f"dump_{mem}"] = Out(read_port(spec["addr_width"], spec["shape"]))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = dut = self.dut
        for name, member in dut.signature.members.items():
            if is_read_port(member) or is_write_port(member):
                continue
            ours, theirs = getattr(self, name), getattr(dut, name)
            if member.is_signature:
                wiring.connect(m, wiring.flipped(ours), theirs)
            elif member.flow == In:
                m.d.comb += theirs.eq(ours)
            else:
                m.d.comb += ours.eq(theirs)
        for mem, spec in self.mems.items():
            store = Ram(shape=spec["shape"], depth=1 << spec["addr_width"],
                        init=self.init.get(mem, []), target=self.ram_target)
            m.submodules[f"mem_{mem}"] = store
            for port in spec["read"]:
                wiring.connect(m, getattr(dut, port),
                               store.read_port(latency=read_latency(dut, port)))
            for port in spec["write"]:
                wiring.connect(m, getattr(dut, port), store.write_port())
            if spec["read"]:
                wiring.connect(m, wiring.flipped(getattr(self, f"load_{mem}")), store.write_port())
            if spec["write"]:
                wiring.connect(m, wiring.flipped(getattr(self, f"dump_{mem}")),
                               store.read_port(latency=DUMP_READ_LATENCY))
        return m


def wrap_for_test(dut, ram_target: str = "generic"):
    """``dut`` itself if it has no memory ports, else ``MemTestTop(dut,
    ram_target=ram_target)``."""
    return MemTestTop(dut, ram_target=ram_target) if memory_specs(dut) else dut
