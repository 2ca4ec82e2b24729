"""Cycle-approximate timing: replaying firing logs through FIFOs.

The replay knows nothing about primitives. Each node has its firing log
(:mod:`sim.primitive`): one bitmask per firing saying which input ports it
consumes or peeks and which output ports it produces on. Each edge is a FIFO
of ``depth`` tokens. In every cycle, against the state at the start of the
cycle, a node that is not done fires its next firing when

* every input port the firing consumes or peeks holds a token (a token
  produced in cycle ``t`` is visible from cycle ``t + 1``), and
* every FIFO fed by an output port the firing produces on has room
  (fewer than ``depth`` tokens at the start of the cycle);

then all firings of the cycle are applied at once. A node is *busy* in a
cycle when it fires, *stalled on input* when a needed token is missing,
*stalled on output* when its inputs are ready but a FIFO is full. If no node
can fire while some are not done, :class:`DeadlockError` names the blocked
nodes and the occupancy and contents of their FIFOs.

Two implementations give identical numbers: a small C kernel (compiled with
``g++`` on first use into ``$SAMFLOW_CACHE`` or ``~/.cache/samflow`` and
loaded with ctypes) and a pure-Python loop (the fallback, and the
reference the tests compare the kernel with).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sam.tokens import fmt

from .primitive import SimError

__all__ = ["DeadlockError", "CycleResult", "ReplayNet", "replay", "replay_graph",
           "c_backend_available", "BACKENDS"]

BACKENDS = ("auto", "c", "python")


class DeadlockError(SimError):
    """No node can fire but some are not done (e.g. a FIFO too shallow)."""


@dataclass
class CycleResult:
    cycles: int
    #: node id -> {"busy", "stall_in", "stall_out", "firings"}
    per_node: dict = field(default_factory=dict)
    backend: str = "python"


@dataclass
class ReplayNet:
    """The replay problem in flat arrays (what both backends take).

    ``names[n]``, ``nin[n]``, ``logs[n]`` (uint64 array) per node;
    ``in_fifo[n][i]`` = FIFO id feeding input port ``i`` (or -1 if unfed);
    ``out_fifos[n][j]`` = FIFO ids fed by output port ``j``;
    ``fifo_label[f]`` = text naming the edge; ``fifo_tokens[f]`` = the
    stream it carries (for deadlock reports; may be None).
    """
    names: list
    nin: list
    logs: list
    in_fifo: list
    out_fifos: list
    fifo_label: list
    fifo_tokens: list
    node_ids: list


def replay_graph(graph, logs: dict, streams: dict, *, fifo_depth: int = 2,
                 backend: str = "auto") -> CycleResult:
    """Replay the logs of a run of ``graph`` (a lowered graph)."""
    from .engine import node_name
    ids = sorted(graph.nodes)
    pos = {nid: k for k, nid in enumerate(ids)}
    in_fifo = []
    out_fifos = []
    for nid in ids:
        ins, outs = graph.nodes[nid].ports()
        in_fifo.append([-1] * len(ins))
        out_fifos.append([[] for _ in outs])
    labels, toks = [], []
    for e in graph.edges:
        f = len(labels)
        src, dst = graph.nodes[e.src], graph.nodes[e.dst]
        s_ins, s_outs = src.ports()
        d_ins, _ = dst.ports()
        j = list(s_outs).index(e.src_port)
        i = list(d_ins).index(e.dst_port)
        out_fifos[pos[e.src]][j].append(f)
        in_fifo[pos[e.dst]][i] = f
        labels.append(f"{node_name(src)}.{e.src_port} -> {node_name(dst)}.{e.dst_port}")
        toks.append(streams.get((e.src, e.src_port)))
    net = ReplayNet(
        names=[node_name(graph.nodes[n]) for n in ids],
        nin=[len(graph.nodes[n].ports()[0]) for n in ids],
        logs=[np.asarray(logs[n], dtype=np.uint64) for n in ids],
        in_fifo=in_fifo, out_fifos=out_fifos, fifo_label=labels, fifo_tokens=toks,
        node_ids=ids)
    check_logs(net)
    return replay(net, fifo_depth=fifo_depth, backend=backend)


def _bitcount(log: np.ndarray, bit: int) -> int:
    if not len(log):
        return 0
    return int(((log >> np.uint64(bit)) & np.uint64(1)).sum())


def check_logs(net: ReplayNet) -> None:
    """Every FIFO's producer pushes and consumer pops as many tokens as the
    stream holds (a primitive model whose log disagrees with its streams is
    a bug, reported here rather than as a bogus deadlock)."""
    nf = len(net.fifo_label)
    pushed = [None] * nf
    popped = [None] * nf
    for n, log in enumerate(net.logs):
        nin = net.nin[n]
        nout = len(net.out_fifos[n])
        if 2 * nin + nout > 64:
            raise SimError(f"{net.names[n]}: {nin} inputs and {nout} outputs do not fit "
                           f"a 64-bit firing mask")
        for i, f in enumerate(net.in_fifo[n]):
            if f >= 0:
                popped[f] = _bitcount(log, i)
        for j, fs in enumerate(net.out_fifos[n]):
            c = _bitcount(log, 2 * nin + j)
            for f in fs:
                pushed[f] = c
    for f in range(nf):
        want = len(net.fifo_tokens[f]) if net.fifo_tokens[f] is not None else pushed[f]
        if pushed[f] != want or popped[f] != want:
            raise SimError(f"firing logs disagree with the stream on {net.fifo_label[f]}: "
                           f"{want} tokens, producer logs {pushed[f]} pushes, consumer "
                           f"logs {popped[f]} pops (a golden-model bug)")


def replay(net: ReplayNet, *, fifo_depth: int = 2, backend: str = "auto") -> CycleResult:
    """Run the timing model; ``backend`` is ``auto`` (C if it builds, else
    Python), ``c`` or ``python``."""
    if backend not in BACKENDS:
        raise SimError(f"unknown replay backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if fifo_depth < 1:
        raise SimError(f"fifo_depth must be at least 1, got {fifo_depth}")
    if backend in ("auto", "c"):
        lib = _load_kernel(required=backend == "c")
        if lib is not None:
            return _replay_c(lib, net, fifo_depth)
    return _replay_py(net, fifo_depth)


# ---------------------------------------------------------------------------
# Pure Python


def _decode(net: ReplayNet, n: int, m: int):
    nin = net.nin[n]
    need, pop, push = [], [], []
    for i, f in enumerate(net.in_fifo[n]):
        if f < 0:
            continue
        if (m >> i) & 1:
            need.append(f)
            pop.append(f)
        elif (m >> (nin + i)) & 1:
            need.append(f)
    for j, fs in enumerate(net.out_fifos[n]):
        if (m >> (2 * nin + j)) & 1:
            push.extend(fs)
    return tuple(need), tuple(pop), tuple(push)


def _replay_py(net: ReplayNet, depth: int) -> CycleResult:
    nn = len(net.names)
    occ = [0] * len(net.fifo_label)
    logs = [log.tolist() for log in net.logs]
    pos = [0] * nn
    busy = [0] * nn
    st_in = [0] * nn
    st_out = [0] * nn
    cache = [dict() for _ in range(nn)]
    active = [n for n in range(nn) if logs[n]]
    cycles = 0
    while active:
        fired = []
        for n in active:
            m = logs[n][pos[n]]
            dec = cache[n].get(m)
            if dec is None:
                dec = cache[n][m] = _decode(net, n, m)
            need, pop, push = dec
            ok = True
            for f in need:
                if occ[f] == 0:
                    ok = False
                    break
            if not ok:
                st_in[n] += 1
                continue
            for f in push:
                if occ[f] >= depth:
                    ok = False
                    break
            if not ok:
                st_out[n] += 1
                continue
            fired.append((n, pop, push))
        if not fired:
            _deadlock(net, active, pos, occ, depth, cycles)
        for n, pop, push in fired:
            for f in pop:
                occ[f] -= 1
            for f in push:
                occ[f] += 1
            pos[n] += 1
            busy[n] += 1
        cycles += 1
        if any(pos[n] == len(logs[n]) for n, _, _ in fired):
            active = [n for n in active if pos[n] < len(logs[n])]
    return _result(net, cycles, busy, st_in, st_out, "python")


def _result(net, cycles, busy, st_in, st_out, backend) -> CycleResult:
    per = {}
    for n, nid in enumerate(net.node_ids):
        per[nid] = {"busy": int(busy[n]), "stall_in": int(st_in[n]),
                    "stall_out": int(st_out[n]), "firings": int(len(net.logs[n]))}
    return CycleResult(int(cycles), per, backend)


def _deadlock(net: ReplayNet, active, pos, occ, depth, cycle) -> None:
    lines = [f"deadlock at cycle {cycle}: no node can fire (FIFO depth {depth}; a "
             f"branch that buffers more tokens needs a larger --fifo-depth); blocked nodes:"]
    for n in active:
        m = int(net.logs[n][pos[n]])
        need, pop, push = _decode(net, n, m)
        waits = [f for f in need if occ[f] == 0]
        full = [f for f in push if occ[f] >= depth]
        why = []
        if waits:
            why.append("waits for input on " + "; ".join(net.fifo_label[f] for f in waits))
        if full:
            why.append("output FIFO full: " + "; ".join(
                f"{net.fifo_label[f]} holds {_contents(net, f, occ, pos)}" for f in full))
        lines.append(f"  {net.names[n]} (firing {pos[n] + 1} of {len(net.logs[n])}): "
                     + ("; ".join(why) or "blocked"))
    busy_fifos = [f for f in range(len(occ)) if occ[f]]
    if busy_fifos:
        lines.append("non-empty FIFOs:")
        for f in busy_fifos:
            lines.append(f"  {net.fifo_label[f]}: {occ[f]}/{depth} = {_contents(net, f, occ, pos)}")
    raise DeadlockError("\n".join(lines))


def _contents(net: ReplayNet, f: int, occ, pos) -> str:
    """The tokens in FIFO ``f``: the consumer has popped as many as its log
    consumed before its current firing."""
    toks = net.fifo_tokens[f]
    if toks is None:
        return f"{occ[f]} tokens"
    for n, fifos in enumerate(net.in_fifo):
        if f in fifos:
            popped = _bitcount(net.logs[n][:pos[n]], fifos.index(f))
            return f"[{fmt(list(toks[popped:popped + occ[f]]), limit=8)}]"
    return f"{occ[f]} tokens"


# ---------------------------------------------------------------------------
# C kernel

_KERNEL_SRC = Path(__file__).with_name("replay_kernel.c")
_LIB = None
_LIB_ERROR: str | None = None


def _cache_dir() -> Path:
    base = os.environ.get("SAMFLOW_CACHE")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "samflow"


def _load_kernel(required: bool = False):
    """The compiled kernel (built once per source version), or None when no
    compiler is available (``required``: raise instead)."""
    global _LIB, _LIB_ERROR
    if _LIB is not None:
        return _LIB
    if _LIB_ERROR is None:
        try:
            _LIB = _build_kernel()
        except (OSError, subprocess.SubprocessError) as ex:
            _LIB_ERROR = str(ex)
    if _LIB is None and required:
        raise SimError(f"the C replay kernel is not available ({_LIB_ERROR}); "
                       f"install g++ or use backend='python'")
    return _LIB


def _build_kernel():
    """Compile (once per source hash) and load the replay kernel. The
    library is built in a private temporary directory and renamed into the
    cache, so concurrent builders never see a partial file; a cached file
    that does not load (damaged) is rebuilt once."""
    src = _KERNEL_SRC.read_bytes()
    tag = hashlib.sha256(src).hexdigest()[:16]
    so = _cache_dir() / f"sam_replay_{tag}.so"
    if not so.exists():
        _compile_kernel(so)
    try:
        lib = ctypes.CDLL(str(so))
    except OSError:
        _compile_kernel(so)
        lib = ctypes.CDLL(str(so))
    fn = lib.sam_replay
    P = np.ctypeslib.ndpointer
    i32, i64, u64 = np.int32, np.int64, np.uint64
    fn.argtypes = [ctypes.c_int32, P(i64, flags="C"), P(u64, flags="C"),
                   P(i32, flags="C"), P(i32, flags="C"), P(i32, flags="C"),
                   P(i32, flags="C"), P(i32, flags="C"), P(i32, flags="C"),
                   ctypes.c_int32, P(i64, flags="C"), P(i64, flags="C"), P(i64, flags="C"),
                   P(i64, flags="C"), P(i32, flags="C"), P(i64, flags="C")]
    fn.restype = ctypes.c_int
    return lib


def _compile_kernel(so: Path) -> None:
    cxx = shutil.which("g++") or shutil.which("c++") or shutil.which("gcc")
    if cxx is None:
        raise OSError("no C/C++ compiler (g++) on PATH")
    so.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=so.parent) as tmp:
        out = Path(tmp) / so.name
        lang = ["-x", "c++"] if "++" in Path(cxx).name else []
        r = subprocess.run([cxx, "-O2", "-shared", "-fPIC", *lang, str(_KERNEL_SRC),
                            "-o", str(out)], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise OSError(f"compiling {_KERNEL_SRC.name} failed: {r.stderr.strip()[:500]}")
        os.replace(out, so)       # atomic: concurrent builders race safely


def c_backend_available() -> bool:
    return _load_kernel(required=False) is not None


def _replay_c(lib, net: ReplayNet, depth: int) -> CycleResult:
    nn = len(net.names)
    lens = np.array([len(l) for l in net.logs], dtype=np.int64)
    log_off = np.zeros(nn + 1, dtype=np.int64)
    np.cumsum(lens, out=log_off[1:])
    logs = (np.concatenate(net.logs).astype(np.uint64) if nn and log_off[-1]
            else np.zeros(1, dtype=np.uint64))
    nin = np.array(net.nin, dtype=np.int32)
    in_off = np.zeros(nn + 1, dtype=np.int32)
    np.cumsum([len(x) for x in net.in_fifo], out=in_off[1:])
    in_fifo = np.array([f for x in net.in_fifo for f in x] or [0], dtype=np.int32)
    out_off = np.zeros(nn + 1, dtype=np.int32)
    np.cumsum([len(x) for x in net.out_fifos], out=out_off[1:])
    ports = [fs for x in net.out_fifos for fs in x]
    outp_off = np.zeros(len(ports) + 1, dtype=np.int32)
    np.cumsum([len(fs) for fs in ports], out=outp_off[1:])
    out_fifo = np.array([f for fs in ports for f in fs] or [0], dtype=np.int32)
    pos = np.zeros(nn, dtype=np.int64)
    busy = np.zeros(nn, dtype=np.int64)
    st_in = np.zeros(nn, dtype=np.int64)
    st_out = np.zeros(nn, dtype=np.int64)
    occ = np.zeros(max(1, len(net.fifo_label)), dtype=np.int32)
    cycles = np.zeros(1, dtype=np.int64)
    rc = lib.sam_replay(nn, log_off, logs, nin, in_off, in_fifo, out_off, outp_off,
                        out_fifo, depth, pos, busy, st_in, st_out, occ, cycles)
    if rc == 1:
        posl = pos.tolist()
        active = [n for n in range(nn) if posl[n] < lens[n]]
        _deadlock(net, active, posl, occ.tolist(), depth, int(cycles[0]))
    return _result(net, int(cycles[0]), busy, st_in, st_out, "c")
