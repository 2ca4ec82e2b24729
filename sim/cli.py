"""``sam sim``: run a graph on the golden model from the command line.

    sam sim GRAPH -i B=B.mtx -i c=c.tns -i b=2.5 [-o X=out.mtx|out.npy|out.tns]
            [--mode functional|cycle] [--fifo-depth N] [--stats stats.json]

GRAPH is a ``.gv``/``.dot`` or ``.json`` graph. Each ``-i NAME=VALUE`` gives
an input: a number is a scalar, anything else a tensor file (``.mtx``,
``.tns``, ``.npy`` or a formatted directory) that is converted to the
format the graph reads it in (from its scanners, else the graph header).
Dimensions come from the files. The result's shape and nnz are printed,
and the cycle count in cycle mode.

:func:`simulate` is the argparse-free core; :func:`add_sim_parser` adds the
sub-command to the ``sam`` console script (``sam/cli.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

from sam.errors import UserError
from sam.graph import Graph

from .bind import SimInputError, expected_formats
from .engine import MODES, SimResult, run_graph

__all__ = ["simulate", "add_sim_parser", "main_sim", "parse_assignment", "SimCliError"]


class SimCliError(UserError):
    """A bad ``sam sim`` argument."""


def parse_assignment(text: str, what: str) -> tuple[str, str]:
    """``"NAME=VALUE"`` -> ``(NAME, VALUE)``; SimCliError naming ``what``
    (``input``/``output``) otherwise."""
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name or not value:
        raise SimCliError(f"{what} {text!r} must look like NAME=VALUE (e.g. B=B.mtx)")
    return name, value


def _number(text: str):
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def _load_graph(path) -> Graph:
    p = Path(path)
    if not p.exists():
        raise SimCliError(f"{p}: no such graph file")
    return Graph.load(p)


def load_inputs(graph: Graph, inputs: list[str]) -> dict:
    """``NAME=VALUE`` strings -> run_graph inputs, converted to the formats the
    graph reads (numbers become scalars)."""
    from sam.io import load_tensor
    want = expected_formats(graph)
    out: dict = {}
    for text in inputs:
        name, value = parse_assignment(text, "input")
        if name in out:
            raise SimCliError(f"input {name} is given twice")
        num = _number(value)
        if num is not None and not Path(value).exists():
            out[name] = num
            continue
        fmt = want.get(name)
        if fmt is not None and fmt.order == 0 and not Path(value).exists():
            raise SimCliError(f"input {name} is a scalar in the graph; give a number "
                              f"({name}=2.5) or a file holding one, not {value!r}")
        t = load_tensor(value, fmt, name=name)
        if fmt is not None and t.format != fmt:
            t = t.convert(fmt)
        out[name] = t
    unknown = sorted(set(out) - set(want))
    if unknown:
        raise SimCliError(f"input{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                          f"not read by the graph (it reads {', '.join(sorted(want)) or 'none'})")
    return out


def simulate(graph_path, inputs: list[str], outputs: list[str] = (), mode: str = "functional",
             fifo_depth: int = 2, stats_path=None) -> SimResult:
    """Run ``graph_path`` on the ``NAME=path|number`` inputs, write the
    ``NAME=path`` outputs (``.mtx``, ``.tns``, ``.npy``, or a formatted
    directory) and, if ``stats_path`` is given, a JSON file with the run's
    numbers (cycles and per-node stats in cycle mode)."""
    if mode not in MODES:
        raise SimCliError(f"unknown mode {mode!r}; use {' or '.join(MODES)}")
    graph = _load_graph(graph_path)
    targets = _output_targets(graph, list(outputs), stats_path)
    ins = load_inputs(graph, list(inputs))
    try:
        res = run_graph(graph, ins, mode=mode, fifo_depth=fifo_depth)
    except SimInputError as ex:
        hint = _tns_shape_hint(list(inputs), ins)
        if hint is None:
            raise
        raise SimInputError(f"{ex}; {hint}") from None
    from sam.io import atomic_output, save_tensor
    for path in targets:
        save_tensor(res.output, path)
    if stats_path:
        info = {"graph": str(graph_path), "mode": mode, "fifo_depth": fifo_depth,
                "tokens": res.tokens, "cycles": res.cycles, "nodes": res.stats}
        if res.output is not None:
            info["output"] = {"name": res.output.name, "shape": list(res.output.shape),
                              "format": str(res.output.format), "nnz": int(res.output.nnz)}
        with atomic_output(Path(stats_path)) as tmp:
            tmp.write_text(json.dumps(info, indent=2) + "\n")
    return res


def _tns_shape_hint(inputs: list[str], tensors: dict) -> str | None:
    """When inputs do not fit, name the .tns inputs whose shape was guessed
    from their largest coordinates (no ``# shape:`` comment)."""
    guessed = []
    for text in inputs:
        name, value = parse_assignment(text, "input")
        p = Path(value)
        if p.suffix.lower() != ".tns" or not p.is_file():
            continue
        with open(p, encoding="utf-8", errors="replace") as fh:
            if any(line.lstrip("# \t").lower().startswith("shape:")
                   for line in fh if line.lstrip().startswith("#")):
                continue
        shape = tensors[name].shape
        guessed.append(f"{p} has no '# shape:' comment, so its shape {tuple(shape)} comes "
                       f"from its largest coordinates; add a line '# shape: "
                       f"{' '.join('d%d' % m for m in range(len(shape)))}' with its true sizes")
    return "; ".join(guessed) or None


def _output_targets(graph: Graph, outputs: list[str], stats_path) -> list[str]:
    """Check every ``NAME=PATH`` output and the stats path before the run, so
    a bad argument costs no simulation and nothing is half-written: the
    name must be the graph's output tensor, the suffix known and the
    directory present. Returns the output paths."""
    from sam.io import OUTPUT_SUFFIXES
    names = sorted({n.attrs.get("tensor") for n in graph.nodes.values()
                    if n.type == "fiberwrite" and n.attrs.get("tensor")})
    paths = []
    for text in outputs:
        name, path = parse_assignment(text, "output")
        if name not in names:
            raise SimCliError(f"output {name} is not produced by the graph (it writes "
                              f"{', '.join(names) or 'nothing'}); "
                              f"use -o {names[0] if names else 'X'}=PATH")
        p = Path(path)
        if p.suffix.lower() not in OUTPUT_SUFFIXES:
            raise SimCliError(f"{p}: unknown output file type {p.suffix!r}; use .mtx, .tns, "
                              f".npy or a directory name (formatted layout)")
        paths.append(path)
    for path in paths + ([stats_path] if stats_path else []):
        parent = Path(path).parent
        if not parent.is_dir():
            raise SimCliError(f"{path}: cannot write: directory {parent} does not exist")
    return paths


def main_sim(args) -> int:
    """Run ``sam sim`` from parsed arguments; prints a short summary."""
    res = simulate(args.graph, args.input or [], args.output or [], args.mode,
                   args.fifo_depth, args.stats)
    out = res.output
    if out is not None:
        print(f"{out.name}: shape {tuple(out.shape)}, format {out.format}, nnz {out.nnz}")
    print(f"tokens: {res.tokens}")
    if res.cycles is not None:
        print(f"cycles: {res.cycles} (fifo depth {args.fifo_depth})")
    return 0


def _depth(text: str) -> int:
    import argparse
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if v < 1:
        raise argparse.ArgumentTypeError("the FIFO depth must be at least 1")
    return v


def add_sim_parser(subparsers):
    """Add ``sim`` to a ``sam`` argparse sub-parser group."""
    p = subparsers.add_parser(
        "sim", help="run a graph on the golden model",
        description="Run a SAM graph on the golden model (functional or "
                    "cycle-approximate) and write its output tensor.")
    p.add_argument("graph", help="graph file (.gv/.dot or .json)")
    p.add_argument("-i", "--input", action="append", metavar="NAME=VALUE",
                   help="input tensor file (.mtx .tns .npy, formatted dir) or scalar number; repeat")
    p.add_argument("-o", "--output", action="append", metavar="NAME=PATH",
                   help="write the output tensor (.mtx .tns .npy, or a directory)")
    p.add_argument("--mode", choices=MODES, default="functional")
    p.add_argument("--fifo-depth", type=_depth, default=2, metavar="N",
                   help="FIFO depth per edge in cycle mode (default 2)")
    p.add_argument("--stats", metavar="JSON", help="write run statistics to this file")
    p.set_defaults(func=main_sim)
    return p
