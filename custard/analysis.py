"""Semantic analysis: index sets, formats, schedule and the support check.

:func:`analyze` turns a parsed statement plus formats and a schedule into a
:class:`Plan` (everything the lowering needs, nothing it must re-derive), or
raises :class:`Unsupported` listing *every* problem with its fix.

Rules the lowering relies on (each violation is one :class:`Problem`):

* concordance: every tensor, the output included, is visited in its storage
  order (its level indices appear in the loop order in storage order);
* a reduced index is summed over the smallest subexpression holding all its
  uses (TACO's rule); the loop nest is linear, so every access outside that
  subexpression must be finished (all its indices visited) before the
  reduced index is visited;
* reductions after every output index become ``reduce`` nodes; one reduction
  over the whole right-hand side placed before the last output index becomes
  a sparse accumulator (order 1: ``r,o`` / ``o1,r,o2``; order 2:
  ``r,o1,o2``); other placements are refused;
* a sum cannot add a term that lacks the current index to one that has it
  (SAM visits only coordinates where some operand is stored).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from sam.formats import Format, FormatError

from .parser import Access, BinOp, CustardError, Statement, caret

__all__ = ["Problem", "Unsupported", "Plan", "analyze", "parse_format_flag",
           "parse_schedule", "format_flag"]


@dataclass
class Problem:
    """One reason an input is not supported, with the fix."""
    message: str
    fix: str | None = None
    col: int | None = None
    width: int = 1

    def render(self, text: str | None = None) -> str:
        parts = [self.message]
        if text is not None and self.col is not None:
            parts.append(caret(text, self.col, self.width))
        if self.fix:
            parts.append(f"fix: {self.fix}")
        return "\n".join(parts)


class Unsupported(CustardError):
    """The input is not supported; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem], text: str | None = None):
        self.problems = list(problems)
        if len(problems) == 1:
            p = problems[0]
            super().__init__(p.message, text, p.col, p.width, p.fix)
        else:
            body = "\n".join(f"{k + 1}. " + p.render(text).replace("\n", "\n   ")
                             for k, p in enumerate(problems))
            CustardError.__init__(self, f"{len(problems)} problems:\n{body}")
            self.problems = list(problems)


@dataclass
class Plan:
    """A checked statement, ready to lower."""
    stmt: Statement
    formats: dict[str, Format]          # every tensor, output included
    order: list[str]                    # loop order
    pos: dict[str, int]                 # index -> 1-based loop position
    out_levels: list[str]               # output indices in storage order
    reductions: dict[str, object]       # reduced index -> scope node
    din: dict[int, int]                 # id(node) -> depth its value is computed at
    dout: dict[int, int]                # id(node) -> depth its value lives at
    spacc: dict | None = None           # {"order", "r", "in0", "in1"} or None
    notes: list[str] = field(default_factory=list)

    @property
    def out(self) -> Access:
        return self.stmt.lhs

    @property
    def inputs(self) -> list[Access]:
        return self.stmt.accesses

    def header(self) -> dict[str, str]:
        """The reference DOT header: output first, then inputs in expression order."""
        names = [self.out.name] + [a.name for a in self.inputs]
        return {n: str(self.formats[n]) for n in names}


# --------------------------------------------------------------------------
# flags

_FLAG = re.compile(r"^\s*(?:-f=)?\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$")


