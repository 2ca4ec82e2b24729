"""``make bench``: cycle, speed and synthesis benchmarks into ``build/bench/``.

    .venv/bin/python -m bench.run [--out build/bench] [--kernels spmm,spmv]
        [--sizes 32,64] [--densities 0.05,0.2] [--no-rtl] [--no-synth]
        [--no-speed] [--seeds N] [--quick]

Sections (each a key of ``results.json``; ``results.md`` has the tables and
``*.png`` the plots):

* ``kernels``: every library kernel the RTL can build, on the SuiteSparse
  matrices (``/work/shared/data/suitesparse/*.mtx``: their sparsity pattern
  with small integer values, as the RTL datapath is integer) and on random
  operands of growing size and density. Per run: RTL cycles (Verilator, the
  ``sam verify`` bench: result checked against the golden model), the golden
  model's cycle estimate, the ideal bound and the ratios; the three nodes
  with most stall cycles in the golden model.

  The ideal bound (:func:`rtl.verify.ideal_bound`) is a lower bound on the
  cycles of any implementation whose primitives take at most one step per
  cycle and register their outputs: the busiest node's steps (the most
  tokens on one of its ports; for an intersect/union the comparisons, one
  per step, consuming both heads only when they pair) plus the pipeline
  fill to it and drain after it (one cycle per primitive; a node closes its
  output stream only after it has seen ``D`` on every input). It comes from
  the golden model's functional streams and firing logs, so it does not
  depend on FIFO depths or stalls. ``ideal_edge`` (the most tokens on one
  edge, the old bound) is kept as a second column. The synthetic sizes
  start at n=32 (quick mode: n=64) so that the ratio measures throughput
  rather than a short run's fill.
* ``golden_speed``: ``bench.sim_speed`` (functional tokens/s, cycle-mode
  cycles/s).
* ``rtl_speed``: accelerator cycles per wall-clock second under Verilator and
  Icarus (whole ``sam verify`` run: cocotb start-up, host loads and unloads
  included, simulator build excluded).
* ``make_rtl``: wall time of ``make rtl EXPR=spmm`` (median of three).
* ``synth``: per-primitive and whole-spmm-accelerator area and Fmax on ECP5
  (LFE5U-25F, speed 6), from :mod:`rtl.synth`.

Targets checked (``targets`` in the JSON, a table in the markdown): RTL
cycles / ideal <= 1.05 on every kernel run; Fmax >= 200 MHz per primitive
and >= 150 MHz for the spmm accelerator; ``make rtl EXPR=spmm`` < 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
SUITESPARSE = Path(os.environ.get("SAM_SUITESPARSE", ROOT.parent / "shared" / "data" / "suitesparse"))

RATIO_GOAL = 1.05
MAKE_RTL_GOAL_S = 10.0
#: Kernels run by default (the rest with --kernels all): one per dataflow family.
DEFAULT_KERNELS = ("vec_elemmul", "vec_elemadd", "mat_elemmul", "mat_elemadd", "spmv", "spmm",
                   "spmspm_ijk", "spmspm_ikj", "sddmm", "tensor3_elemmul")
#: Free (non-matrix) dimension of dense operands and of vectors next to a
#: SuiteSparse matrix kept small so dense arrays stay within the memories.
DENSE_FREE_DIM = 8


# --------------------------------------------------------------------------
# Inputs

_ACCESS = re.compile(r"([A-Za-z_]\w*)\s*\(([^)]*)\)")


def tensor_indices(expr: str) -> tuple[str, dict[str, tuple[str, ...]]]:
    """``(output name, {input tensor: index variables})`` of ``X(i,j)=B(i,k)*c``;
    scalars map to ``()``."""
    lhs, rhs = expr.split("=", 1)
    out = lhs.split("(")[0].strip()
    ins = {m.group(1): tuple(x.strip() for x in m.group(2).split(",") if x.strip())
           for m in _ACCESS.finditer(rhs)}
    rest = _ACCESS.sub(" ", rhs)
    for name in re.findall(r"[A-Za-z_]\w*", rest):
        ins.setdefault(name, ())
    return out, ins


def _int_values(rng, k):
    return rng.integers(1, 8, k)


def make_inputs(graph, expr: str, dims: dict[str, int], density: float, rng,
                matrix=None) -> dict:
    """Random integer inputs in the formats ``graph`` reads. ``matrix`` (a
    scipy matrix) replaces the first order-2 operand; its shape fixes its
    indices' dimensions."""
    from sam.formats import Tensor
    from sim.bind import expected_formats
    fmts = expected_formats(graph)
    _, ins = tensor_indices(expr)
    dims = dict(dims)
    if matrix is not None:
        first = next(n for n, ix in ins.items() if len(ix) == 2 and n in fmts)
        i0, i1 = ins[first]
        dims[i0], dims[i1] = matrix.shape
    out = {}
    for name, ix in ins.items():
        if name not in fmts:
            continue
        fmt = fmts[name]
        if not ix:
            out[name] = int(rng.integers(1, 5))
            continue
        shape = tuple(dims[i] for i in ix)
        if matrix is not None and name == first:
            m = sp.coo_matrix(matrix)
            a = sp.coo_matrix((_int_values(rng, m.nnz), (m.row, m.col)), shape=m.shape)
            coords, vals = np.vstack([a.row, a.col]), a.data
        elif all(lv == "d" for lv in fmt.levels):
            dense = rng.integers(0, 8, shape)
            out[name] = Tensor.from_dense(dense, fmt, name=name)
            continue
        else:
            total = int(np.prod(shape))
            k = max(1, int(round(density * total)))
            flat = rng.choice(total, size=k, replace=False)
            coords = np.vstack(np.unravel_index(flat, shape))
            vals = _int_values(rng, k)
        out[name] = Tensor.from_coo(coords, vals, shape, fmt, name=name)
    return out


