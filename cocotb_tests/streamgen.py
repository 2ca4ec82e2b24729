"""Random SAM streams for the benches, built from random fibertrees, and a
one-call front end to the golden model.

A fibertree fiber is a list of ``(coordinate, child)`` pairs sorted by
coordinate; leaves have ``child = None``. :func:`tree_stream` gives the
stream of one level with the stop-token nesting rule (spec 1.2), so the
streams are well formed by construction, with empty fibers wherever the tree
has them. All generators take a ``random.Random`` so tests are reproducible
from their seed.
"""

from __future__ import annotations

import random

from sam.tokens import D, N, S, Stop

__all__ = ["fiber_coords", "random_tree", "tree_stream", "random_stream", "random_level", "golden",
           "tree_levels"]


def random_tree(rng: random.Random, nlevels: int, dim: int = 16, max_len: int = 5,
                p_empty: float = 0.2, p_long: float = 0.05, long_len: int = 30):
    """A random fibertree with ``nlevels`` levels below the root fiber.

    Fiber lengths: 0 with probability ``p_empty``, up to ``long_len`` with
    probability ``p_long`` (capped at ``dim``), else 1..``max_len``.
    """
    def fiber(depth):
        crds = fiber_coords(rng, dim, max_len, p_empty, p_long, long_len)
        return [(c, fiber(depth + 1) if depth + 1 < nlevels else None) for c in crds]
    return fiber(0)


def fiber_coords(rng: random.Random, dim: int, max_len: int = 5, p_empty: float = 0.2,
                 p_long: float = 0.05, long_len: int = 30) -> list[int]:
    """Sorted coordinates of one random fiber (lengths as in :func:`random_tree`)."""
    u = rng.random()
    if u < p_empty:
        k = 0
    elif u < p_empty + p_long:
        k = rng.randint(1, min(long_len, dim))
    else:
        k = rng.randint(1, min(max_len, dim))
    return sorted(rng.sample(range(dim), k))


def _stream(fib, level, refs, counters, depth):
    if level == depth:
        out = []
        for c, _ in fib:
            if refs:
                out.append(counters[depth])
                counters[depth] += 1
            else:
                out.append(c)
        return out + [S(0)]
    if not fib:
        return [S(level - depth)]
    out = []
    for _, child in fib:
        out += _stream(child, level, refs, counters, depth + 1)
    out[-1] = S(out[-1].level + 1)
    return out


def tree_stream(tree, level: int, refs: bool = False) -> list:
    """The crd stream (or, with ``refs``, the position stream of a compressed
    storage) of tree level ``level`` (0 = root fiber), ending in ``D``."""
    return _stream(tree, level, refs, [0] * (level + 1), 0) + [D]


def tree_levels(tree, nlevels: int) -> list[tuple[list, list]]:
    """Compressed ``(seg, crd)`` arrays of each level of ``tree``."""
    levels = []
    fibers = [tree]
    for _ in range(nlevels):
        seg, crd, nxt = [0], [], []
        for f in fibers:
            for c, child in f:
                crd.append(c)
                nxt.append(child if child is not None else [])
            seg.append(len(crd))
        levels.append((seg, crd))
        fibers = nxt
    return levels


def random_stream(rng: random.Random, nlevels: int, data=None, p_n: float = 0.0,
                  **tree_kw) -> list:
    """A well-formed stream nested ``nlevels`` deep (``nlevels - 1`` is its
    outermost stop level). Data tokens come from ``data(rng)`` (default: the
    tree's coordinates); each is replaced by ``N`` with probability ``p_n``."""
    tree = random_tree(rng, nlevels, **tree_kw)
    s = tree_stream(tree, nlevels - 1)
    out = []
    for t in s:
        if type(t) is int:
            if p_n and rng.random() < p_n:
                t = N
            elif data is not None:
                t = data(rng)
        out.append(t)
    return out


def random_level(rng: random.Random, nfib: int, dim: int = 16, max_len: int = 5,
                 p_empty: float = 0.25, p_long: float = 0.05, long_len: int = 30):
    """Compressed arrays ``(seg, crd)`` of a level with ``nfib`` fibers."""
    seg, crd = [0], []
    for _ in range(nfib):
        u = rng.random()
        k = 0 if u < p_empty else rng.randint(1, min(long_len, dim)) \
            if u < p_empty + p_long else rng.randint(1, min(max_len, dim))
        crd += sorted(rng.sample(range(dim), k))
        seg.append(len(crd))
    return seg, crd


def golden(type_name: str, ins: dict, ctx=None, **attrs) -> dict:
    """Outputs of the golden model (``sim/primitives``) for one node.

    ``attrs`` are the node's catalogue attributes; ``ctx`` a
    :class:`sim.primitive.SimContext` for nodes that read tensors."""
    from sim.primitive import create, make_node
    node = make_node(type_name, **attrs)
    prim = create(node, ctx)
    out = prim.run({k: list(v) for k, v in ins.items()}, [])
    return out if out else {"_prim": prim}
