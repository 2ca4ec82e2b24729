"""``sam rtl``, ``sam verify`` and ``sam scope``.

    sam rtl GRAPH|KERNEL|EXPR -o DIR [-f T:LEVELS[:ORDER]]... [-s reorder(...)]
            [--fifo-depth N] [--data-width W] [--crd-width W]
            [--mem-depth D] [--mem-depth ARRAY=D]... [--spacc-dim N] [--counters]
            [--ram generic|ecp5] [--no-png]
    sam verify GRAPH|DIR|KERNEL -i B=B.mtx [-i c=3]... [--sim icarus|verilator]
            [--seed N] [--stall P] [--waves FILE.fst|FILE.vcd] [-o X=out.npy|out.mtx]
            (+ the generator options)
    sam scope [--markdown]

GRAPH is a ``.gv``/``.dot``/``.json`` file; anything else that is not a
directory is compiled with Custard (a library kernel name, or an expression
with ``-f``/``-s``). ``-o DIR`` may contain ``{name}`` (the graph's name):
``make rtl`` uses ``-o build/{name}``.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from sam.errors import UserError

__all__ = ["add_rtl_parser", "add_verify_parser", "add_scope_parser", "load_graph_or_expr",
           "params_from_args"]


class RtlCliError(UserError):
    pass


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    return v


def _mem_depth(text: str):
    name, sep, value = text.rpartition("=")
    try:
        v = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--mem-depth {text!r}: give a depth (1024) or ARRAY=DEPTH (B1_crd=4096)") from None
    return (name if sep else None, v)


def _add_gen_options(p):
    g = p.add_argument_group("generator parameters")
    g.add_argument("-f", dest="formats", action="append", default=[], metavar="T:LEVELS[:ORDER]",
                   help="(expressions) format of tensor T, e.g. -f C:ss:1,0 (repeatable)")
    g.add_argument("-s", "--schedule", dest="schedule", metavar="reorder(...)",
                   help="(expressions) loop order, e.g. -s 'reorder(i,k,j)'")
    g.add_argument("--name", help="(expressions) graph name (default: the kernel's)")
    g.add_argument("--fifo-depth", type=_positive, default=2, metavar="N",
                   help="entries of every edge FIFO (default 2)")
    g.add_argument("--data-width", "--val-width", dest="val_width", type=_positive,
                   default=32, metavar="W", help="value bits, signed (default 32)")
    g.add_argument("--crd-width", type=_positive, default=16, metavar="W",
                   help="coordinate/reference bits (default 16)")
    g.add_argument("--mem-depth", type=_mem_depth, action="append", default=[],
                   metavar="[ARRAY=]D", help="entries of every array memory (default 1024), "
                   "or of one array (B1_crd=4096); powers of two; repeatable")
    g.add_argument("--spacc-dim", type=_positive, default=256, metavar="N",
                   help="largest dimension a sparse accumulator reduces into (default 256)")
    g.add_argument("--spacc-outer-dim", type=_positive, default=64, metavar="N",
                   help="largest outer dimension of an order-2 sparse accumulator (default 64)")
    g.add_argument("--watchdog", type=_positive, default=4096, metavar="CYCLES",
                   help="cycles without a token moving before `deadlock` (default 4096)")
    g.add_argument("--counters", action="store_true",
                   help="add per-edge transfer/stall/starve counters to the status space "
                   "(`sam verify --counters` prints them per node next to the golden model)")


def params_from_args(args):
    from .accel import AccelParams
    default, per = 1024, {}
    for name, d in args.mem_depth:
        if name is None:
            default = d
        else:
            per[name] = d
    return AccelParams(fifo_depth=args.fifo_depth, crd_width=args.crd_width,
                       val_width=args.val_width, mem_depth=default, mem_depths=per,
                       spacc_dim=args.spacc_dim, spacc_outer_dim=args.spacc_outer_dim,
                       watchdog=args.watchdog, counters=args.counters)


def load_graph_or_expr(text: str, formats=(), schedule=None, name=None):
    """A graph file, else a Custard kernel name or expression."""
    p = Path(text)
    if p.suffix.lower() in (".gv", ".dot", ".json") or p.is_file():
        if not p.exists():
            raise RtlCliError(f"{p}: no such graph file")
        if formats or schedule:
            raise RtlCliError("-f/-s apply to expressions; a graph file has its formats "
                              "and loop order already")
        from sam.graph import Graph
        return Graph.load(p)
    import custard
    return custard.compile(text, formats=list(formats) or None, schedule=schedule, name=name)


# --------------------------------------------------------------------------
# sam rtl

def add_rtl_parser(sub):
    p = sub.add_parser(
        "rtl", help="generate the accelerator's Verilog for a graph or expression",
        description="Generate a fixed-function accelerator for GRAPH (a .gv/.json "
        "file, a Custard library kernel name, or an expression) and write DIR/<name>.v, "
        "DIR/<name>.json, DIR/<name>.png (with graphviz) and DIR/manifest.json.")
    p.add_argument("graph", metavar="GRAPH|KERNEL|EXPR")
    p.add_argument("-o", "--out", required=True, metavar="DIR",
                   help="output directory; {name} is replaced by the graph name")
    p.add_argument("--no-png", action="store_true", help="do not draw the graph")
    p.add_argument("--ram", choices=("generic", "ecp5"), default="generic",
                   help="memory implementation: generic (behavioural RAMs, simulated by "
                   "`sam verify`; default) or ecp5 (DP16KD block RAMs with output registers "
                   "and registered MULT18X18D multipliers, for an ECP5 flow; not simulated here)")
    _add_gen_options(p)
    p.set_defaults(func=run_rtl)
    return p


def run_rtl(args) -> int:
    from .artifacts import write_artifacts
    graph = load_graph_or_expr(args.graph, args.formats, args.schedule, args.name)
    out = args.out.replace("{name}", graph.name)
    params = replace(params_from_args(args), ram_target=args.ram)
    files = write_artifacts(graph, out, params, png=not args.no_png)
    for kind in ("verilog", "graph", "png", "manifest"):
        if kind in files:
            print(f"wrote {files[kind]}")
    return 0


# --------------------------------------------------------------------------
# sam verify

def add_verify_parser(sub):
    p = sub.add_parser(
        "verify", help="run the generated RTL under cocotb and compare with the golden model",
        description="Build (or reuse a `sam rtl` directory) and run the accelerator under "
        "Icarus or Verilator with random host-side stalls; compare its result with the "
        "golden model. Prints match/mismatch, RTL cycles, the golden model's cycle "
        "estimate and the ideal bound. Exit status 1 on a mismatch, deadlock or timeout.")
    p.add_argument("graph", metavar="GRAPH|DIR|KERNEL|EXPR")
    p.add_argument("-i", "--input", action="append", default=[], metavar="NAME=VALUE",
                   help="input tensor file (.mtx .tns .npy, formatted dir) or scalar; repeat")
    p.add_argument("-o", "--output", action="append", default=[], metavar="NAME=PATH",
                   help="write the RTL's result tensor (.mtx .tns .npy)")
    p.add_argument("--sim", choices=("icarus", "verilator"), default="icarus")
    p.add_argument("--seed", type=int, default=0, help="seed of the host-side stalls")
    p.add_argument("--stall", type=float, default=0.0, metavar="P",
                   help="probability of an idle cycle before each host bus transaction")
    p.add_argument("--timeout-cycles", type=_positive, default=None, metavar="N",
                   help="give up after N cycles (default: 50x the golden model's estimate)")
    p.add_argument("--waves", metavar="FILE", default=None,
                   help="record every signal of the run: FILE.fst under icarus, FILE.vcd "
                   "under verilator (a separate build with tracing on)")
    _add_gen_options(p)
    p.set_defaults(func=run_verify)
    return p


def run_verify(args) -> int:
    from sim.cli import load_inputs, parse_assignment
    from .verify import build, verify
    target = Path(args.graph)
    if target.is_dir():
        built = build(artifacts=target)
        ram = built.manifest.get("params", {}).get("ram_target", "generic")
        if ram != "generic":
            raise RtlCliError(f"{target} was generated with `--ram {ram}` (vendor block RAM "
                              f"and multiplier cells, no simulation model here); regenerate it "
                              f"without --ram to verify it")
        if args.counters and "counters" not in built.manifest["bus"]:
            raise RtlCliError(f"{target} was generated without counters; regenerate it "
                              f"with `sam rtl --counters` or verify the kernel itself")
    else:
        graph = load_graph_or_expr(args.graph, args.formats, args.schedule, args.name)
        built = build(graph, params_from_args(args))
    outputs = [parse_assignment(o, "output") for o in args.output]
    inputs = load_inputs(built.graph, args.input)
    res = verify(None, inputs, built=built, sim=args.sim, seed=args.seed, stall=args.stall,
                 limit_cycles=args.timeout_cycles, waves=args.waves)
    print(res.summary())
    if args.waves:
        print(f"wrote {args.waves}")
    if res.counters is not None:
        print(res.counter_report())
    if res.rtl_output is not None:
        from sam.io import save_tensor
        for name, path in outputs:
            if name != res.rtl_output.name:
                raise RtlCliError(f"output {name} is not produced by the graph (its output "
                                  f"is {res.rtl_output.name})")
            save_tensor(res.rtl_output, path)
            print(f"wrote {path}")
    return 0 if res.ok else 1


# --------------------------------------------------------------------------
# sam scope

def add_scope_parser(sub):
    p = sub.add_parser(
        "scope", help="what has RTL and what is golden-model only",
        description="Print, from the code itself, which primitives and variants have RTL, "
        "the generator's parameter ranges and the accelerator-wide limits.")
    p.add_argument("--markdown", action="store_true",
                   help="print README's generated Known limitations section")
    p.set_defaults(func=run_scope)
    return p


def run_scope(args) -> int:
    from . import scope
    print(scope.markdown() if args.markdown else scope.text(), end="")
    return 0
