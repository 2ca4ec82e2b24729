"""sam.io: Matrix Market, FROSTT, .npy, formatted directories, dispatch."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io
import scipy.sparse

from sam.errors import UserError
from sam.formats import Tensor
from sam.io import (TensorFileError, formatted_files, load_formatted, load_mtx, load_npy,
                    load_tensor, load_tns, mtx_header, save_formatted, save_mtx, save_npy,
                    save_tensor, save_tns)


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


# ---------------------------------------------------------------------------
# Matrix Market


@pytest.mark.parametrize("fmt", ["ss", "ds", "ss10", "dd"])
def test_suitesparse_matches_scipy(suitesparse_paths, fmt):
    for path in suitesparse_paths:
        ref = scipy.sparse.coo_array(scipy.io.mmread(path)).toarray()
        t = load_mtx(path, fmt)
        assert t.shape == ref.shape and t.vals.dtype == np.float64
        assert np.array_equal(t.to_dense(), ref)
        assert t.nnz == np.count_nonzero(ref) and t.name == path.stem
        assert str(t.format) == {"ss": "ss01", "ds": "ds01", "ss10": "ss10", "dd": "dd01"}[fmt]


def test_suitesparse_symmetric_is_expanded(suitesparse_paths):
    for path in suitesparse_paths:
        info = mtx_header(path)
        t = load_mtx(path)
        if info["symmetry"] == "symmetric":
            a = t.to_dense()
            assert np.array_equal(a, a.T)
        else:
            assert t.nnz == info["entries"]


MTX = "%%MatrixMarket matrix coordinate {field} {sym}\n% a comment\n{body}"


def test_mtx_fields(tmp_path):
    p = _write(tmp_path, "i.mtx", MTX.format(field="integer", sym="general",
                                             body="3 4 3\n1 1 5\n3 2 -7\n1 1 1\n"))
    t = load_mtx(p)
    assert t.vals.dtype == np.int64 and t.to_points() == [(0, 0, 6), (2, 1, -7)]
    p = _write(tmp_path, "p.mtx", MTX.format(field="pattern", sym="general",
                                             body="2 2 2\n1 2\n2 1\n"))
    t = load_mtx(p)
    assert t.vals.dtype == np.int64 and t.to_points() == [(0, 1, 1), (1, 0, 1)]
    p = _write(tmp_path, "r.mtx", MTX.format(field="real", sym="general",
                                             body="2 2 1\n2 2 2.5e0\n"))
    t = load_mtx(p)
    assert t.vals.dtype == np.float64 and t.to_points() == [(1, 1, 2.5)]
    with pytest.raises(TensorFileError, match="non-integer values cannot be stored as int64"):
        load_mtx(p, dtype=np.int64)
    p = _write(tmp_path, "r2.mtx", MTX.format(field="real", sym="general",
                                              body="2 2 1\n2 2 3.0\n"))
    assert load_mtx(p, dtype=np.int64).to_points() == [(1, 1, 3)]


def test_mtx_symmetric_and_skew(tmp_path):
    p = _write(tmp_path, "s.mtx", MTX.format(field="real", sym="symmetric",
                                             body="3 3 2\n1 1 1.0\n3 2 2.0\n"))
    assert load_mtx(p).to_points() == [(0, 0, 1.0), (1, 2, 2.0), (2, 1, 2.0)]
    p = _write(tmp_path, "k.mtx", MTX.format(field="integer", sym="skew-symmetric",
                                             body="3 3 1\n3 2 2\n"))
    assert load_mtx(p).to_points() == [(1, 2, -2), (2, 1, 2)]


def test_mtx_array_layout(tmp_path):
    p = _write(tmp_path, "a.mtx", "%%MatrixMarket matrix array integer general\n"
                                  "2 2\n1\n0\n0\n4\n")
    t = load_mtx(p)
    assert np.array_equal(t.to_dense(), [[1, 0], [0, 4]]) and t.vals.dtype == np.int64


def test_mtx_vectors(tmp_path):
    col = _write(tmp_path, "c.mtx", MTX.format(field="real", sym="general",
                                               body="5 1 2\n2 1 1.5\n5 1 2.5\n"))
    row = _write(tmp_path, "r.mtx", MTX.format(field="real", sym="general",
                                               body="1 5 2\n1 2 1.5\n1 5 2.5\n"))
    for p in (col, row):
        v = load_mtx(p, as_vector=True)
        assert v.shape == (5,) and str(v.format) == "s0"
        assert v.to_points() == [(1, 1.5), (4, 2.5)]
        assert load_mtx(p, "d").shape == (5,)           # order-1 format implies a vector
    assert load_mtx(col).shape == (5, 1)
    assert load_mtx(col, as_vector=False).shape == (5, 1)
    m = _write(tmp_path, "m.mtx", MTX.format(field="real", sym="general", body="2 2 0\n"))
    with pytest.raises(TensorFileError, match="a vector was asked for but the matrix is 2 x 2"):
        load_mtx(m, as_vector=True)
    with pytest.raises(TensorFileError, match="order-2 tensor .* but format sss012 has order 3"):
        load_mtx(m, "sss")


def test_mtx_round_trip(tmp_path, rng):
    a = rng.integers(-5, 6, size=(6, 9)) * (rng.random((6, 9)) < 0.3)
    for dtype in (np.int64, np.float64):
        t = Tensor.from_dense(a.astype(dtype), "ss10")
        save_mtx(t, tmp_path / "x.mtx")
        header = (tmp_path / "x.mtx").read_text().splitlines()[0]
        assert ("integer" in header) == (dtype is np.int64)
        u = load_mtx(tmp_path / "x.mtx", "ss10")
        assert u.same_storage(t) and u.vals.dtype == dtype
    v = Tensor.from_dense(np.array([0.0, 1.5, 0.0, -2.0]), "s")
    save_mtx(v, tmp_path / "v.mtx")
    assert load_mtx(tmp_path / "v.mtx", "s").same_storage(v)
    e = Tensor.from_coo(np.zeros((2, 0), dtype=int), [], (3, 4), "ss")
    save_mtx(e, tmp_path / "e.mtx")
    assert load_mtx(tmp_path / "e.mtx").shape == (3, 4) and load_mtx(tmp_path / "e.mtx").nnz == 0
    with pytest.raises(TensorFileError, match="order 3; use .tns or .npy"):
        save_mtx(Tensor.from_dense(np.ones((2, 2, 2))), tmp_path / "t.mtx")


@pytest.mark.parametrize("text, message", [
    ("hello\n", r"m\.mtx:1: not a Matrix Market file"),
    ("%%MatrixMarket matrix coordinte real general\n3 3 1\n1 1 1\n",
     r"m\.mtx:1: unknown layout 'coordinte' in the banner; expected one of coordinate, array"),
    ("%%MatrixMarket matrix coordinate real\n3 3 1\n1 1 1\n",
     r"m\.mtx:1: the banner needs 4 words"),
    ("%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n",
     r"m\.mtx:1: complex matrices are not supported"),
    ("%%MatrixMarket matrix coordinate real general\n%c\n3 x 1\n1 1 1\n",
     r"m\.mtx:3: bad size line '3 x 1'; expected 3 non-negative integers"),
    ("%%MatrixMarket matrix coordinate real general\n",
     r"m\.mtx: no size line after the banner"),
    ("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1.0\n4 2 2.0\n",
     r"m\.mtx:4: Row index out of bounds \(row indices are 1-based and at most 3\): '4 2 2.0'"),
    ("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1.0\n0 2 2.0\n",
     r"m\.mtx:4: Row index out of bounds"),
    ("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1.0\n2 9 2.0\n",
     r"m\.mtx:4: Column index out of bounds \(column indices are 1-based and at most 3\)"),
    ("%%MatrixMarket matrix coordinate real general\n3 3 3\n1 1 1.0\n2 2 2.0\n",
     r"m\.mtx: the size line \(line 2\) declares 3 entries but the file has only 2"),
    ("%%MatrixMarket matrix coordinate real general\n3 3 1\n1 1 1.0\n2 2 2.0\n",
     r"m\.mtx:4: Too many lines .*declares 1 entries"),
    ("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1.0\n2 x 2.0\n",
     r"m\.mtx:4: Invalid integer value \(an entry line is 'row column value'.*\): '2 x 2.0'"),
    ("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1.0\n2 2\n",
     r"m\.mtx:4: Invalid floating-point value \(an entry line is 'row column value'.*\): '2 2'"),
    ("%%MatrixMarket matrix coordinate integer general\n3 3 2\n1 1 1\n2 2 2.5\n",
     r"m\.mtx:4: value '2.5' is not an integer but the banner declares an integer field"),
])
def test_mtx_malformed(tmp_path, text, message):
    p = _write(tmp_path, "m.mtx", text)
    with pytest.raises(TensorFileError, match=message) as e:
        load_mtx(p)
    assert isinstance(e.value, UserError)
    assert "\n" not in str(e.value) and str(e.value).startswith(str(p))


def test_mtx_missing_file(tmp_path):
    with pytest.raises(TensorFileError, match="cannot open"):
        load_mtx(tmp_path / "nope.mtx")


# ---------------------------------------------------------------------------
# FROSTT


def test_tns_read(tmp_path):
    p = _write(tmp_path, "t.tns", "# a comment\n1 1 2 1.5\n\n2 3 1 -2\n1 1 2 0.5\n")
    t = load_tns(p, "sss")
    assert t.shape == (2, 3, 2) and t.vals.dtype == np.float64
    assert t.to_points() == [(0, 0, 1, 2.0), (1, 2, 0, -2.0)]
    q = _write(tmp_path, "i.tns", "1 2 3\n2 1 4\n")
    t = load_tns(q, shape=(4, 4))
    assert t.shape == (4, 4) and t.vals.dtype == np.int64 and str(t.format) == "ss01"
    assert load_tns(_write(tmp_path, "v.tns", "3 7\n"), "d").to_dense().tolist() == [0, 0, 7]
    assert load_tns(_write(tmp_path, "s.tns", "2.5\n1\n")).to_points() == [(3.5,)]


def test_tns_round_trip(tmp_path, rng):
    for shape, fmt in [((2, 3, 4), "sds:2,0,1"), ((5,), "s"), ((3, 1), "ds"), ((), "none")]:
        a = rng.integers(-3, 4, size=shape) * (rng.random(shape) < 0.5)
        for dtype in (np.int64, np.float64):
            t = Tensor.from_dense(a.astype(dtype) / (3 if dtype is np.float64 else 1), fmt)
            save_tns(t, tmp_path / "x.tns")
            u = load_tns(tmp_path / "x.tns", fmt)
            assert u.same_storage(t), (t, u)
    e = Tensor.from_coo(np.zeros((3, 0), dtype=int), [], (2, 2, 5), "sss")
    save_tns(e, tmp_path / "e.tns")
    assert load_tns(tmp_path / "e.tns").shape == (2, 2, 5)


@pytest.mark.parametrize("text, kwargs, message", [
    ("1 1 1.0\n1 2 3 1.0\n", {}, r"t\.tns:2: expected 2 coordinates and a value \(3 fields"),
    ("1 1 1.0\n0 2 1.0\n", {}, r"t\.tns:2: coordinate '0' \(field 1\) is not a positive "
                               r"integer; FROSTT coordinates are 1-based"),
    ("1 x 1.0\n", {}, r"t\.tns:1: coordinate 'x' \(field 2\)"),
    ("1 1 abc\n", {}, r"t\.tns:1: value 'abc' is not a number"),
    ("1 1 1\n# c\n3 4 1\n", {"shape": (3, 3)},
     r"t\.tns:3: mode-1 coordinate 4 is larger than the dimension 3 of shape \(3, 3\)"),
    ("# nothing\n", {}, r"t\.tns: no entries and no shape"),
    ("1 1 1\n", {"shape": (3,)}, r"t\.tns: entries have 2 coordinates but the shape \(3,\)"),
    ("# shape: 3 x\n1 1 1\n", {}, r"t\.tns:1: bad shape comment"),
])
def test_tns_malformed(tmp_path, text, kwargs, message):
    p = _write(tmp_path, "t.tns", text)
    with pytest.raises(TensorFileError, match=message) as e:
        load_tns(p, **kwargs)
    assert "\n" not in str(e.value)


# ---------------------------------------------------------------------------
# .npy


def test_npy(tmp_path, rng):
    a = rng.random((3, 2, 4)) * (rng.random((3, 2, 4)) < 0.5)
    np.save(tmp_path / "a.npy", a)
    t = load_npy(tmp_path / "a.npy")
    assert str(t.format) == "ddd012" and np.array_equal(t.to_dense(), a)
    assert load_npy(tmp_path / "a.npy", "sss").nnz == np.count_nonzero(a)
    t = Tensor.from_dense(np.array([[True, False]]), "ss")
    save_npy(t, tmp_path / "b.npy")
    assert load_npy(tmp_path / "b.npy").vals.dtype == np.int64
    np.save(tmp_path / "s.npy", np.float64(2.5))
    assert load_npy(tmp_path / "s.npy").to_points() == [(2.5,)]
    np.save(tmp_path / "c.npy", np.ones(2, dtype=complex))
    with pytest.raises(TensorFileError, match=r"c\.npy: holds complex128 data"):
        load_npy(tmp_path / "c.npy")
    _write(tmp_path, "bad.npy", "not numpy")
    with pytest.raises(TensorFileError, match=r"bad\.npy: not a readable \.npy array"):
        load_npy(tmp_path / "bad.npy")
    with pytest.raises(TensorFileError, match="has order 3 but format"):
        load_npy(tmp_path / "a.npy", "ss")


# ---------------------------------------------------------------------------
# Formatted directories (spec 4.4)


def test_formatted_reference_layout(tmp_path):
    # DCSC (ss10) of spec 1.3's B: level 0 stores mode 1, so its arrays are
    # tensor_B_mode_1_*; values as the reference writes them (float text).
    d = tmp_path / "matmul_kij"
    d.mkdir()
    files = {"shape": "3\n4\n", "1_seg": "0\n4\n", "1_crd": "0\n1\n2\n3\n",
             "0_seg": "0\n1\n2\n3\n4\n", "0_crd": "0\n2\n0\n2\n",
             "vals": "1.0\n3.0\n2.0\n4.0\n"}
    for k, v in files.items():
        (d / f"tensor_B_mode_{k}").write_text(v)
    t = load_formatted(d, "B", "ss10")
    assert t.to_points() == [(0, 0, 1.0), (0, 2, 2.0), (2, 1, 3.0), (2, 3, 4.0)]
    assert t.levels[0].mode == 1 and t.vals.dtype == np.float64
    assert sorted(formatted_files(d, "B")) == sorted(files)
    inferred = load_formatted(d, "B")   # the mode order that fits the files
    assert str(inferred.format) == "ss10" and inferred.same_storage(t)


def test_formatted_round_trip(tmp_path, spec_b):
    coords, vals, shape = spec_b
    for fmt in ["ss", "ds", "ss10", "dd", "sd10"]:
        t = Tensor.from_coo(coords, vals, shape, fmt, "C")
        save_formatted(t, tmp_path / fmt)
        names = {p.name for p in (tmp_path / fmt).iterdir()}
        for lv in t.levels:
            has = f"tensor_C_mode_{lv.mode}_seg" in names
            assert has == (lv.format == "compressed")
        u = load_formatted(tmp_path / fmt, "C", fmt)
        assert u.same_storage(t) and u.name == "C"
    d = tmp_path / "ds"
    assert str(load_formatted(d, "C").format) == "ds01"


def test_formatted_errors(tmp_path, spec_b):
    coords, vals, shape = spec_b
    save_formatted(Tensor.from_coo(coords, vals, shape, "ds", "C"), tmp_path)
    with pytest.raises(TensorFileError, match="tensor_C_mode_0_seg is missing; format ss01 "
                                              "stores mode 0 in a compressed level"):
        load_formatted(tmp_path, "C", "ss")
    with pytest.raises(TensorFileError, match="no files of tensor 'Z'"):
        load_formatted(tmp_path, "Z")
    (tmp_path / "tensor_C_mode_1_crd").write_text("0\n2\nx\n3\n")
    with pytest.raises(TensorFileError, match=r"tensor_C_mode_1_crd:3: crd entry 'x' is not "
                                              r"an integer"):
        load_formatted(tmp_path, "C", "ds")
    (tmp_path / "tensor_C_mode_1_crd").write_text("0\n2\n1\n7\n")
    with pytest.raises(TensorFileError, match=r"crd\[3\]=7 is outside 0..3"):
        load_formatted(tmp_path, "C", "ds")


# ---------------------------------------------------------------------------
# Dispatch


def test_load_save_tensor_dispatch(tmp_path, spec_b):
    coords, vals, shape = spec_b
    t = Tensor.from_coo(coords, vals, shape, "ss10", "B")
    for name in ["b.mtx", "b.tns", "b.npy", "bdir"]:
        save_tensor(t, tmp_path / name)
        u = load_tensor(tmp_path / name, "ss10", name="B")
        assert u.same_storage(t), name
    assert load_tensor(tmp_path / "b.mtx").name == "b"
    assert load_tensor(tmp_path / "b.tns", shape=(5, 5)).shape == (5, 5)
    with pytest.raises(TensorFileError, match="give the tensor name"):
        load_tensor(tmp_path / "bdir")
    with pytest.raises(TensorFileError, match=r"unknown tensor file type '\.csv'"):
        save_tensor(t, tmp_path / "b.csv")
    _write(tmp_path, "b.csv", "1,2\n")
    with pytest.raises(TensorFileError, match=r"unknown tensor file type '\.csv'; use \.mtx"):
        load_tensor(tmp_path / "b.csv")
    with pytest.raises(TensorFileError, match="no such file"):
        load_tensor(tmp_path / "missing.mtx")
    with pytest.raises(TensorFileError, match=r"bad option for a \.npy file .*as_vector"):
        load_tensor(tmp_path / "b.npy", as_vector=True)


def test_forced_dtype(tmp_path):
    p = _write(tmp_path, "t.tns", "1 2 3.0\n2 1 4.0\n")
    assert load_tns(p).vals.dtype == np.float64
    assert load_tns(p, dtype=np.int64).to_points() == [(0, 1, 3), (1, 0, 4)]
    q = _write(tmp_path, "f.tns", "1 1 1.5\n")
    with pytest.raises(TensorFileError, match=r"f\.tns: .*non-integer values cannot be stored"):
        load_tns(q, dtype=np.int64)
    t = Tensor.from_coo([[0, 1], [1, 0]], [2.0, 3.0], (2, 2), "ss", "B")
    save_formatted(t, tmp_path / "d")
    u = load_formatted(tmp_path / "d", "B", "ss", dtype=np.int64)
    assert u.vals.dtype == np.int64 and u.to_points() == [(0, 1, 2), (1, 0, 3)]


# ---------------------------------------------------------------------------
# Writers never leave partial files


@pytest.mark.parametrize("name", ["x.mtx", "x.tns", "x.npy", "xdir"])
def test_writers_are_atomic(tmp_path, monkeypatch, spec_b, name):
    coords, vals, shape = spec_b
    t = Tensor.from_coo(coords, vals, shape, "ss", "B")
    path = tmp_path / name
    save_tensor(t, path)
    old = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert all(oct(p.stat().st_mode)[-3:] != "600" for p in old)   # usual mode, not mkstemp's
    # a write that dies half-way keeps the previous file and leaves no temporary
    import pathlib
    real = pathlib.Path.write_text

    def die():
        raise OSError(28, "No space left on device")

    def half_write_text(self, text, *a, **k):
        real(self, text[: len(text) // 2], *a, **k)
        die()

    def half_file(f, data):
        with open(f, "wb") as fh:
            fh.write(data)
        die()
    monkeypatch.setattr(pathlib.Path, "write_text", half_write_text)
    monkeypatch.setattr(np, "save", lambda f, *a, **k: half_file(f, b"\x93NU"))
    monkeypatch.setattr(scipy.io, "mmwrite", lambda f, *a, **k: half_file(f, b"%%Ma"))
    with pytest.raises(TensorFileError, match=f"{name}.*cannot write: No space left"):
        save_tensor(t, path)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == old


def test_writer_missing_directory(tmp_path, spec_b):
    coords, vals, shape = spec_b
    t = Tensor.from_coo(coords, vals, shape, "ss", "B")
    for name in ["x.mtx", "x.tns", "x.npy"]:
        with pytest.raises(TensorFileError, match=f"{name}: cannot write: directory "
                                                  f".*nodir does not exist"):
            save_tensor(t, tmp_path / "nodir" / name)
    assert list(tmp_path.iterdir()) == []