def parse_format_flag(text: str) -> tuple[str, Format]:
    """``"C:ss:1,0"`` (or ``"-f=C:ss:1,0"``) -> ``("C", Format)``."""
    m = _FLAG.match(text or "")
    if m is None:
        raise CustardError(f"format flag {text!r} is not of the form T:<levels>[:<mode order>]",
                           fix="write e.g. -f=B:ds or -f=C:ss:1,0 (d = dense, s = compressed)")
    name, rest = m.group(1), m.group(2).strip()
    if rest.lower() in ("", "none"):
        return name, Format.parse("none")
    if not re.fullmatch(r"[A-Za-z]+(:\s*\d+(\s*,\s*\d+)*)?", rest):
        raise CustardError(f"format flag {text!r}: {rest!r} is not <levels>[:<mode order>]",
                           fix=f"write e.g. -f={name}:ss or -f={name}:ss:1,0")
    bad = sorted(set(c for c in rest.split(":")[0] if c not in "ds"))
    if bad:
        raise CustardError(
            f"format flag {text!r}: level letter(s) {', '.join(bad)} not supported",
            fix="use d (dense) or s (compressed) for every level")
    try:
        return name, Format.parse(rest.replace(" ", ""))
    except FormatError as ex:
        raise CustardError(f"format flag {text!r}: {ex}",
                           fix=f"give one letter per level and a permutation, e.g. -f={name}:ss:1,0") from None


def format_flag(name: str, fmt: Format) -> str:
    return f"-f={name}:{fmt.taco()}" if fmt.order else f"-f={name}:none"


def parse_schedule(text) -> list[str] | None:
    """``"reorder(i,k,j)"`` / ``"-s=reorder(i,k,j)"`` / a list -> index list."""
    if text is None:
        return None
    if isinstance(text, (list, tuple)):
        return [str(v) for v in text]
    s = str(text).strip()
    if s.startswith("-s="):
        s = s[3:]
    m = re.fullmatch(r"\s*reorder\s*\(\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*\)\s*", s)
    if m is None:
        raise CustardError(f"schedule {text!r} is not understood",
                           fix="write -s=reorder(i,k,j) with every index variable once")
    return [v.strip() for v in m.group(1).split(",")]


def schedule_flag(order) -> str:
    return f"-s=reorder({','.join(order)})"


# --------------------------------------------------------------------------
# helpers on the tree

def _walk(node, parent=None, out=None):
    if out is None:
        out = []
    out.append((node, parent))
    if isinstance(node, BinOp):
        _walk(node.left, node, out)
        _walk(node.right, node, out)
    return out


def _leaves(node) -> list[Access]:
    if isinstance(node, Access):
        return [node]
    return _leaves(node.left) + _leaves(node.right)


def _first_col(node) -> int:
    return node.col if isinstance(node, Access) else _first_col(node.left)


def _span(stmt: Statement, node) -> tuple[int, int]:
    ls = _leaves(node)
    a, b = ls[0], ls[-1]
    end = b.col + len(str(b)) if not b.indices else b.index_cols[-1] + len(b.indices[-1]) + 1
    return a.col, max(1, end - a.col)


def _src(stmt: Statement, node) -> str:
    c, w = _span(stmt, node)
    return stmt.text[c:c + w]


# --------------------------------------------------------------------------
# analysis

def _structure(stmt: Statement) -> list[Problem]:
    """Errors independent of formats and schedule."""
    probs: list[Problem] = []
    lhs = stmt.lhs
    for a in [lhs] + stmt.accesses:
        seen = {}
        for v, c in zip(a.indices, a.index_cols):
            if v in seen:
                probs.append(Problem(
                    f"index {v} appears twice in the access {a}",
                    f"use a distinct index for each mode of {a.name} (diagonals are not supported)",
                    c, len(v)))
            seen[v] = c
    rhs_idx = {v for a in stmt.accesses for v in a.indices}
    for v, c in zip(lhs.indices, lhs.index_cols):
        if v not in rhs_idx:
            probs.append(Problem(
                f"output index {v} does not appear on the right-hand side",
                f"every index of {lhs.name} must index some right-hand-side tensor; "
                f"remove {v} from {lhs.name} or use it on the right", c, len(v)))
    names: dict[str, Access] = {}
    for a in stmt.accesses:
        if a.name == lhs.name:
            probs.append(Problem(
                f"the output {lhs.name} also appears on the right-hand side",
                "in-place updates are not supported; give the output a new name", a.col, len(a.name)))
        elif a.name in names:
            probs.append(Problem(
                f"tensor {a.name} is used twice",
                f"each tensor may appear once; pass the second use as a separate tensor "
                f"(e.g. rename it {a.name}2)", a.col, len(a.name)))
        else:
            names[a.name] = a
    if not rhs_idx and not lhs.indices:
        probs.append(Problem("the expression has no index variables",
                             "SAM graphs iterate over indices; index at least one tensor",
                             stmt.rhs.col if isinstance(stmt.rhs, Access) else None))
    return probs


