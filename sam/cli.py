"""The ``sam`` command line.

Subcommands are registered in :data:`COMMANDS`, one line each::

    ("sim", "sim.cli", "add_sim_parser", "run a graph on the golden model"),

``module.function(subparsers)`` adds the subcommand's parser to the argparse
sub-parser group and sets ``func`` (``parser.set_defaults(func=run)``);
``run(args)`` returns the exit status (``None`` means 0). Only the module of
the command being run is imported, so a broken or missing command does not
take the others down.

Errors: every ``ValueError`` (``sam.errors.UserError``, ``GraphError``,
``CatalogueError``, ``TokenError``...) and ``OSError`` that reaches here is
printed as ``sam: error: <message>`` (a multi-problem message continues on
the following lines) with exit status 2, without a traceback unless
``--debug`` is given. Warnings print as ``sam: warning: <message>``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

__all__ = ["COMMANDS", "main", "build_parser", "load_graph"]

#: (name, module, function adding the sub-parser, one-line help)
COMMANDS: list[tuple[str, str, str, str]] = [
    ("sim", "sim.cli", "add_sim_parser", "run a graph on the golden model"),
    ("show", "sam.cli", "add_show_parser",
     "summarise a graph; convert between DOT, JSON and pictures"),
    ("check", "sam.cli", "add_check_parser", "validate a graph and list every problem"),
    ("rtl", "rtl.cli", "add_rtl_parser", "generate the accelerator's Verilog for a graph"),
    ("verify", "rtl.cli", "add_verify_parser", "check the generated RTL against the golden model"),
    ("scope", "rtl.cli", "add_scope_parser", "what has RTL and what is golden-model only"),
    ("synth", "rtl.synth", "add_synth_parser", "Yosys/nextpnr area and Fmax report"),
]

PROG = "sam"
EXIT_ERROR = 2


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("samflow")
    except Exception:   # not installed (running from a source tree)
        return "unknown"


class _Unavailable(Exception):
    pass


def _selected(argv: list[str]) -> str | None:
    """The subcommand named in ``argv`` (first word that is not an option)."""
    names = {c[0] for c in COMMANDS}
    for a in argv:
        if a == "--":
            return None
        if not a.startswith("-"):
            return a if a in names else None
    return None


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser. Only ``selected``'s module is imported; the other
    subcommands get a bare parser (name and help line) so ``--help`` lists them."""
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Sparse Abstract Machine flow: graphs, golden model, hardware.")
    p.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    p.add_argument("--debug", action="store_true",
                   help="show Python tracebacks for errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, module, func, help_ in COMMANDS:
        if name == selected:
            try:
                mod = importlib.import_module(module)
                adder = getattr(mod, func)
            except (ImportError, AttributeError) as ex:
                raise _Unavailable(f"the {name!r} command is not available "
                                   f"({module}.{func}: {ex})") from ex
            before = set(sub.choices)
            adder(sub)
            if name not in sub.choices or name in before:
                raise _Unavailable(f"{module}.{func} did not add a {name!r} sub-parser")
        else:
            sub.add_parser(name, help=help_, add_help=False)
    return p


def _print_error(ex: BaseException) -> None:
    if isinstance(ex, OSError) and ex.filename is not None and ex.strerror:
        msg = f"{ex.filename}: {ex.strerror}"
    else:
        msg = str(ex) or type(ex).__name__
    lines = msg.splitlines() or [""]
    print(f"{PROG}: error: {lines[0]}", file=sys.stderr)
    for line in lines[1:]:
        print(line, file=sys.stderr)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sam`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    selected = _selected(argv)
    # only the global option: a subcommand may have a --debug of its own
    debug = "--debug" in (argv[:argv.index(selected)] if selected else argv)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            parser = build_parser(selected)
            args = parser.parse_args(argv)
            if args.command is None:
                parser.print_help(sys.stderr)
                return EXIT_ERROR
            func = getattr(args, "func", None)
            if func is None:
                raise _Unavailable(f"the {args.command!r} command sets no handler "
                                   "(set_defaults(func=...))")
            rc = func(args)
            return int(rc or 0)
        except (_Unavailable, ValueError, OSError) as ex:
            if debug:
                raise
            _print_error(ex)
            return EXIT_ERROR
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted", file=sys.stderr)
            return 130


# --------------------------------------------------------------------------
# Shared helpers for subcommands

def load_graph(path):
    """Read a graph file (DOT or JSON, see :meth:`sam.graph.Graph.load`)."""
    from .graph import Graph
    return Graph.load(path)


# --------------------------------------------------------------------------
# sam show

def add_show_parser(sub) -> argparse.ArgumentParser:
    """Add ``sam show GRAPH [--json|--dot|--png|--svg OUT] [--edges]``."""
    p = sub.add_parser(
        "show", description="Print a summary of GRAPH (nodes by type, tensors and "
        "formats) and optionally write it in other forms.")
    p.add_argument("graph", metavar="GRAPH", help="graph file (.gv/.dot or .json)")
    p.add_argument("--json", metavar="OUT", help="write the JSON form to OUT")
    p.add_argument("--dot", metavar="OUT", help="write reference-style DOT to OUT")
    p.add_argument("--png", metavar="OUT", help="draw the graph into OUT (graphviz)")
    p.add_argument("--svg", metavar="OUT", help="draw the graph into OUT as SVG (graphviz)")
    p.add_argument("--edges", action="store_true", help="also list every edge with its ports")
    p.set_defaults(func=_run_show)
    return p


def _run_show(args) -> int:
    from . import dot, jsonio, render
    g = load_graph(args.graph)
    print(g.summary())
    if args.edges:
        for n in g.nodes.values():
            print(f"  {n}")
        for e in g.edges:
            print(f"  {e}")
    for out, write in ((args.json, jsonio.dump), (args.dot, dot.dump),
                       (args.png, render.render_png),
                       (args.svg, lambda gr, p: render.render(gr, p, "svg"))):
        if out:
            write(g, out)
            print(f"wrote {out}")
    return 0


# --------------------------------------------------------------------------
# sam check

def add_check_parser(sub) -> argparse.ArgumentParser:
    """Add ``sam check GRAPH...`` (exit status 2 if any graph has a problem)."""
    p = sub.add_parser(
        "check", description="Load GRAPH and validate it: node types and "
        "parameters, every input port driven exactly once, stream types, no "
        "cycles, an output writer. Prints every problem; exit status 2 if any.")
    p.add_argument("graph", metavar="GRAPH", nargs="+", help="graph file(s) (.gv/.dot or .json)")
    p.set_defaults(func=_run_check)
    return p


def _run_check(args) -> int:
    from .graph import GraphError
    failed: list[GraphError] = []
    for path in args.graph:
        try:
            g = load_graph(path)
            g.validate(source=str(path))
        except GraphError as ex:
            if len(args.graph) == 1:
                raise
            _print_error(ex)
            failed.append(ex)
            continue
        print(f"{path}: ok ({len(g.nodes)} nodes, {len(g.edges)} edges)")
    return EXIT_ERROR if failed else 0