def datasets(kernel, sizes, densities) -> list[dict]:
    """SuiteSparse matrices (kernels with an order-2 operand) and the
    synthetic sweep."""
    _, ins = tensor_indices(kernel.expr)
    out = []
    if any(len(ix) == 2 for ix in ins.values()):
        for path in sorted(SUITESPARSE.glob("*.mtx")):
            out.append({"name": path.stem, "kind": "suitesparse", "path": str(path)})
    for n in sizes:
        for d in densities:
            out.append({"name": f"rand n={n} d={d}", "kind": "synthetic", "n": n, "density": d})
    return out


def _dims_for(kernel, ds) -> dict[str, int]:
    _, ins = tensor_indices(kernel.expr)
    idx = {i for ix in ins.values() for i in ix}
    n = ds.get("n", DENSE_FREE_DIM)
    return {i: n for i in idx}


# --------------------------------------------------------------------------
# Kernel runs

def run_kernel(kernel, ds, params, rng, sim: str = "verilator") -> dict:
    """One ``sam verify`` run plus the golden model's per-node stall counts."""
    import custard
    from sim.engine import run_graph
    from rtl.host import HostDriver
    from rtl.verify import build, verify
    graph = custard.compile(kernel.name)
    matrix = None
    if ds["kind"] == "suitesparse":
        from scipy.io import mmread
        matrix = sp.csr_matrix(mmread(ds["path"]))
    ins = make_inputs(graph, kernel.expr, _dims_for(kernel, ds), ds.get("density", 0.1),
                      rng, matrix)
    built = build(graph, params)
    t0 = time.perf_counter()
    res = verify(None, ins, built=built, sim=sim, seed=0)
    wall = time.perf_counter() - t0
    driver = HostDriver(built.manifest, built.graph)
    _, tensors = driver.bind(ins)
    golden = run_graph(built.graph, tensors, mode="cycle", fifo_depth=params.fifo_depth)
    # the busiest node bounds the run (ideal = its steps + fill); the most
    # back-pressured one shows where FIFOs fill
    stats = golden.stats
    busiest = sorted(stats.items(), key=lambda x: -x[1].get("busy", 0))[:1]
    pressed = sorted(stats.items(), key=lambda x: -x[1].get("stall_out", 0))[:2]
    stalls = busiest + [x for x in pressed if x[1].get("stall_out", 0) and x not in busiest]
    row = {
        "kernel": kernel.name, "dataset": ds["name"], "kind": ds["kind"],
        "n": ds.get("n"), "density": ds.get("density"),
        "nnz": {k: int(np.count_nonzero(v.vals)) for k, v in ins.items() if hasattr(v, "vals")},
        "status": res.status, "rtl_cycles": res.rtl_cycles, "golden_cycles": res.golden_cycles,
        "ideal": res.ideal, "ideal_edge": res.ideal_edge, "pipeline": res.pipeline,
        "sim": sim,
        "sim_wall_s": round(res.wall_s, 3),
        "sim_build_s": round(res.build_s, 2), "total_s": round(wall, 2),
        "top_stalls": [{"node": name, **{k: int(v) for k, v in st.items()}}
                       for name, st in stalls],
    }
    if res.rtl_cycles and res.ideal:
        row["rtl_over_ideal"] = round(res.rtl_cycles / res.ideal, 4)
    if res.rtl_cycles and res.pipeline:
        row["rtl_over_pipeline"] = round(res.rtl_cycles / res.pipeline, 4)
    if res.golden_cycles and res.ideal:
        row["golden_over_ideal"] = round(res.golden_cycles / res.ideal, 4)
    if res.rtl_cycles and res.golden_cycles:
        row["rtl_over_golden"] = round(res.rtl_cycles / res.golden_cycles, 4)
    if res.status != "match":
        row["problem"] = res.difference or "; ".join(res.deadlock_report[:3])
    return row