def _formats(stmt: Statement, given: dict) -> tuple[dict[str, Format], list[Problem]]:
    probs: list[Problem] = []
    accs = {a.name: a for a in [stmt.lhs] + stmt.accesses}
    fm: dict[str, Format] = {}
    for name, f in (given or {}).items():
        if name not in accs:
            probs.append(Problem(
                f"-f names tensor {name}, which is not in the expression",
                f"tensors are {', '.join(accs)}; fix the name or drop the flag"))
            continue
        try:
            f = Format.parse(f) if not isinstance(f, Format) else f
        except FormatError as ex:
            probs.append(Problem(f"format of {name}: {ex}",
                                 f"write e.g. -f={name}:{'s' * len(accs[name].indices) or 'none'}"))
            continue
        bad = sorted(set(c for c in f.levels if c not in "ds"))
        if bad:
            probs.append(Problem(f"format of {name}: level letter(s) {', '.join(bad)} not supported",
                                 "use d (dense) or s (compressed) for every level"))
            continue
        order = len(accs[name].indices)
        if f.order != order:
            want = "none (a scalar)" if order == 0 else f"{order} level letters, e.g. {'s' * order}"
            probs.append(Problem(
                f"format {f.taco() or 'none'} of {name} has {f.order} level(s) but "
                f"{accs[name]} has {order} mode(s)",
                f"give {want}: -f={name}:{'s' * order if order else 'none'}",
                accs[name].col, len(accs[name].name)))
            continue
        fm[name] = f
    for name, a in accs.items():
        if name not in fm:
            fm[name] = Format.uniform("s", len(a.indices))
    return fm, probs


def _default_order(stmt: Statement) -> list[str]:
    order: list[str] = []
    for a in [stmt.lhs] + stmt.accesses:
        for v in a.indices:
            if v not in order:
                order.append(v)
    return order


def _schedule(stmt: Statement, sched: list[str] | None) -> tuple[list[str], list[Problem]]:
    default = _default_order(stmt)
    if sched is None:
        return default, []
    probs = []
    unknown = [v for v in sched if v not in default]
    dup = sorted({v for v in sched if sched.count(v) > 1})
    if unknown:
        probs.append(Problem(
            f"reorder names index variable(s) {', '.join(unknown)} not in the expression",
            f"the indices are {', '.join(default)}; e.g. {schedule_flag(default)}"))
    if dup:
        probs.append(Problem(f"reorder names {', '.join(dup)} more than once",
                             f"list each index once, e.g. {schedule_flag(default)}"))
    if probs:
        return default, probs
    # TACO reorder: the listed indices take, in the given order, the
    # positions they occupy in the default order; the others stay.
    slots = [k for k, v in enumerate(default) if v in sched]
    order = list(default)
    for k, v in zip(slots, sched):
        order[k] = v
    return order, []


