"""Custard: tensor index notation + formats + loop order -> SAM graph.

Python API::

    import custard
    g = custard.compile("X(i,j) = B(i,k) * C(k,j)",
                        formats={"C": "ss:1,0"}, schedule="reorder(i,j,k)")
    g = custard.compile("spmspm_ikj")            # a library kernel
    problems = custard.check("x(i) = b(i) - C(i,j) * d(j)")   # [] if supported

``compile`` returns a validated :class:`sam.graph.Graph` (IR port names of
:mod:`sam.primitives`) whose ``formats`` is the reference DOT header and
whose ``meta`` records the expression and loop order. Bad or unsupported
input raises :class:`CustardError` (a :class:`sam.errors.UserError`) whose
message names every problem and its fix.
"""

from __future__ import annotations

import difflib
import re

from sam.graph import Graph

from .analysis import Plan, Problem, Unsupported, analyze, parse_format_flag, parse_schedule
from .kernels import ALIASES, KERNELS, Kernel, get_kernel
from .lower import lower
from .parser import CustardError, parse

__all__ = ["compile", "check", "plan", "CustardError", "Unsupported", "Problem",
           "KERNELS", "Kernel", "get_kernel", "parse", "resolve", "parse_format_flag",
           "parse_schedule"]


def _formats_dict(formats) -> dict:
    if formats is None:
        return {}
    if isinstance(formats, dict):
        return dict(formats)
    out = {}
    for flag in formats:
        name, fmt = parse_format_flag(flag)
        out[name] = fmt
    return out


def resolve(expr: str, formats=None, schedule=None) -> tuple[str, dict, object, str]:
    """Kernel name or expression -> (expression, formats, schedule, name)."""
    if not isinstance(expr, str):
        raise CustardError(f"expected an expression or a kernel name, got {type(expr).__name__}")
    k = get_kernel(expr.strip())
    if k is None and re.fullmatch(r"\s*[A-Za-z_]\w*\s*", expr):
        near = difflib.get_close_matches(expr.strip(), list(KERNELS) + list(ALIASES), n=3)
        hint = f"did you mean {', '.join(near)}? " if near else ""
        raise CustardError(f"unknown kernel {expr.strip()!r}",
                           fix=f"{hint}`custard --list` lists the kernels; or give an "
                               f"expression such as 'X(i,j) = B(i,k) * C(k,j)'")
    fm = _formats_dict(formats)
    if k is not None:
        merged = dict(k.formats)
        merged.update(fm)
        return k.expr, merged, (schedule if schedule is not None else k.schedule), k.name
    return expr, fm, schedule, "custard"


def plan(expr: str, formats=None, schedule=None) -> Plan:
    """Parse and check; the :class:`Plan` the lowering consumes."""
    text, fm, sched, _ = resolve(expr, formats, schedule)
    return analyze(parse(text), fm, sched)


def compile(expr: str, formats=None, schedule=None, name: str | None = None) -> Graph:
    """Compile an expression (or a library kernel name) to a SAM graph.

    ``formats``: dict tensor -> format (``"ss:1,0"``, ``"ds"``, a
    :class:`sam.formats.Format`) or a list of ``"T:ss:1,0"`` flags; tensors
    not named are all-compressed in identity mode order (a library kernel's
    own formats are the defaults). ``schedule``: ``"reorder(i,k,j)"`` or an
    index list; default: indices in order of first appearance.
    """
    text, fm, sched, kname = resolve(expr, formats, schedule)
    p = analyze(parse(text), fm, sched)
    return lower(p, name or kname)


def check(expr: str, formats=None, schedule=None) -> list[Problem]:
    """Every reason ``expr`` with ``formats``/``schedule`` is not supported
    (each with its fix); ``[]`` when :func:`compile` would succeed."""
    try:
        text, fm, sched, _ = resolve(expr, formats, schedule)
        analyze(parse(text), fm, sched)
    except Unsupported as ex:
        return list(ex.problems)
    except CustardError as ex:
        return [Problem(ex.message, ex.fix, ex.col)]
    return []
