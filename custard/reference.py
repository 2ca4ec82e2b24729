"""Dense numpy evaluation of an index-notation statement: the gold that
compiled graphs are checked against.

Uses the same reduction scoping as the compiler (:mod:`custard.analysis`):
a sum covers the smallest subexpression holding all uses of its index,
widened over enclosing products.
"""

from __future__ import annotations

import numpy as np

from .parser import Access

__all__ = ["evaluate"]


def evaluate(plan, arrays: dict) -> np.ndarray:
    """Value of ``plan``'s right-hand side with ``arrays`` (tensor name ->
    dense array, or a number for a scalar), shaped like the output in tensor
    mode order (a 0-d array for a scalar output)."""
    attached: dict[int, list[str]] = {}
    for r, s in plan.reductions.items():
        attached.setdefault(id(s), []).append(r)
    dims: dict[str, int] = {}
    for a in plan.inputs:
        arr = np.asarray(arrays[a.name])
        if arr.ndim != len(a.indices):
            raise ValueError(f"{a.name} has {arr.ndim} dimensions, {a} needs {len(a.indices)}")
        for v, n in zip(a.indices, arr.shape):
            if dims.setdefault(v, n) != n:
                raise ValueError(f"index {v} has sizes {dims[v]} and {n}")

    def spread(arr, idx, to):
        arr = np.einsum(f"{''.join(idx)}->{''.join(v for v in to if v in idx)}", arr) \
            if idx else np.asarray(arr)
        shape = [dims[v] if v in idx else 1 for v in to]
        return np.broadcast_to(np.reshape(arr, shape), [dims[v] for v in to])

    def ev(node):
        if isinstance(node, Access):
            arr, idx = np.asarray(arrays[node.name]), list(node.indices)
        else:
            a, ia = ev(node.left)
            b, ib = ev(node.right)
            idx = list(dict.fromkeys(ia + ib))
            a, b = spread(a, ia, idx), spread(b, ib, idx)
            arr = a * b if node.op == "*" else (a + b if node.op == "+" else a - b)
        for r in attached.get(id(node), []):
            k = idx.index(r)
            arr = arr.sum(axis=k)
            idx = idx[:k] + idx[k + 1:]
        return arr, idx

    arr, idx = ev(plan.stmt.rhs)
    out = list(plan.out.indices)
    return np.asarray(spread(arr, idx, out)).copy() if out else np.asarray(arr)
