"""Host-side driver of a generated accelerator (the bus of :mod:`rtl.accel`).

The driver knows the accelerator only through its manifest
(:meth:`rtl.accel.Accelerator.manifest_body`, written to ``manifest.json``)
and the graph. It never touches a simulator itself: it turns input tensors
into a list of bus writes (:meth:`HostDriver.load_plan`) and read-back
arrays into the result tensor (:meth:`HostDriver.unload`); the transport
(the cocotb bench, or real hardware) moves the words.

Inputs are bound with the golden model's binder (``sim.bind``: the same
format, order and dimension checks as ``sam sim``), then checked against the
hardware: integer values only, values within ``val_width`` (signed),
coordinates and dimensions within ``crd_width``, every array within its
memory, the sparse accumulators' dimension within ``spacc_dim``. Each
failure raises :class:`HostError` (a :class:`sam.errors.UserError`) naming
the array, its size and the generator parameter to raise, before anything
runs.

The output is decoded with :func:`sam.formats.assemble_output` from the raw
level-writer arrays, exactly as the golden model does.

An accelerator built with ``AccelParams(counters=True)`` has three 32-bit
counters per lowered edge in its status space (``manifest["bus"]["counters"]``:
``base``, ``per_edge`` names); :meth:`HostDriver.counter_addresses` lists
the status addresses to read after a run and :meth:`HostDriver.decode_counters`
turns the words into one record per edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sam.errors import UserError
from sam.formats import Format, LEVEL_FORMATS, Tensor, WrittenLevel, assemble_output
from sam.graph import Graph
from sam.lower import lower_graph

__all__ = ["HostError", "HostDriver", "LoadPlan", "EdgeCounters", "integer_tensor"]


class HostError(UserError):
    """Inputs the accelerator cannot take (or a result it could not hold)."""


@dataclass
class LoadPlan:
    """Bus writes for one run and what to read back.

    ``writes``: ``(sel, addr, word)`` triples, words already masked to the
    bus width; ``reads``: ``{"name", "sel", "length_addr"}`` per output
    array; ``dims``: index variable -> size.
    """
    writes: list = field(default_factory=list)
    reads: list = field(default_factory=list)
    dims: dict = field(default_factory=dict)
    words: int = 0

    def to_json(self) -> dict:
        return {"writes": self.writes, "reads": self.reads}


@dataclass
class EdgeCounters:
    """What one lowered edge saw during a run (``AccelParams.counters``):
    ``transfers`` tokens pushed into its FIFO (valid & ready at the
    producer), ``stalled`` cycles the producer offered a token the full FIFO
    refused, ``starved`` cycles the consumer was ready but the FIFO empty;
    cycles counted while the accelerator is busy."""
    index: int
    src: int
    src_port: str
    dst: int
    dst_port: str
    src_name: str
    dst_name: str
    transfers: int
    stalled: int
    starved: int


def _fits(values: np.ndarray, lo: int, hi: int) -> int | None:
    """Index of the first value outside lo..hi, or None."""
    if values.size == 0:
        return None
    bad = np.flatnonzero((values < lo) | (values > hi))
    return int(bad[0]) if bad.size else None


def integer_tensor(t: Tensor) -> Tensor:
    """``t`` with int64 values; a float tensor whose values are all whole
    numbers is converted, anything else raises :class:`HostError`."""
    if t.vals.dtype.kind == "i":
        return t
    v = t.vals
    frac = np.flatnonzero(~np.isfinite(v) | (v != np.round(v)))
    if frac.size:
        k = int(frac[0])
        coords, vals = t.stored_coo()
        at = tuple(int(c) for c in coords[:, k]) if t.order else ()
        raise HostError(
            f"input {t.name}: value {float(v[k])!r} at {at} is not an integer; the RTL datapath "
            f"is integer only (scale and round the values first)")
    return Tensor(t.shape, t.format, [lv.arrays for lv in t.levels], v.astype(np.int64),
                  t.name)


class HostDriver:
    """Driver for the accelerator described by ``manifest`` built from ``graph``."""

    def __init__(self, manifest: dict, graph: Graph):
        self.manifest = manifest
        self.graph = graph
        self.lowered, _ = lower_graph(graph)
        self.params = manifest["params"]
        self.bus = manifest["bus"]
        self.arrays = manifest["arrays"]
        self.registers = manifest["registers"]
        self.outputs = [a for a in self.arrays if a["role"] == "output"]
        self.data_mask = (1 << self.bus["data_width"]) - 1

    # -- loading ----------------------------------------------------------------
    def bind(self, inputs: dict):
        """Golden-model binding of ``inputs`` (``sim.bind``) with integer
        values; returns ``(binding, tensors)``."""
        from sim.bind import bind
        conv = {}
        for name, v in inputs.items():
            if isinstance(v, Tensor):
                conv[name] = integer_tensor(v)
            elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                conv[name] = int(v)
            elif isinstance(v, (float, np.floating)):
                if float(v) != round(float(v)):
                    raise HostError(f"input {name}: {v!r} is not an integer; the RTL "
                                    f"datapath is integer only")
                conv[name] = int(v)
            else:
                conv[name] = v
        b = bind(self.lowered, conv)
        return b, b.tensors

    def load_plan(self, inputs: dict) -> LoadPlan:
        """Check ``inputs`` (tensor name -> Tensor or number) against the
        hardware and return the bus writes; :class:`HostError` otherwise."""
        p = self.params
        cw, vw = p["crd_width"], p["val_width"]
        binding, tensors = self.bind(inputs)
        problems: list[str] = []
        vlo, vhi = -(1 << (vw - 1)), (1 << (vw - 1)) - 1
        for name, t in sorted(tensors.items()):
            k = _fits(t.vals, vlo, vhi)
            if k is not None:
                problems.append(f"input {name}: value {int(t.vals[k])} does not fit in "
                                f"val_width={vw} signed bits ({vlo}..{vhi}); raise --val-width")
            for lv in t.levels:
                if lv.dim > (1 << cw):
                    problems.append(f"input {name}: mode {lv.mode} has size {lv.dim}, more "
                                    f"than crd_width={cw} bits can index ({1 << cw}); raise "
                                    f"--crd-width")
        for sp in self.manifest.get("spaccumulators", []):
            for key, cap, flag in (("index", "dim", "--spacc-dim"),
                                   ("outer_index", "outer_dim", "--spacc-outer-dim")):
                idx = sp.get(key)
                size = binding.dims.get(idx) if idx else None
                if size is not None and size > sp[cap]:
                    problems.append(f"the sparse accumulator's index {idx} has size {size} "
                                    f"but the accelerator holds {sp[cap]}; raise {flag} to "
                                    f"at least {size}")
        writes = []
        for a in self.arrays:
            if a["role"] != "input":
                continue
            t = tensors[a["tensor"]]
            if a["kind"] == "vals":
                data = np.asarray(t.vals, dtype=np.int64)
            else:
                lv = t.levels[t.level_of_mode(a["mode"])]
                data = np.asarray(lv.arrays[a["kind"]], dtype=np.int64)
                k = _fits(data, 0, (1 << cw) - 1)
                if k is not None:
                    problems.append(f"input array {a['name']}: entry {k} = {int(data[k])} "
                                    f"does not fit in crd_width={cw} bits; raise --crd-width")
            if len(data) > a["depth"]:
                need = 1 << max(1, int(len(data) - 1).bit_length())
                problems.append(
                    f"input array {a['name']} has {len(data)} entries but its memory holds "
                    f"{a['depth']}; rebuild with --mem-depth {a['name']}={need} "
                    f"(or --mem-depth {need} for every array)")
                continue
            mask = self.data_mask
            writes.extend([a["sel"], i, int(x) & mask] for i, x in enumerate(data.tolist()))
        for r in self.registers:
            t = tensors[r["tensor"]]
            dim = t.shape[r["mode"]]
            writes.append([0, r["addr"], int(dim)])
        if problems:
            raise HostError("the inputs do not fit the accelerator:\n  " + "\n  ".join(problems)
                            if len(problems) > 1 else problems[0])
        reads = [{"name": a["name"], "sel": a["sel"], "length_addr": a["length_addr"]}
                 for a in self.outputs]
        self._dims = dict(binding.dims)
        return LoadPlan(writes, reads, dict(binding.dims), len(writes))

    # -- unloading --------------------------------------------------------------
    def output_format(self) -> tuple[str, Format, list]:
        """``(tensor name, format, [(storage level, mode, index)])`` of the output."""
        writers = [n for n in self.lowered.nodes.values() if n.type == "fiberwrite"]
        name = writers[0].attrs["tensor"]
        levels = [n for n in writers if n.attrs.get("mode") != "vals"]
        fmt = None
        if name in self.graph.formats:
            try:
                fmt = Format.parse(self.graph.formats[name])
            except ValueError:
                fmt = None
        if fmt is None or fmt.order != len(levels):
            by_mode = sorted(levels, key=lambda n: int(n.attrs["mode"]))
            fmt = Format(tuple(LEVEL_FORMATS[n.attrs.get("format") or "compressed"].letter
                               for n in by_mode),
                         tuple(int(n.attrs["mode"]) for n in by_mode))
        info = []
        for n in levels:
            mode = int(n.attrs["mode"])
            info.append((fmt.level_of_mode(mode), mode, n.attrs.get("index")))
        return name, fmt, sorted(info)

    def unload(self, arrays: dict, lengths: dict | None = None, dims: dict | None = None) -> Tensor:
        """The result tensor from the read-back arrays (array name -> list of
        raw bus words, already cut to their lengths)."""
        dims = dims if dims is not None else self._dims
        name, fmt, levels = self.output_format()
        by_name = {a["name"]: a for a in self.outputs}

        def words(arr_name, signed):
            a = by_name[arr_name]
            w = a["width"]
            v = np.asarray([int(x) & ((1 << w) - 1) for x in arrays[arr_name]], dtype=np.int64)
            if signed and v.size:
                v = np.where(v >> (w - 1) & 1, v - (1 << w), v)
            return v

        shape = [0] * fmt.order
        written = []
        for lvl, mode, idx in levels:
            if idx not in dims:
                raise HostError(f"output {name}: the size of index {idx!r} is unknown")
            shape[mode] = dims[idx]
            written.append(WrittenLevel(words(f"{name}{mode}_crd", False),
                                        words(f"{name}{mode}_seg", False), dims[idx]))
        vals = words(f"{name}_vals", True)
        return assemble_output(tuple(shape), fmt, written, vals, name)

    def check_lengths(self, lengths: dict) -> None:
        """Refuse a result that filled an output memory (it may be cut short)."""
        problems = []
        for a in self.outputs:
            n = lengths[a["name"]]
            if n >= a["depth"]:
                problems.append(
                    f"output array {a['name']} filled its memory ({a['depth']} entries), so "
                    f"the result may be cut short; rebuild with --mem-depth "
                    f"{a['name']}={2 * a['depth']}")
        if problems:
            raise HostError("\n  ".join(problems))

    # -- performance counters -------------------------------------------------
    @property
    def has_counters(self) -> bool:
        """Whether the accelerator was built with ``counters=True``."""
        return "counters" in self.bus

    def counter_addresses(self) -> list[int]:
        """Status-space addresses of every counter (edge-major, the
        ``per_edge`` order within an edge); empty without counters."""
        c = self.bus.get("counters")
        if not c:
            return []
        n = len(c["per_edge"]) * len(self.manifest["edges"])
        return list(range(c["base"], c["base"] + n))

    def decode_counters(self, words) -> list[EdgeCounters]:
        """One :class:`EdgeCounters` per lowered edge from the words read at
        :meth:`counter_addresses`."""
        c = self.bus.get("counters")
        if not c:
            raise HostError("this accelerator has no counters; rebuild it with "
                            "`sam rtl --counters` (AccelParams(counters=True))")
        names = list(c["per_edge"])
        edges = self.manifest["edges"]
        if len(words) != len(names) * len(edges):
            raise HostError(f"expected {len(names) * len(edges)} counter words "
                            f"({len(names)} per edge, {len(edges)} edges), got {len(words)}")
        mask = (1 << c["width"]) - 1
        out = []
        for k, e in enumerate(edges):
            vals = {n: int(words[len(names) * k + j]) & mask for j, n in enumerate(names)}
            out.append(EdgeCounters(k, e["src"], e["src_port"], e["dst"], e["dst_port"],
                                    e["src_name"], e["dst_name"], vals["transfers"],
                                    vals["stalled"], vals["starved"]))
        return out