#: Edge FIFO depth of the kernel runs (``--fifo-depth``; the generator's
#: default unless changed).
FIFO_DEPTH = None


def kernel_params(kernel):
    """Generator parameters that fit every dataset of the sweep."""
    from rtl.accel import AccelParams
    extra = {"fifo_depth": FIFO_DEPTH} if FIFO_DEPTH else {}
    # order-3 operands of the n=64, d=0.2 sweep hold 52k entries: 65536-word
    # memories, whose addresses and lengths need 17-bit coordinates
    order3 = kernel is not None and any(len(ix) == 3 for ix in tensor_indices(kernel.expr)[1].values())
    if order3:
        extra.update(mem_depth=65536, crd_width=17)
    return AccelParams(**{"mem_depth": 8192, "spacc_dim": 1024, "spacc_outer_dim": 64, **extra})


# --------------------------------------------------------------------------
# Other sections

def golden_speed(n: int) -> dict:
    from bench import sim_speed
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        out = sim_speed.main(["--n", str(n), "--density", "0.01"])
    return out


def rtl_speed(sims) -> list[dict]:
    """Accelerator cycles per wall second: spmm on a 64 x 64 operand."""
    from custard.kernels import KERNELS
    k = KERNELS["spmm"]
    rows = []
    for sim in sims:
        r = run_kernel(k, {"name": "rand n=64 d=0.2", "kind": "synthetic", "n": 64,
                           "density": 0.2}, kernel_params(k), np.random.default_rng(1), sim)
        rows.append({"sim": sim, "rtl_cycles": r["rtl_cycles"], "wall_s": r["sim_wall_s"],
                     "cycles_per_s": round(r["rtl_cycles"] / r["sim_wall_s"])
                     if r["rtl_cycles"] else None, "status": r["status"]})
    return rows


