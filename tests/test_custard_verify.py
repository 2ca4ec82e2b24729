"""Custard end to end: compile every library kernel in every loop order it
supports and several formats per tensor, run the graph on the golden model
(sim.engine.run_graph) and compare with numpy (custard.reference).

Integer data is compared exactly, float data with a tight tolerance.
Random inputs use fixed seeds (printed on failure); cases cover several
densities, empty rows and columns, an empty tensor and a single nonzero.
The full cross product (every loop order x 3 format variants x all data
cases) is marked slow; the default run covers every kernel's default
formats on every case and every supported loop order on two cases.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

import custard
from custard.reference import evaluate
from sam.formats import Format, Tensor
from sam.io.datasets import shared_dir

engine = pytest.importorskip("sim.engine")
from sim.primitive import SimError  # noqa: E402

SUITESPARSE = shared_dir() / "data" / "suitesparse"

# ----------------------------------------------------------------------------
# data

def _rand(shape, density, rng, floats=False):
    if floats:
        vals = rng.uniform(-2.0, 2.0, size=shape)
    else:
        vals = rng.integers(-5, 10, size=shape)
        vals[vals == 0] = 1
    return np.where(rng.random(shape) < density, vals, 0)


def make_inputs(plan, dims, case, seed, floats=False):
    """Dense arrays for every input of ``plan``; ``case`` picks the pattern."""
    rng = np.random.default_rng(seed)
    arrays = {}
    first = True
    for a in plan.inputs:
        shape = tuple(dims[v] for v in a.indices)
        if not shape:
            arrays[a.name] = float(rng.uniform(0.5, 2)) if floats else int(rng.integers(1, 5))
            continue
        if case == "full":
            arr = _rand(shape, 1.0, rng, floats)
        elif case == "empty" and first:
            arr = np.zeros(shape, dtype=float if floats else np.int64)
        elif case == "single" and first:
            arr = np.zeros(shape, dtype=float if floats else np.int64)
            arr[tuple(int(rng.integers(0, n)) for n in shape)] = 3
        elif case == "rowcol":
            arr = _rand(shape, 0.7, rng, floats)
            for ax in range(len(shape)):            # an empty slice per mode
                sl = [slice(None)] * len(shape)
                sl[ax] = int(rng.integers(0, shape[ax]))
                arr[tuple(sl)] = 0
        else:
            arr = _rand(shape, {"sparse": 0.15, "mid": 0.5}.get(case, 0.3), rng, floats)
        arrays[a.name] = arr
        first = False
    return arrays


def run_and_compare(graph, plan, arrays, where):
    ins = {}
    for a in plan.inputs:
        arr = arrays[a.name]
        ins[a.name] = (Tensor.from_dense(np.asarray(arr), plan.formats[a.name])
                       if np.ndim(arr) else arr)
    want = evaluate(plan, arrays)
    try:
        res = engine.run_graph(graph, ins)
    except SimError as ex:
        raise AssertionError(f"{where}: golden model rejected the graph: {ex}") from ex
    out = res.output
    got = out.to_dense() if out.shape else np.asarray(out.vals[0])
    got = np.asarray(got)
    if np.issubdtype(np.asarray(want).dtype, np.floating):
        ok = np.allclose(got, want, rtol=1e-9, atol=1e-9)
    else:
        ok = np.array_equal(got, want)
    assert ok, f"{where}: wrong result\n got {got!r}\nwant {want!r}"


def dims_for(plan):
    return {v: 3 + k for k, v in enumerate(sorted(plan.order))}


def variants(name):
    """(loop order, variant, formats) for every permutation of the kernel's
    indices and three format variants; mode orders follow the loop order."""
    text, _, _, _ = custard.resolve(name)
    st = custard.parse(text)
    accs = [st.lhs] + st.accesses
    indices = list(dict.fromkeys(v for a in accs for v in a.indices))
    for perm in itertools.permutations(indices):
        pos = {v: k for k, v in enumerate(perm)}
        for var in ("s", "ds", "d"):
            fm = {}
            for a in accs:
                n = len(a.indices)
                if n == 0:
                    continue
                mo = tuple(sorted(range(n), key=lambda m: pos[a.indices[m]]))
                lv = {"s": "s" * n, "d": "d" * n, "ds": "d" + "s" * (n - 1)}[var]
                fm[a.name] = Format(tuple(lv), mo)
            yield list(perm), var, fm


def supported_variants(name):
    return [(p, v, f) for p, v, f in variants(name) if not custard.check(name, f, p)]


KERNELS = list(custard.KERNELS)
CASES = ["sparse", "mid", "full", "rowcol", "single", "empty"]


# ----------------------------------------------------------------------------
# default formats, every data case

@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", KERNELS)
def test_kernel_default(name, case):
    plan = custard.plan(name)
    g = custard.compile(name)
    for seed in (0, 1):
        run_and_compare(g, plan, make_inputs(plan, dims_for(plan), case, seed),
                        f"{name} case={case} seed={seed}")


@pytest.mark.parametrize("name", KERNELS)
def test_kernel_default_floats(name):
    plan = custard.plan(name)
    g = custard.compile(name)
    for seed in (3, 4):
        run_and_compare(g, plan, make_inputs(plan, dims_for(plan), "mid", seed, floats=True),
                        f"{name} floats seed={seed}")


# ----------------------------------------------------------------------------
# every supported loop order, three format variants

def _variant_ids():
    out = []
    for name in KERNELS:
        for perm, var, fm in supported_variants(name):
            out.append(pytest.param(name, perm, fm, id=f"{name}-{''.join(perm)}-{var}"))
    return out


VARIANTS = _variant_ids()


def test_every_kernel_has_two_formats_per_tensor_and_all_its_loop_orders():
    """The sweep below covers >= 2 formats for every tensor of every kernel,
    and for SpM*SpM all six loop orders."""
    for name in KERNELS:
        vs = supported_variants(name)
        plan = custard.plan(name)
        for a in [plan.out] + plan.inputs:
            if a.indices:
                seen = {str(f[a.name]) for _, _, f in vs}
                assert len(seen) >= 2, (name, a.name, seen)
    orders = {"".join(p) for p, _, _ in supported_variants("spmspm_ijk")}
    assert orders == {"ijk", "ikj", "jik", "jki", "kij", "kji"}


@pytest.mark.parametrize("name,perm,fm", VARIANTS)
def test_loop_orders_and_formats(name, perm, fm):
    plan = custard.plan(name, fm, perm)
    g = custard.compile(name, fm, perm)
    for case, seed in (("mid", 11), ("rowcol", 12)):
        run_and_compare(g, plan, make_inputs(plan, dims_for(plan), case, seed),
                        f"{name} order={''.join(perm)} formats={ {k: str(v) for k, v in fm.items()} } "
                        f"case={case} seed={seed}")


@pytest.mark.slow
@pytest.mark.parametrize("name,perm,fm", VARIANTS)
def test_loop_orders_and_formats_all_cases(name, perm, fm):
    plan = custard.plan(name, fm, perm)
    g = custard.compile(name, fm, perm)
    for case in CASES:
        for seed in (21, 22, 23):
            run_and_compare(g, plan, make_inputs(plan, dims_for(plan), case, seed),
                            f"{name} order={''.join(perm)} case={case} seed={seed}")


# ----------------------------------------------------------------------------
# SuiteSparse matrices

def _mtx(name):
    import scipy.io
    path = SUITESPARSE / f"{name}.mtx"
    if not path.exists():
        pytest.skip(f"{path} not present")
    return scipy.io.mmread(str(path)).toarray().astype(float)


def _shift(a):
    """The reference's second operand: nonzeros moved one column right, value 2."""
    out = np.zeros_like(a)
    r, c = np.nonzero(a)
    out[r, (c + 1) % a.shape[1]] = 2.0
    return out


