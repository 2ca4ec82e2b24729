"""``custard`` command line: compile index notation (or a library kernel)
to a SAM graph.

    custard EXPR|NAME [-f=T:<levels>[:<order>]]... [-s=reorder(i,k,j)]
            [-o out.gv] [--json out.json] [--png out.png] [--check] [--list]

Without ``-o``/``--json``/``--png`` the DOT text goes to standard output.
``--check`` only reports whether the input is supported (exit 0) or every
reason it is not, each with its fix (exit 1). Errors are one message and a
non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time

from sam.errors import UserError

from . import KERNELS, check, compile as compile_graph, resolve

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="custard",
        description="Compile tensor index notation to a Sparse Abstract Machine graph.",
        epilog="example: custard 'X(i,j) = B(i,k) * C(k,j)' -f=C:ss:1,0 "
               "-s=reorder(i,j,k) -o matmul.gv")
    p.add_argument("expr", nargs="?", help="index-notation statement or a kernel name (--list)")
    p.add_argument("-f", dest="formats", action="append", default=[], metavar="T:LEVELS[:ORDER]",
                   help="format of tensor T: d (dense) / s (compressed) per level, optional "
                        "mode order, e.g. -f=C:ss:1,0 (repeatable)")
    p.add_argument("-s", dest="schedule", metavar="reorder(...)",
                   help="loop order, e.g. -s=reorder(i,k,j)")
    p.add_argument("-o", dest="out", metavar="FILE.gv", help="write the graph as DOT")
    p.add_argument("--json", metavar="FILE.json", help="write the graph as JSON")
    p.add_argument("--png", metavar="FILE.png", help="draw the graph (needs graphviz)")
    p.add_argument("--check", action="store_true",
                   help="only report whether the input is supported, and why not")
    p.add_argument("--list", action="store_true", help="list the kernel library")
    p.add_argument("--time", action="store_true", help="print the compile time to stderr")
    return p


def _strip_eq(v: str | None) -> str | None:
    return v[1:] if v is not None and v.startswith("=") else v


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out = sys.stdout
    try:
        return _run(args, out)
    except BrokenPipeError:      # e.g. `custard --list | head`
        try:
            sys.stdout = None
        finally:
            return 0


def _run(args, out) -> int:
    if args.list:
        width = max(len(k) for k in KERNELS)
        for k in KERNELS.values():
            fm = " ".join(f"-f={t}:{f}" for t, f in k.formats.items())
            sc = f" -s=reorder({','.join(k.schedule)})" if k.schedule else ""
            out.write(f"{k.name:<{width}}  {k.expr}  {fm}{sc}\n")
        return 0
    if not args.expr:
        sys.stderr.write("error: give an expression or a kernel name (custard --list lists them)\n")
        return 2
    formats = [_strip_eq(f) for f in args.formats]
    schedule = _strip_eq(args.schedule)
    try:
        if args.check:
            text, fm, sched, _ = resolve(args.expr, formats, schedule)
            probs = check(args.expr, formats, schedule)
            if not probs:
                out.write(f"supported: {text}\n")
                return 0
            out.write(f"not supported: {text}\n")
            for k, p in enumerate(probs, 1):
                out.write(f"{k}. " + p.render(text).replace("\n", "\n   ") + "\n")
            return 1
        t0 = time.perf_counter()
        g = compile_graph(args.expr, formats, schedule)
        dt = time.perf_counter() - t0
        if args.time:
            sys.stderr.write(f"compiled in {dt * 1e3:.1f} ms\n")
        from sam import dot, jsonio
        wrote = False
        if args.out:
            dot.dump(g, args.out)
            wrote = True
        if args.json:
            jsonio.dump(g, args.json)
            wrote = True
        if args.png:
            from sam import render
            render.render_png(g, args.png)
            wrote = True
        if not wrote:
            out.write(dot.dumps(g))
        return 0
    except (UserError, OSError) as ex:
        msg = str(ex)
        sys.stderr.write("error: " + msg + "\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
