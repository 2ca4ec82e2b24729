"""Parser for TACO index notation: ``X(i,j) = B(i,k) * C(k,j)``.

Grammar (whitespace is free)::

    statement := access '=' expr
    expr      := term (('+' | '-') term)*
    term      := factor ('*' factor)*
    factor    := access | '(' expr ')'
    access    := NAME [ '(' NAME (',' NAME)* ')' ]      # no parentheses: a scalar

The result is a typed tree (:class:`Access`, :class:`BinOp`,
:class:`Statement`) whose nodes keep their source column, so every later
error can point at the offending text with a caret (:class:`CustardError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sam.errors import UserError

__all__ = ["CustardError", "Access", "BinOp", "Statement", "parse", "caret"]


def caret(text: str, col: int, width: int = 1) -> str:
    """Two lines: ``text`` and a caret under column ``col`` (0-based)."""
    col = max(0, min(col, len(text)))
    return f"    {text}\n    {' ' * col}{'^' * max(1, width)}"


class CustardError(UserError):
    """A problem with the user's expression, formats or schedule.

    ``str(err)`` is the complete message: the problem, the expression with a
    caret under the offending column when there is one, and the fix.
    """

    def __init__(self, message: str, text: str | None = None, col: int | None = None,
                 width: int = 1, fix: str | None = None):
        self.message = message
        self.text = text
        self.col = col
        self.fix = fix
        parts = [message]
        if text is not None and col is not None:
            parts.append(caret(text, col, width))
        if fix:
            parts.append(f"fix: {fix}")
        super().__init__("\n".join(parts))


@dataclass(eq=False)
class Access:
    """A tensor access ``B(i,k)``; ``indices`` is empty for a scalar ``b``."""
    name: str
    indices: tuple[str, ...]
    col: int
    index_cols: tuple[int, ...] = ()

    def __str__(self) -> str:
        return f"{self.name}({','.join(self.indices)})" if self.indices else self.name


@dataclass(eq=False)
class BinOp:
    """``left op right`` with ``op`` one of ``+ - *``; ``col`` is the operator's column."""
    op: str
    left: "Access | BinOp"
    right: "Access | BinOp"
    col: int

    def __str__(self) -> str:
        return f"({self.left} {self.op} {self.right})"


@dataclass(eq=False)
class Statement:
    lhs: Access
    rhs: "Access | BinOp"
    text: str
    #: Right-hand-side accesses in source order.
    accesses: list[Access] = field(default_factory=list)


_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<num>\d+(?:\.\d*)?)|(?P<op>[-+*/=(),]))")


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    toks = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            col = pos + (len(text[pos:]) - len(text[pos:].lstrip()))
            raise CustardError(f"unexpected character {text[col]!r}", text, col,
                               fix="index notation uses names, '(', ')', ',', '=', '+', '-', '*'")
        kind = m.lastgroup
        toks.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    toks.append(("end", "", len(text)))
    return toks


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0
        self.accesses: list[Access] = []

    def peek(self):
        return self.toks[self.i]

    def take(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def fail(self, msg: str, tok, fix: str | None = None):
        kind, val, col = tok
        what = "the end of the expression" if kind == "end" else repr(val)
        raise CustardError(f"{msg}, found {what}", self.text, col, max(1, len(val)), fix)

    def expect(self, val: str, msg: str, fix: str | None = None):
        t = self.take()
        if t[1] != val or t[0] == "end":
            self.fail(msg, t, fix)
        return t

    def statement(self) -> Statement:
        lhs = self.access(lhs=True)
        t = self.peek()
        if t[1] != "=":
            self.fail("expected '=' after the output access", t,
                      "write the output on the left, e.g. X(i,j) = B(i,k) * C(k,j)")
        self.take()
        self.accesses = []
        rhs = self.expr()
        t = self.peek()
        if t[0] != "end":
            self.fail("expected an operator '+', '-' or '*'", t)
        return Statement(lhs, rhs, self.text, list(self.accesses))

    def expr(self):
        node = self.term()
        while self.peek()[1] in ("+", "-") and self.peek()[0] == "op":
            _, op, col = self.take()
            node = BinOp(op, node, self.term(), col)
        return node

    def term(self):
        node = self.factor()
        while True:
            t = self.peek()
            if t[0] == "op" and t[1] == "*":
                self.take()
                node = BinOp("*", node, self.factor(), t[2])
            elif t[0] == "op" and t[1] == "/":
                self.fail("division is not supported", t, "use only '+', '-' and '*'")
            else:
                return node

    def factor(self):
        t = self.peek()
        if t[0] == "op" and t[1] == "(":
            self.take()
            node = self.expr()
            self.expect(")", "expected ')' to close the parenthesis")
            return node
        if t[0] == "name":
            return self.access()
        if t[0] == "num":
            self.fail("numeric constants are not supported", t,
                      "pass the constant as a scalar tensor, e.g. x(i) = a * b(i) with a scalar a")
        if t[0] == "op" and t[1] == "-":
            self.fail("unary minus is not supported", t, "write the subtraction as a binary '-'")
        self.fail("expected a tensor access or '('", t)

    def access(self, lhs: bool = False) -> Access:
        t = self.take()
        if t[0] != "name":
            self.fail("expected a tensor name" + (" for the output" if lhs else ""), t)
        name, col = t[1], t[2]
        idx: list[str] = []
        cols: list[int] = []
        if self.peek()[1] == "(" and self.peek()[0] == "op":
            self.take()
            if self.peek()[1] == ")":
                self.fail("expected an index variable", self.peek(),
                          f"write a scalar without parentheses: {name}")
            while True:
                it = self.take()
                if it[0] != "name":
                    self.fail(f"expected an index variable in the access of {name}", it)
                idx.append(it[1])
                cols.append(it[2])
                sep = self.take()
                if sep[1] == ")" and sep[0] == "op":
                    break
                if sep[1] != "," or sep[0] != "op":
                    self.fail(f"expected ',' or ')' in the access of {name}", sep)
        a = Access(name, tuple(idx), col, tuple(cols))
        if not lhs:
            self.accesses.append(a)
        return a


def parse(text: str) -> Statement:
    """Parse one index-notation statement; :class:`CustardError` (with a
    caret) on a syntax error."""
    if not isinstance(text, str) or not text.strip():
        raise CustardError("empty expression",
                           fix="give an expression such as 'X(i,j) = B(i,k) * C(k,j)'")
    return _Parser(text).statement()