def make_rtl_time(repeats: int = 3) -> dict:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        p = subprocess.run(["make", "-s", "rtl", "EXPR=spmm"], cwd=ROOT, capture_output=True,
                           text=True)
        times.append(time.perf_counter() - t0)
        if p.returncode != 0:
            return {"error": (p.stderr or p.stdout).strip().splitlines()[-1:], "times_s": times}
    return {"times_s": [round(t, 2) for t in times], "median_s": round(sorted(times)[len(times) // 2], 2)}


def synthesis(out: Path, seeds, progress) -> dict:
    from rtl import synth as S
    work = out / "synth"
    prims = S.primitive_table(S.primitive_configs(), "ecp5", work / "library",
                              seeds=seeds, progress=progress)
    subprocess.run(["make", "-s", "rtl", "EXPR=spmm"], cwd=ROOT, check=True,
                   capture_output=True)
    acc = S.synth_accelerator(ROOT / "build" / "spmm", "ecp5", seeds=seeds, progress=progress)
    acc.pop("path", None)
    return {"library": [r.to_dict() for r in prims], "spmm": acc}


# --------------------------------------------------------------------------
# Output

def _f(v, nd=2):
    return "-" if v is None else (f"{v:.{nd}f}" if isinstance(v, float) else str(v))


def markdown(res: dict) -> str:
    from rtl.synth import SynthResult, format_table
    L = [f"# Benchmarks ({res['meta']['date']})", "",
         f"Machine: {res['meta']['machine']}; reproduce with `make bench`.", ""]
    t = res.get("targets", [])
    if t:
        L += ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
        L += [f"| {x['target']} | {x['measured']} | {'yes' if x['met'] else '**no**'} |" for x in t]
        L.append("")
    rows = res.get("kernels", [])
    if rows:
        L += ["## Cycles (RTL under Verilator vs golden model vs ideal bound)", "",
              f"Edge FIFO depth {res['meta'].get('fifo_depth', '?')}. Operands: the SuiteSparse "
              "matrix's pattern with integer values 1..7 as the first matrix operand (other "
              f"dimensions {DENSE_FREE_DIM}), or random operands with every dimension n and "
              "density d; dense operands are full.", "",
              "Ideal: the busiest node's steps (tokens on its busiest port; an intersect/union's "
              "comparisons) plus pipeline fill and drain, a lower bound for any implementation "
              "with one step per primitive per cycle (`rtl.verify.ideal_bound`). Pipeline: the "
              "same bound with each RTL primitive's latency, one cycle per edge FIFO and the "
              "run's reset and done cycles (`rtl.verify.pipeline_bound`): what this accelerator "
              "takes if no primitive ever loses a step, so RTL/pipeline is lost throughput with "
              "the fill excluded, and RTL - ideal minus RTL - pipeline is latency.", "",
              "| kernel | dataset | status | RTL cycles | golden | ideal | pipeline | RTL - ideal "
              "| RTL/ideal | RTL/pipeline | golden/ideal | RTL/golden | busiest; most "
              "back-pressured node (golden model) |",
              "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for r in rows:
            st = r.get("top_stalls") or []
            top = "; ".join(f"{x['node']} (busy {x.get('busy', 0)}, stalled out "
                            f"{x.get('stall_out', 0)})" for x in st[:2]) or "-"
            L.append(f"| {r['kernel']} | {r['dataset']} | {r['status']} | {_f(r.get('rtl_cycles'))} "
                     f"| {_f(r.get('golden_cycles'))} | {_f(r.get('ideal'))} "
                     f"| {_f(r.get('pipeline'))} | {_f(_excess(r))} "
                     f"| {_f(r.get('rtl_over_ideal'), 3)} | {_f(r.get('rtl_over_pipeline'), 3)} "
                     f"| {_f(r.get('golden_over_ideal'), 3)} "
                     f"| {_f(r.get('rtl_over_golden'), 3)} | {top} |")
        L.append("")
        L += ["Per kernel: runs within the ratio goal, and RTL - ideal in cycles (a constant "
              "excess over datasets of very different length is pipeline fill and drain, "
              "i.e. latency, not lost throughput):", "",
              f"| kernel | runs <= {RATIO_GOAL} | RTL - ideal (min-max) | worst RTL/ideal "
              f"| RTL - pipeline (min-max) | worst RTL/pipeline |",
              "|---|---:|---:|---:|---:|---:|"]
        for k, rs in _by_kernel(rows).items():
            ex = [_excess(r) for r in rs if _excess(r) is not None]
            ok = sum(1 for r in rs if r["status"] == "match"
                     and (r.get("rtl_over_ideal") or 9) <= RATIO_GOAL)
            worst = max((r.get("rtl_over_ideal") or 0) for r in rs)
            lost = [r["rtl_cycles"] - r["pipeline"] for r in rs
                    if r.get("rtl_cycles") is not None and r.get("pipeline") is not None]
            wp = max((r.get("rtl_over_pipeline") or 0) for r in rs)
            L.append(f"| {k} | {ok} of {len(rs)} | "
                     f"{f'{min(ex)}-{max(ex)}' if ex else '-'} | {worst:.3f} "
                     f"| {f'{min(lost)}-{max(lost)}' if lost else '-'} | {wp:.3f} |")
        L.append("")
    if res.get("skipped"):
        L += ["Kernels without RTL (skipped): " + "; ".join(
            f"{k}: {v}" for k, v in res["skipped"].items()), ""]
    gs = res.get("golden_speed")
    if gs:
        L += ["## Speed", "", f"- golden model (matmul ikj, n={gs['n']}, density {gs['density']}): "
              f"functional {gs['tokens_per_s']:,} tokens/s, cycle mode {gs['cycles_per_s']:,} "
              f"cycles/s ({gs.get('replay_backend')} replay)"]
    for r in res.get("rtl_speed", []):
        L.append(f"- RTL simulation, {r['sim']}: {_f(r['cycles_per_s'])} accelerator cycles/s "
                 f"({r['rtl_cycles']} cycles in {r['wall_s']} s incl. cocotb start-up and host I/O)")
    mr = res.get("make_rtl")
    if mr:
        L.append(f"- `make rtl EXPR=spmm`: median {_f(mr.get('median_s'))} s of {mr.get('times_s')}")
    L.append("")
    sy = res.get("synth")
    if sy:
        lib = [SynthResult.from_dict(d) for d in sy["library"]]
        L += ["## Synthesis (ECP5 LFE5U-25F speed 6, out of context, registered shell)", "",
              "Each primitive alone (representative parameters: crd 16, val 32 bits, "
              "1024-entry memories inside):", "", format_table(lib, markdown=True), ""]
        acc = sy["spmm"]
        w = SynthResult.from_dict(acc["accelerator"])
        L += ["Whole spmm accelerator:", "", format_table([w], markdown=True), ""]
        cp = w.critical_path or {}
        if cp:
            L += [f"Critical path: {cp['delay_ns']} ns (clock-to-out {cp.get('clk_to_q_ns')} ns, "
                  f"logic {cp['logic_ns']} ns, routing {cp['routing_ns']} ns), "
                  f"{cp['logic_levels']} logic levels, "
                  f"from `{cp['from']}` to `{cp['to']}`; through "
                  + " -> ".join(f"`{s}`" for s in cp.get("signals", [])[:8]), ""]
        prims = [SynthResult.from_dict({k: v for k, v in p.items() if k != "nodes"})
                 for p in acc["primitives"]]
        for r, p in zip(prims, acc["primitives"]):
            r.name = f"{r.name} x{len(p['nodes'])}"
        L += ["spmm's primitive configurations alone (xN: instances):", "",
              format_table(prims, markdown=True), ""]
    return "\n".join(L) + "\n"


def plots(res: dict, out: Path) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    files = []
    rows = [r for r in res.get("kernels", []) if r.get("rtl_over_ideal")]
    if rows:
        fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(rows)), 4))
        labels = [f"{r['kernel']}\n{r['dataset']}" for r in rows]
        x = np.arange(len(rows))
        ax.bar(x - 0.2, [r["rtl_over_ideal"] for r in rows], 0.4, label="RTL / ideal")
        ax.bar(x + 0.2, [r.get("golden_over_ideal") or 0 for r in rows], 0.4,
               label="golden / ideal")
        ax.axhline(RATIO_GOAL, color="red", ls="--", lw=1, label=f"goal {RATIO_GOAL}")
        ax.set_xticks(x, labels, rotation=90, fontsize=6)
        ax.set_ylabel("cycles / ideal bound")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "cycles_ratio.png", dpi=120)
        plt.close(fig)
        files.append("cycles_ratio.png")
        syn = [r for r in rows if r["kind"] == "synthetic"]
        kernels = sorted({r["kernel"] for r in syn})
        if kernels:
            fig, axes = plt.subplots(1, len(kernels), figsize=(3 * len(kernels), 3), squeeze=False)
            for ax, k in zip(axes[0], kernels):
                for d in sorted({r["density"] for r in syn if r["kernel"] == k}):
                    pts = sorted((r["n"], r) for r in syn if r["kernel"] == k and r["density"] == d)
                    ns = [p[0] for p in pts]
                    ax.plot(ns, [p[1]["rtl_cycles"] for p in pts], "o-", label=f"RTL d={d}")
                    ax.plot(ns, [p[1]["ideal"] for p in pts], "k:", lw=1)
                ax.set_title(k, fontsize=8)
                ax.set_xlabel("n")
                ax.set_yscale("log")
            axes[0][0].set_ylabel("cycles (dotted: ideal)")
            axes[0][0].legend(fontsize=6)
            fig.tight_layout()
            fig.savefig(out / "cycles_vs_size.png", dpi=120)
            plt.close(fig)
            files.append("cycles_vs_size.png")
    sy = res.get("synth")
    if sy:
        lib = [d for d in sy["library"] if d.get("fmax_mhz")]
        fig, ax = plt.subplots(figsize=(max(6, 0.4 * len(lib)), 4))
        ax.bar(range(len(lib)), [d["fmax_mhz"] for d in lib])
        ax.axhline(200, color="red", ls="--", lw=1, label="primitive goal 200 MHz")
        acc = sy["spmm"]["accelerator"]
        if acc.get("fmax_mhz"):
            ax.axhline(acc["fmax_mhz"], color="gray", ls=":", lw=1,
                       label=f"spmm accelerator {acc['fmax_mhz']:.0f} MHz")
        ax.set_xticks(range(len(lib)), [d["name"] for d in lib], rotation=90, fontsize=6)
        ax.set_ylabel("Fmax (MHz), ECP5-25F speed 6")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "fmax.png", dpi=120)
        plt.close(fig)
        files.append("fmax.png")
    return files