def _vector(n, seed):
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < 0.25, rng.uniform(0.5, 2, n), 0.0)


MATRIX_KERNELS = ["spmv", "mat_elemadd", "mat_elemmul", "mat_elemadd3", "mat_identity",
                  "mat_residual", "mat_mattransmul", "spmm", "sddmm",
                  "spmspm_ijk", "spmspm_ikj", "spmspm_jik", "spmspm_jki", "spmspm_kij",
                  "spmspm_kji"]


@pytest.mark.parametrize("name", MATRIX_KERNELS)
@pytest.mark.parametrize("mtx", ["bcsstm02", "lp_scsd1"])
def test_suitesparse(name, mtx):
    B = _mtx(mtx)
    m, n = B.shape
    plan = custard.plan(name)
    g = custard.compile(name)
    arrays = {}
    if name in ("spmv",):
        arrays = {"B": B, "c": _vector(n, 0)}
    elif name in ("mat_elemadd", "mat_elemmul", "mat_identity"):
        arrays = {"B": B, "C": _shift(B)}
    elif name == "mat_elemadd3":
        arrays = {"B": B, "C": _shift(B), "D": _shift(_shift(B))}
    elif name == "mat_residual":
        arrays = {"b": _vector(m, 1), "C": B, "d": _vector(n, 2)}
    elif name == "mat_mattransmul":
        arrays = {"b": 2.0, "C": B, "d": _vector(m, 3), "e": 3.0, "f": _vector(n, 4)}
    elif name == "spmm":
        rng = np.random.default_rng(5)
        arrays = {"B": B, "C": rng.uniform(-1, 1, (n, 4))}
    elif name == "sddmm":
        rng = np.random.default_rng(6)
        arrays = {"B": B, "C": rng.uniform(-1, 1, (m, 3)), "D": rng.uniform(-1, 1, (3, n))}
    else:
        arrays = {"B": B, "C": _shift(B).T.copy()}
    arrays = {a.name: arrays[a.name] for a in plan.inputs}
    run_and_compare(g, plan, arrays, f"{name} on {mtx}")