def _support(stmt: Statement, fm: dict[str, Format], order: list[str],
             want_fixes: bool = True) -> tuple[list[Problem], dict]:
    """Support problems for one loop order, and the derived plan pieces."""
    probs: list[Problem] = []
    pos = {v: k + 1 for k, v in enumerate(order)}
    lhs = stmt.lhs

    alt_cache: list = []

    def sched_fix(prefix="give "):
        """A supported loop order for these formats (searched once)."""
        if not want_fixes:
            return None
        if not alt_cache:
            alt_cache.append(_search_order(stmt, fm, order))
        so = alt_cache[0]
        return f"{prefix}{schedule_flag(so)}" if so is not None else None

    # concordance (output included)
    for a in [lhs] + stmt.accesses:
        f = fm[a.name]
        lvl_idx = [a.indices[m] for m in f.mode_order]
        ps = [pos[v] for v in lvl_idx]
        if ps != sorted(ps):
            k = next(k for k in range(len(ps) - 1) if ps[k] > ps[k + 1])
            good = tuple(sorted(range(len(a.indices)), key=lambda m: pos[a.indices[m]]))
            fix = None
            if want_fixes:
                alt = Format(f.levels, good)
                fix = f"give {format_flag(a.name, alt)}"
                so = sched_fix(" or ")
                if so is not None:
                    fix += so
            mo = ",".join(map(str, f.mode_order))
            probs.append(Problem(
                f"{a.name} is stored {''.join(f.levels)} with mode order {mo} but the loop "
                f"order visits {lvl_idx[k + 1]} before {lvl_idx[k]}",
                fix, a.col, len(a.name)))

    # reductions and their scopes
    nodes = _walk(stmt.rhs)
    parent = {id(n): p for n, p in nodes}
    out_idx = set(lhs.indices)
    reduced = [v for v in order if v not in out_idx]

    def ancestors(n):
        path = [n]
        while parent[id(path[-1])] is not None:
            path.append(parent[id(path[-1])])
        return path

    scope: dict[str, object] = {}
    for r in reduced:
        users = [a for a in stmt.accesses if r in a.indices]
        paths = [ancestors(a) for a in users]
        common = None
        for cand in paths[0]:
            if all(any(cand is x for x in p) for p in paths[1:]):
                common = cand
                break
        # sum_r (a * b) * c == sum_r a * b * c: a sum scoped to a factor of a
        # product covers the whole product (exact; it keeps the nest linear).
        while parent[id(common)] is not None and parent[id(common)].op == "*":
            common = parent[id(common)]
        scope[r] = common
    attached: dict[int, list[str]] = {}
    for r, s in scope.items():
        attached.setdefault(id(s), []).append(r)
    maxo = max((pos[v] for v in out_idx), default=0)
    din: dict[int, int] = {}
    dout: dict[int, int] = {}

    def depths(n, outer):
        dout[id(n)] = outer
        inner = max([outer] + [pos[r] for r in attached.get(id(n), [])])
        din[id(n)] = inner
        if isinstance(n, BinOp):
            depths(n.left, inner)
            depths(n.right, inner)
    depths(stmt.rhs, maxo)

    leaves = _leaves(stmt.rhs)
    spacc = None
    nontrail = [r for r in reduced if pos[r] < maxo]
    if nontrail:
        r = nontrail[0]
        lv = [lhs.indices[m] for m in fm[lhs.name].mode_order]
        pat = None
        trailing = [t for t in reduced if t != r]
        if (len(nontrail) == 1 and all(scope[t] is stmt.rhs for t in reduced)
                and order[len(order) - len(trailing):] == trailing):
            k = order.index(r)
            before, after = order[:k], order[k + 1:len(order) - len(trailing)]
            # outputs in storage order around r: o1..om r o(m+1)..on
            if before + after == lv and len(after) in (1, 2):
                if len(after) == 2:
                    pat = {"order": 2, "r": r, "in0": after[1], "in1": after[0]}
                elif before:
                    pat = {"order": 1, "r": r, "in0": after[0], "in1": before[-1]}
                else:
                    pat = {"order": 1, "r": r, "in0": after[0], "in1": None}
        if pat is None:
            firsts = [v for v in order if v in out_idx]
            why = ("a sparse accumulator handles one reduction over the whole right-hand "
                   "side, followed by one or two output indices (orders 1 and 2, output "
                   "indices in storage order) and then only reductions")
            probs.append(Problem(
                f"the loop order visits reduced index {', '.join(nontrail)} before output "
                f"index {firsts[-1]}; {why}",
                sched_fix() or "move the reduced indices after the output indices"))
            # the linear-nest and sum checks below would only restate this
            return probs, {"pos": pos, "scope": scope, "din": din, "dout": dout, "spacc": None}
        spacc = pat

    for r in reduced:
        s = scope[r]
        inside = {id(x) for x in _leaves(s)}
        for leaf in leaves:
            if id(leaf) in inside:
                continue
            if din[id(leaf)] >= pos[r]:
                probs.append(Problem(
                    f"the sum over {r} covers only {_src(stmt, s)}, but {leaf} is still "
                    f"being iterated when the loop order reaches {r}; SAM's loop nest is "
                    f"linear, so independent reductions cannot be placed side by side",
                    sched_fix("visit every index of the other terms before " + r + ": ")
                    or "split the expression into two kernels",
                    *_span(stmt, s)))
                break
    if not nontrail:
        for r in reduced:
            s = scope[r]
            if pos[r] <= dout[id(s)]:
                probs.append(Problem(
                    f"the sum over {r} is nested inside another reduction's loop",
                    sched_fix() or "reorder the loops so nested sums come last"))
                break

    # joins: a sum may not add a term lacking the current index
    for v in order:
        p = pos[v]
        bad = _sum_problem(stmt.rhs, v, p, din)
        if bad is not None:
            node, lacking = bad
            probs.append(Problem(
                f"{_src(stmt, lacking)} does not depend on {v} but is added to a term that "
                f"does; SAM visits only the coordinates of {v} where some operand is stored, "
                f"so this sum would need every coordinate",
                "not supported: make every term of the sum depend on " + v,
                node.col, 1))
    info = {"pos": pos, "scope": scope, "din": din, "dout": dout, "spacc": spacc}
    return probs, info