def _excess(r: dict):
    """RTL cycles above the ideal bound (None without both)."""
    if r.get("rtl_cycles") is None or r.get("ideal") is None:
        return None
    return r["rtl_cycles"] - r["ideal"]


def _by_kernel(rows) -> dict:
    out: dict = {}
    for r in rows:
        out.setdefault(r["kernel"], []).append(r)
    return out


def targets(res: dict) -> list[dict]:
    out = []
    rows = [r for r in res.get("kernels", [])]
    if rows:
        worst = max(rows, key=lambda r: r.get("rtl_over_ideal") or float("inf"))
        bad = [r for r in rows if r["status"] != "match" or (r.get("rtl_over_ideal") or 9) > RATIO_GOAL]
        out.append({"target": f"RTL cycles / ideal <= {RATIO_GOAL} on every kernel run",
                    "measured": f"worst {_f(worst.get('rtl_over_ideal'), 3)} ({worst['kernel']}, "
                    f"{worst['dataset']}); {len(bad)} of {len(rows)} runs miss",
                    "met": not bad})
        piped = [r for r in rows if r.get("rtl_over_pipeline")]
        if piped:
            wp = max(piped, key=lambda r: r["rtl_over_pipeline"])
            badp = [r for r in piped if r["rtl_over_pipeline"] > RATIO_GOAL]
            out.append({"target": f"(diagnostic, not an issue target) RTL cycles / pipeline "
                        f"bound <= {RATIO_GOAL}: no throughput lost beyond latency",
                        "measured": f"worst {wp['rtl_over_pipeline']:.3f} ({wp['kernel']}, "
                        f"{wp['dataset']}); {len(badp)} of {len(piped)} runs miss",
                        "met": not badp})
    sy = res.get("synth")
    if sy:
        lib = [d for d in sy["library"] if d.get("fmax_mhz")]
        low = [d for d in lib if d["fmax_mhz"] < 200]
        slow = min(lib, key=lambda d: d["fmax_mhz"]) if lib else None
        out.append({"target": "Fmax >= 200 MHz per primitive (ECP5-25F-6)",
                    "measured": f"{len(low)} of {len(lib)} below; slowest {slow['name']} "
                    f"{slow['fmax_mhz']:.1f} MHz" if slow else "-", "met": not low})
        f = sy["spmm"]["accelerator"].get("fmax_mhz")
        out.append({"target": "Fmax >= 150 MHz, whole spmm accelerator (ECP5-25F-6)",
                    "measured": f"{_f(f, 1)} MHz", "met": bool(f and f >= 150)})
    mr = res.get("make_rtl")
    if mr and mr.get("median_s") is not None:
        out.append({"target": f"make rtl EXPR=spmm < {MAKE_RTL_GOAL_S:g} s",
                    "measured": f"{mr['median_s']} s (median)",
                    "met": mr["median_s"] < MAKE_RTL_GOAL_S})
    return out