# ----------------------------------------------------------------------------
# expressions outside the library (the lowering is generic)

EXTRA = [
    "X(i,j) = b(i) * c(j)",
    "X(i,j) = B(i,j) + c(i) * d(j)",
    "x(i) = B(i,j) * c(j) + d(i)",
    "X(i,j) = B(i,j) * c(j) - D(i,j)",
    "x(j) = B(i,j)",
    "X(j,k) = B(i,j,k)",
    "x = b(i) * c(i)",
    "x(i) = b * c(i) + d(i)",
    "X(i,j) = (B(i,j) + C(i,j)) * D(i,j)",
    "x(i) = (b(i) + c(i)) * (d(i) - e(i))",
    "X(i,j) = B(i,j) * (C(i,k) * D(k,j))",
    "x(i) = B(i,j,k) * c(j) * d(k)",
    "X(i,k) = B(i,j) * C(j,k) * d(k)",
    "x = B(i,j)",
    "x(i) = B(i,j)",
    "X(i,j) = B(j,i)",
    "X(i,j) = B(i,j) - C(i,j)",
    "x(i) = b(i) * c * d(i)",
    "X(i,j) = B(i,j) - (C(i,k) * D(k,j) + E(i,j))",
]


def _extra_params():
    out = []
    for text in EXTRA:
        for perm, var, fm in supported_variants(text):
            out.append(pytest.param(text, perm, fm, id=f"{text.replace(' ', '')}-{''.join(perm)}-{var}"))
    return out


def test_extra_expressions_are_supported_somewhere():
    for text in EXTRA:
        assert supported_variants(text), text


@pytest.mark.parametrize("text,perm,fm", _extra_params())
def test_extra_expressions(text, perm, fm):
    plan = custard.plan(text, fm, perm)
    g = custard.compile(text, fm, perm)
    for case, seed in (("mid", 31), ("rowcol", 32), ("sparse", 33)):
        run_and_compare(g, plan, make_inputs(plan, dims_for(plan), case, seed),
                        f"{text} order={''.join(perm)} case={case} seed={seed}")