_BCAST = object()


def _sum_problem(node, v, p, din):
    """Find a '+'/'-' that adds a term lacking ``v`` to one having it, among
    the nodes still iterated at loop position ``p``."""
    def go(n):
        if isinstance(n, Access):
            if din[id(n)] < p:
                return None, None
            return (True if v in n.indices else _BCAST), None
        l, bl = go(n.left)
        if bl is not None:
            return None, bl
        r, br = go(n.right)
        if br is not None:
            return None, br
        if l is None or r is None:
            return (l if r is None else r), None
        if n.op == "*":
            return (True if (l is True or r is True) else _BCAST), None
        if (l is True) != (r is True):
            return None, (n, n.right if l is True else n.left)
        return l, None
    return go(node)[1]


def _search_order(stmt: Statement, fm: dict[str, Format], current: list[str]) -> list[str] | None:
    """A supported loop order for these formats, closest to ``current``."""
    idx = list(current)
    if len(idx) > 7:
        return None
    rank = {v: k for k, v in enumerate(current)}
    best = None
    for perm in itertools.permutations(idx):
        perm = list(perm)
        if perm == current:
            continue
        inv = sum(1 for a, b in itertools.combinations(perm, 2) if rank[a] > rank[b])
        if best is not None and inv >= best[0]:
            continue
        probs, _ = _support(stmt, fm, perm, want_fixes=False)
        if not probs:
            best = (inv, perm)
    return best[1] if best else None


def analyze(stmt: Statement, formats: dict | None = None, schedule=None) -> Plan:
    """Check ``stmt`` with ``formats`` (name -> Format or string) and
    ``schedule`` (``reorder(...)`` text or index list); a :class:`Plan` or
    :class:`Unsupported` listing every problem."""
    probs = _structure(stmt)
    if probs:
        raise Unsupported(probs, stmt.text)
    fm, fprobs = _formats(stmt, formats or {})
    order, sprobs = _schedule(stmt, parse_schedule(schedule))
    if fprobs or sprobs:
        raise Unsupported(fprobs + sprobs, stmt.text)
    probs, info = _support(stmt, fm, order)
    if probs:
        raise Unsupported(probs, stmt.text)
    lhs = stmt.lhs
    out_levels = [lhs.indices[m] for m in fm[lhs.name].mode_order]
    return Plan(stmt, fm, order, info["pos"], out_levels,
                {r: s for r, s in info["scope"].items()}, info["din"], info["dout"],
                info["spacc"])