# --------------------------------------------------------------------------

def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    p.add_argument("--out", default="build/bench")
    p.add_argument("--kernels", default=",".join(DEFAULT_KERNELS),
                   help="comma-separated library kernels, or 'all' (default: %(default)s)")
    p.add_argument("--sizes", default="32,64", help="synthetic sizes n (default %(default)s)")
    p.add_argument("--densities", default="0.05,0.2", help="synthetic densities (default %(default)s)")
    p.add_argument("--no-rtl", action="store_true", help="skip the kernel cycle runs")
    p.add_argument("--no-synth", action="store_true", help="skip synthesis")
    p.add_argument("--no-speed", action="store_true", help="skip the speed measurements")
    p.add_argument("--seeds", type=int, default=1, help="nextpnr seeds (best Fmax of 1..N)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random operands")
    p.add_argument("--fifo-depth", type=int, default=None,
                   help="edge FIFO depth of the kernel runs (default: the generator's)")
    p.add_argument("--render", action="store_true",
                   help="only redo results.md, the targets and the plots from results.json")
    p.add_argument("--quick", action="store_true",
                   help="spmm and spmv on the SuiteSparse matrices and n=64, d=0.2 only")
    a = p.parse_args(argv)
    from tqdm import tqdm
    from custard.kernels import KERNELS
    from sam.errors import UserError
    out = (ROOT / a.out) if not Path(a.out).is_absolute() else Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    global FIFO_DEPTH
    FIFO_DEPTH = a.fifo_depth
    if a.render:
        res = json.loads((out / "results.json").read_text())
        return _finish(res, out)
    names = list(KERNELS) if a.kernels == "all" else [k.strip() for k in a.kernels.split(",") if k.strip()]
    sizes = [int(x) for x in a.sizes.split(",")]
    dens = [float(x) for x in a.densities.split(",")]
    if a.quick:
        names, sizes, dens = ["spmm", "spmv"], [64], [0.2]
    for n in names:
        if n not in KERNELS:
            p.error(f"unknown kernel {n!r}; known: {', '.join(KERNELS)}")
    res = {"meta": {"date": time.strftime("%Y-%m-%d %H:%M"), "machine":
                    f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                    "argv": sys.argv[1:] if argv is None else list(argv),
                    "fifo_depth": kernel_params(None).fifo_depth},
           "kernels": [], "skipped": {}}
    jobs = []
    if not a.no_rtl:
        import custard
        from rtl.accel import unsupported_nodes
        for n in names:
            k = KERNELS[n]
            try:
                bad = unsupported_nodes(custard.compile(n), kernel_params(k))
            except UserError as ex:
                bad = [str(ex)]
            if bad:
                res["skipped"][n] = bad[0]
                continue
            jobs += [("kernel", k, ds) for ds in datasets(k, sizes, dens)]
    if not a.no_speed:
        jobs += [("golden_speed",), ("rtl_speed",), ("make_rtl",)]
    if not a.no_synth:
        jobs.append(("synth",))
    bar = tqdm(jobs, unit="run", dynamic_ncols=True)
    for job in bar:
        kind = job[0]
        bar.set_description(f"{job[1].name}: {job[2]['name']}" if kind == "kernel" else kind)
        try:
            if kind == "kernel":
                res["kernels"].append(run_kernel(job[1], job[2], kernel_params(job[1]),
                                                 np.random.default_rng(a.seed)))
            elif kind == "golden_speed":
                res["golden_speed"] = golden_speed(300 if a.quick else 1000)
            elif kind == "rtl_speed":
                res["rtl_speed"] = rtl_speed(("verilator", "icarus"))
            elif kind == "make_rtl":
                res["make_rtl"] = make_rtl_time()
            elif kind == "synth":
                res["synth"] = synthesis(out, tuple(range(1, a.seeds + 1)),
                                         lambda lbl: bar.set_description(f"synth {lbl}"))
        except (UserError, ValueError, OSError, subprocess.CalledProcessError) as ex:
            where = f"{job[1].name} on {job[2]['name']}" if kind == "kernel" else kind
            tqdm.write(f"bench: {where}: {ex}")
            res.setdefault("errors", []).append({"job": where, "error": str(ex)})
        (out / "results.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    return _finish(res, out)


def _finish(res: dict, out: Path) -> int:
    res["targets"] = targets(res)
    res["plots"] = plots(res, out)
    (out / "results.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    (out / "results.md").write_text(markdown(res))
    print(f"wrote {out / 'results.json'}, {out / 'results.md'}"
          + "".join(f", {out / f}" for f in res["plots"]))
    for t in res["targets"]:
        print(f"{'met   ' if t['met'] else 'MISSED'} {t['target']}: {t['measured']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