# ----------------------------------------------------------------------------
# mixed formats: each tensor gets its own random level letters (fixed seed)

def _mixed_params(per_kernel=4, seed=2024):
    rng = np.random.default_rng(seed)
    out = []
    for name in KERNELS:
        orders = {tuple(p) for p, _, _ in supported_variants(name)}
        base = {tuple(p): f for p, v, f in supported_variants(name) if v == "s"}
        for k in range(per_kernel):
            perm = sorted(orders)[int(rng.integers(0, len(orders)))]
            fm = {t: Format(tuple(rng.choice(["d", "s"], size=f.order)), f.mode_order)
                  for t, f in base[perm].items()}
            if custard.check(name, fm, list(perm)):
                continue
            tag = "-".join(f"{t}{f}" for t, f in fm.items())
            out.append(pytest.param(name, list(perm), fm, id=f"{name}-{''.join(perm)}-{tag}"))
    return out


@pytest.mark.parametrize("name,perm,fm", _mixed_params())
def test_mixed_formats(name, perm, fm):
    plan = custard.plan(name, fm, perm)
    g = custard.compile(name, fm, perm)
    for case, seed in (("mid", 41), ("rowcol", 42), ("single", 43)):
        run_and_compare(g, plan, make_inputs(plan, dims_for(plan), case, seed),
                        f"{name} order={''.join(perm)} formats={ {k: str(v) for k, v in fm.items()} } "
                        f"case={case} seed={seed}")


# ----------------------------------------------------------------------------
# canonical outputs: no empty fiber below a compressed level (any number of
# levels) and no stored zero (the crddrops' job; design.md, Drops)

def _positive(plan, dims, case, seed):
    arrays = make_inputs(plan, dims, case, seed)
    return {k: (np.abs(v) if np.ndim(v) else abs(v)) for k, v in arrays.items()}


CANONICAL = [k for k in KERNELS if len(custard.plan(k).out_levels) >= 1]


@pytest.mark.parametrize("name", CANONICAL)
def test_outputs_are_canonical(name):
    _check_canonical(name, custard.plan(name), custard.compile(name),
                     (("sparse", 51), ("mid", 52), ("rowcol", 53), ("single", 54)))


DEEP = [pytest.param(k, p, f, id=f"{k}-{''.join(p)}") for k in CANONICAL
        if len(custard.plan(k).out_levels) >= 3
        for p, v, f in supported_variants(k) if v == "s"]


@pytest.mark.parametrize("name,perm,fm", DEEP)
def test_deep_outputs_are_canonical_in_every_order(name, perm, fm):
    # 3-level compressed outputs: the middle level's empty fibers go too
    # (crddrop chain with deep streams)
    _check_canonical(name, custard.plan(name, fm, perm), custard.compile(name, fm, perm),
                     (("sparse", 60), ("mid", 62), ("single", 64)), f" order={''.join(perm)}")


def _check_canonical(name, plan, g, cases, tag=""):
    for case, seed in cases:
        arrays = _positive(plan, dims_for(plan), case, seed)
        ins = {a.name: (Tensor.from_dense(np.asarray(arrays[a.name]), plan.formats[a.name])
                        if np.ndim(arrays[a.name]) else arrays[a.name]) for a in plan.inputs}
        out = engine.run_graph(g, ins).output
        where = f"{name}{tag} case={case} seed={seed}"
        assert np.array_equal(out.to_dense(), evaluate(plan, arrays)), where
        if "-" not in custard.get_kernel(name).expr:     # a difference may cancel to 0
            assert not np.any(np.asarray(out.vals) == 0), f"{where}: stored zeros {out.vals}"
        for l in range(1, len(out.levels)):
            if out.levels[l - 1].format == "compressed" and out.levels[l].format == "compressed":
                seg = np.asarray(out.levels[l].arrays["seg"])
                assert np.all(np.diff(seg) > 0), f"{where}: empty fiber in level {l}: seg={seg}"
