"""sam.formats: Format parsing, level-format plug-ins, Tensor converters,
reference streams (spec 1.3) and assemble_output."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

import sam.primitives
from sam.errors import UserError
from sam.formats import (LEVEL_FORMATS, LEVEL_FORMATS_BY_LETTER, Compressed, Dense,
                         Format, FormatError, LevelFormat, LevelFormatError, Tensor,
                         WrittenLevel, assemble_output, level_format, record_level,
                         record_vals, register_level_format, scan_level, tensor_streams,
                         value_stream)
from sam.tokens import D, S, TokenError, parse
from sam.tokens import fmt as tfmt

# ---------------------------------------------------------------------------
# Format


@pytest.mark.parametrize("text, levels, order, ref, taco", [
    ("ds", "ds", (0, 1), "ds01", "ds"),
    ("ss:1,0", "ss", (1, 0), "ss10", "ss:1,0"),
    ("sss", "sss", (0, 1, 2), "sss012", "sss"),
    ("dd", "dd", (0, 1), "dd01", "dd"),
    ("ss01", "ss", (0, 1), "ss01", "ss"),
    ("ss10", "ss", (1, 0), "ss10", "ss:1,0"),
    ("sss012", "sss", (0, 1, 2), "sss012", "sss"),
    ("sds:2,0,1", "sds", (2, 0, 1), "sds201", "sds:2,0,1"),
    ("d0", "d", (0,), "d0", "d"),
    ("s0", "s", (0,), "s0", "s"),
    ("s", "s", (0,), "s0", "s"),
    ("none", "", (), "none", ""),
    (" ss : 1 , 0 ", "ss", (1, 0), "ss10", "ss:1,0"),
])
def test_format_parse(text, levels, order, ref, taco):
    f = Format.parse(text)
    assert f.levels == tuple(levels)
    assert f.mode_order == order
    assert f.order == len(levels)
    assert str(f) == ref
    assert f.taco() == taco
    assert Format.parse(str(f)) == f
    assert Format.parse(f) is f


def test_format_queries():
    f = Format.parse("sds:2,0,1")
    assert [f.level_of_mode(m) for m in range(3)] == [1, 2, 0]
    assert f.level_formats == (Compressed, Dense, Compressed)
    assert Format.uniform("s", 2) == Format.parse("ss01")
    assert repr(Format.parse("ss10")) == "Format('ss10')"
    with pytest.raises(FormatError, match="mode 3 out of range"):
        f.level_of_mode(3)


@pytest.mark.parametrize("text, message", [
    ("qs", r"unknown level format letter 'q'; known letters: d \(dense\), s \(compressed\)"),
    ("ss:1,1", r"mode order \(1, 1\) is not a permutation of 0..1"),
    ("ss:0,2", "not a permutation"),
    ("ss0", "2 level letters but 1 mode digits"),
    ("ss:0", "2 level letters but 1 modes"),
    ("ss:a,b", "must be comma-separated integers"),
    ("", "empty format string"),
    ("01", "expected level letters"),
    ("s-s", "expected level letters"),
])
def test_format_errors(text, message):
    with pytest.raises(FormatError, match=message) as e:
        Format.parse(text)
    assert isinstance(e.value, UserError) and "\n" not in str(e.value)


def test_format_constructor_checks():
    with pytest.raises(FormatError, match="unknown level format letter 'x'"):
        Format(("x",), (0,))
    with pytest.raises(FormatError, match="not a permutation"):
        Format(("s", "s"), (0, 0))


# ---------------------------------------------------------------------------
# Level-format plug-ins


def test_registry_matches_catalogue():
    assert set(LEVEL_FORMATS) == set(sam.primitives.LEVEL_FORMATS)
    assert {c.letter for c in LEVEL_FORMATS.values()} == set(LEVEL_FORMATS_BY_LETTER)
    assert level_format("s") is level_format("compressed") is Compressed
    assert level_format("d") is level_format("dense") is Dense
    with pytest.raises(LevelFormatError, match="unknown level format 'bitvector'"):
        level_format("bitvector")


def test_capabilities():
    assert (Compressed.iterate, Compressed.locate, Compressed.append) == (True, False, True)
    assert (Dense.iterate, Dense.locate, Dense.insert, Dense.full) == (True, True, True, True)
    assert Compressed.arrays == ("seg", "crd") and Dense.arrays == ()


def test_register_rejects_clash():
    class Other(LevelFormat):
        name, letter = "other", "s"
    with pytest.raises(TypeError, match="already registered"):
        register_level_format(Other)
    assert LEVEL_FORMATS_BY_LETTER["s"] is Compressed and "other" not in LEVEL_FORMATS


def test_compressed_pack_unpack_fiber():
    seg, crd = np.array([0, 2, 2, 4]), np.array([0, 2, 1, 3])
    arrays, pos, size = Compressed.pack(4, seg, crd)
    assert size == 4 and pos.tolist() == [0, 1, 2, 3]
    assert arrays["seg"].tolist() == [0, 2, 2, 4] and arrays["crd"].tolist() == [0, 2, 1, 3]
    parents, crds = Compressed.unpack(arrays, 4, 3)
    assert parents.tolist() == [0, 0, 2, 2] and crds.tolist() == [0, 2, 1, 3]
    c, p = Compressed.fiber(arrays, 4, 2)
    assert c.tolist() == [1, 3] and p.tolist() == [2, 3]
    c, p = Compressed.fiber(arrays, 4, 1)
    assert c.tolist() == [] and p.tolist() == []


def test_dense_pack_unpack_fiber():
    arrays, pos, size = Dense.pack(4, np.array([0, 2, 2, 4]), np.array([0, 2, 1, 3]))
    assert arrays == {} and size == 12 and pos.tolist() == [0, 2, 9, 11]
    parents, crds = Dense.unpack({}, 2, 2)
    assert parents.tolist() == [0, 0, 1, 1] and crds.tolist() == [0, 1, 0, 1]
    c, p = Dense.fiber({}, 3, 1)
    assert c.tolist() == [0, 1, 2] and p.tolist() == [3, 4, 5]


@pytest.mark.parametrize("arrays, message", [
    ({"seg": [0, 2], "crd": [0, 1]}, "seg has 2 entries, expected 4"),
    ({"seg": [1, 1, 2, 2], "crd": [0, 1]}, "seg must start at 0"),
    ({"seg": [0, 2, 1, 2], "crd": [0, 1]}, "never decrease"),
    ({"seg": [0, 1, 1, 3], "crd": [0, 1]}, "end at len"),
    ({"seg": [0, 1, 1, 2], "crd": [0, 4]}, r"crd\[1\]=4 is outside 0..3"),
    ({"seg": [0, 2, 2, 2], "crd": [1, 1]}, r"crd\[1\]=1 does not increase"),
    ({"seg": [0, 2, 2, 2], "crd": [0.5, 1]}, "must hold integers"),
    ({"seg": [0, 0, 0, 0]}, "stores arrays"),
])
def test_tensor_checks_compressed_arrays(arrays, message):
    with pytest.raises(FormatError, match=message) as e:
        Tensor((3, 4), "ds", [{}, arrays], np.zeros(len(arrays.get("crd", []))), "B")
    assert "tensor B level 1 (mode 1)" in str(e.value)


def test_compressed_fiber_starts_may_decrease():
    t = Tensor((3, 4), "ds", [{}, {"seg": [0, 2, 3, 4], "crd": [0, 2, 2, 2]}], [1, 2, 3, 4])
    assert t.to_points() == [(0, 0, 1), (0, 2, 2), (1, 2, 3), (2, 2, 4)]


def test_tensor_value_count_and_shape_checks():
    with pytest.raises(FormatError, match="3 values but the last level has 4 positions"):
        Tensor((2, 2), "dd", [{}, {}], [1, 2, 3])
    with pytest.raises(FormatError, match="shape \\(2,\\) has order 1 but format ss01"):
        Tensor((2,), "ss", [{}, {}], [])
    with pytest.raises(FormatError, match="format ss01 has 2 levels, got arrays for 1"):
        Tensor((2, 2), "ss", [{}], [])


# ---------------------------------------------------------------------------
# Spec section 1.3, literally


def _spec_tensor(spec_b, fmt):
    coords, vals, shape = spec_b
    return Tensor.from_coo(coords, vals, shape, fmt, "B")


def _streams_text(t):
    return [(tfmt(c), tfmt(r)) for c, r in tensor_streams(t)]


def test_spec_13a_csr(spec_b):
    t = _spec_tensor(spec_b, "ds")
    assert t.levels[0].format == "dense" and t.levels[0].dim == 3 and t.levels[0].arrays == {}
    assert t.levels[1].arrays["seg"].tolist() == [0, 2, 2, 4]
    assert t.levels[1].arrays["crd"].tolist() == [0, 2, 1, 3]
    assert _streams_text(t) == [("0 1 2 S0 D", "0 1 2 S0 D"),
                                ("0 2 S0 S0 1 3 S1 D", "0 1 S0 S0 2 3 S1 D")]


def test_spec_13b_dcsr(spec_b):
    t = _spec_tensor(spec_b, "ss01")
    assert [lv.arrays["seg"].tolist() for lv in t.levels] == [[0, 2], [0, 2, 4]]
    assert [lv.arrays["crd"].tolist() for lv in t.levels] == [[0, 2], [0, 2, 1, 3]]
    assert _streams_text(t) == [("0 2 S0 D", "0 1 S0 D"),
                                ("0 2 S0 1 3 S1 D", "0 1 S0 2 3 S1 D")]
    assert tfmt(value_stream(t)) == "1 2 S0 3 4 S1 D"


def test_spec_13c_dense():
    t = Tensor.from_dense(np.arange(1, 7).reshape(2, 3), "dd")
    assert _streams_text(t) == [("0 1 S0 D", "0 1 S0 D"),
                                ("0 1 2 S0 0 1 2 S1 D", "0 1 2 S0 3 4 5 S1 D")]


def test_spec_13d_csf():
    pts = [(0, 0, 1), (0, 0, 3), (0, 2, 0), (1, 1, 2)]
    t = Tensor.from_coo(np.array(pts).T, [1, 2, 3, 4], (2, 3, 4), "sss012")
    assert [(lv.arrays["seg"].tolist(), lv.arrays["crd"].tolist()) for lv in t.levels] == [
        ([0, 2], [0, 1]), ([0, 2, 3], [0, 2, 1]), ([0, 2, 3, 4], [1, 3, 0, 2])]
    s = _streams_text(t)
    assert s[0][0] == "0 1 S0 D"
    assert s[1] == ("0 2 S0 1 S1 D", "0 1 S0 2 S1 D")
    assert s[2] == ("1 3 S0 0 S1 2 S2 D", "0 1 S0 2 S1 3 S2 D")


# Scanner vectors of spec 2.1 (reference unit tests), through scan_level.

def _level1(seg, crd, dim):
    parents = len(seg) - 1
    vals = np.ones(len(crd), dtype=np.int64)
    return Tensor((parents, dim), "ds", [{}, {"seg": seg, "crd": crd}], vals)


@pytest.mark.parametrize("seg, crd, refs, out_crd, out_ref", [
    ([0, 2, 3, 4], [0, 2, 2, 2], "0 1 2 S0 D", "0 2 S0 2 S0 2 S1 D", "0 1 S0 2 S0 3 S1 D"),
    ([0, 3, 4, 6], [0, 2, 3, 0, 2, 3], "0 0 S0 1 S0 2 S1 D",
     "0 2 3 S0 0 2 3 S1 0 S1 2 3 S2 D", "0 1 2 S0 0 1 2 S1 3 S1 4 5 S2 D"),
    ([0, 2, 3, 4], [0, 1, 2, 3], "0 1 N 2 N S0 D",
     "0 1 S0 2 S0 N S0 3 S0 N S1 D", "0 1 S0 2 S0 N S0 3 S0 N S1 D"),
])
def test_scan_level_reference_vectors(seg, crd, refs, out_crd, out_ref):
    c, r = scan_level(_level1(seg, crd, 4), 1, parse(refs))
    assert tfmt(c) == out_crd and tfmt(r) == out_ref


def test_scan_level_empty_parent_fibers():
    t = Tensor((1, 29), "ss", [{"seg": [0, 1], "crd": [0]}, {"seg": [0, 1], "crd": [28]}], [5])
    c, r = scan_level(t, 1, parse("0 S0 S0 0 S0 D"))
    assert tfmt(c) == "28 S1 S1 28 S1 D" and tfmt(r) == "0 S1 S1 0 S1 D"


def test_scan_level_dense_vectors():
    t = Tensor.from_dense(np.ones((4, 4)), "dd")
    c, r = scan_level(t, 1, parse("0 1 2 3 S0 D"))
    assert tfmt(c) == " ".join(["0 1 2 3 S0"] * 3 + ["0 1 2 3 S1 D"])
    assert tfmt(r) == "0 1 2 3 S0 4 5 6 7 S0 8 9 10 11 S0 12 13 14 15 S1 D"
    t = Tensor.from_dense(np.ones((7, 2)), "dd")
    c, _ = scan_level(t, 1, parse("0 1 2 S0 3 4 S0 5 6 S1 D"))
    closings = [str(x) for x in c if x is not D and not isinstance(x, int)]
    assert closings == ["S0", "S0", "S1", "S0", "S1", "S0", "S2"] and c[-1] is D


def test_scan_level_bad_input():
    t = Tensor.from_dense(np.ones((2, 2)), "dd")
    with pytest.raises(TokenError, match="bad input reference 5"):
        scan_level(t, 1, parse("5 S0 D"))
    with pytest.raises(TokenError, match="does not end with D"):
        scan_level(t, 1, parse("0 S0"))
    with pytest.raises(TokenError, match="tokens after D"):
        scan_level(t, 1, parse("0 D 1"))


# ---------------------------------------------------------------------------
# Tensor construction and conversion


def test_from_coo_sums_duplicates_and_sorts():
    coords = np.array([[2, 0, 2, 0], [1, 0, 1, 3]])
    t = Tensor.from_coo(coords, [1.5, 2.0, 0.5, 1.0], (3, 4), "ss10")
    assert t.vals.dtype == np.float64
    assert t.to_points() == [(0, 0, 2.0), (0, 3, 1.0), (2, 1, 2.0)]
    assert t.levels[0].mode == 1 and t.levels[0].arrays["crd"].tolist() == [0, 1, 3]
    assert t.level_of_mode(0) == 1 and t.level_of_mode(1) == 0


def test_from_coo_point_list_and_int_values():
    # (n, order) point lists are accepted when the shape is unambiguous.
    t = Tensor.from_coo([[0, 1], [2, 0], [1, 1]], [3, 4, 5], (3, 2), "ss")
    assert t.vals.dtype == np.int64 and t.to_points() == [(0, 1, 3), (1, 1, 5), (2, 0, 4)]


def test_from_coo_keeps_explicit_zeros():
    t = Tensor.from_coo([[0, 1], [0, 1]], [0, 5], (2, 2), "ss")
    assert len(t.vals) == 2 and t.nnz == 1
    assert t.to_points() == [(1, 1, 5)]
    assert t.to_points(keep_zeros=True) == [(0, 0, 0), (1, 1, 5)]


def test_from_coo_errors():
    with pytest.raises(FormatError, match="entry 1 has mode-1 coordinate 4, outside 0..3"):
        Tensor.from_coo([[0, 1], [0, 4]], [1, 2], (3, 4), "ss")
    with pytest.raises(FormatError, match="coords have shape"):
        Tensor.from_coo([[0, 1, 2]], [1, 2], (3, 4), "ss")
    with pytest.raises(FormatError, match="values must be integers or real numbers"):
        Tensor.from_coo([[0]], [1 + 2j], (3,), "s")
    with pytest.raises(FormatError, match="coordinates must be integers"):
        Tensor.from_coo([[0.5]], [1], (3,), "s")


def test_scalar():
    t = Tensor.from_coo(np.zeros((0, 2)), [2, 3], (), "none", "b")
    assert t.order == 0 and t.vals.tolist() == [5] and t.levels == []
    assert t.to_dense().shape == () and t.to_dense()[()] == 5
    assert t.to_points() == [(5,)]
    assert tensor_streams(t) == [] and value_stream(t) == [5, D]
    z = Tensor.from_dense(np.float64(0.0), "none")
    assert z.vals.tolist() == [0.0] and z.nnz == 0
    assert assemble_output((), "none", [], [7]).vals.tolist() == [7]


@pytest.mark.parametrize("fmt", ["s", "d", "ss", "ds", "sd", "dd", "ss10", "ds10",
                                 "sss", "dsd:2,1,0"])
def test_empty_tensor(fmt):
    f = Format.parse(fmt)
    shape = (3, 2, 4)[:f.order]
    t = Tensor.from_coo(np.zeros((f.order, 0), dtype=int), [], shape, f)
    assert t.nnz == 0 and t.to_points() == [] and not t.to_dense().any()
    w = [record_level(c) for c, _ in tensor_streams(t)]
    back = assemble_output(shape, f, w, record_vals(value_stream(t)))
    assert back.same_storage(t)


def test_empty_dcsr_streams():
    t = Tensor.from_coo(np.zeros((2, 0), dtype=int), [], (3, 4), "ss")
    assert _streams_text(t) == [("S0 D", "S0 D"), ("S1 D", "S1 D")]


def test_dense_and_scipy_conversions(rng):
    a = rng.integers(-3, 4, size=(5, 7)) * (rng.random((5, 7)) < 0.4)
    for fmt in ["ss", "ds", "ss10", "dd", "sd10"]:
        t = Tensor.from_dense(a, fmt)
        assert np.array_equal(t.to_dense(), a)
        sp = t.to_scipy()
        assert isinstance(sp, scipy.sparse.csr_array) and np.array_equal(sp.toarray(), a)
        u = Tensor.from_scipy(scipy.sparse.csr_matrix(a), fmt)
        assert u.same_storage(t) if fmt[0] != "d" or fmt == "dd" else u.allclose(t)
        assert t.convert("ss").same_storage(Tensor.from_dense(a, "ss"))
    with pytest.raises(FormatError, match="order-2 tensor"):
        Tensor.from_dense(np.ones(3), "s").to_scipy()


def test_allclose_and_same_storage():
    a = Tensor.from_coo([[0, 1], [1, 0]], [1.0, 2.0], (2, 2), "ss")
    b = Tensor.from_coo([[1, 0, 0], [0, 1, 0]], [2.0, 1.0 + 1e-12, 0.0], (2, 2), "dd")
    assert a.allclose(b) and not a.same_storage(b)
    assert not a.allclose(Tensor.from_coo([[0], [1]], [1.0], (2, 2), "ss"))
    assert not a.allclose(Tensor.from_coo([[0, 1], [1, 0]], [1.0, 2.0], (2, 3), "ss"))
    assert a.same_storage(a.convert("ss").renamed("other"))
    assert not a.same_storage(Tensor.from_coo([[0, 1], [1, 0]], [1, 2], (2, 2), "ss"))
    assert a.same_storage(Tensor.from_coo([[0, 1], [1, 0]], [1, 2], (2, 2), "ss"),
                          check_dtype=False)


def test_zero_size_dimension():
    t = Tensor.from_coo(np.zeros((2, 0), dtype=int), [], (0, 3), "ds")
    assert t.levels[0].size == 0 and t.to_dense().shape == (0, 3)
    assert _streams_text(t) == [("S0 D", "S0 D"), ("S1 D", "S1 D")]


# ---------------------------------------------------------------------------
# assemble_output


def _w(stream, dim=None):
    return record_level(parse(stream), dim)


def test_record_level_raw_seg():
    w = _w("0 2 S0 S0 1 3 S1 D")
    assert w.crd.tolist() == [0, 2, 1, 3] and w.seg.tolist() == [0, 2, 2, 4] and w.fibers == 3
    w = _w("S1 D")
    assert w.crd.tolist() == [] and w.seg.tolist() == [0, 0]
    with pytest.raises(TokenError, match="unexpected token N"):
        _w("0 N S0 D")
    with pytest.raises(TokenError, match="does not end with D"):
        _w("0 S0")
    assert record_vals(parse("1 2.5 S0 3 S1 D")) == [1, 2.5, 3]
    with pytest.raises(TokenError, match="unexpected token N"):
        record_vals(parse("N S0 D"))


def test_assemble_worked_example_csr(spec_b):
    t = assemble_output((3, 4), "ds", [_w("0 1 2 S0 D", 3), _w("0 2 S0 S0 1 3 S1 D")],
                        [1, 2, 3, 4], "X")
    assert t.same_storage(_spec_tensor(spec_b, "ds"))
    assert t.name == "X"


def test_assemble_worked_example_empty_dcsr():
    t = assemble_output((3, 4), "ss", [_w("S0 D"), _w("S1 D")], [])
    assert t.levels[0].arrays["seg"].tolist() == [0, 0]
    assert t.levels[1].arrays["seg"].tolist() == [0] and t.nnz == 0


def test_assemble_dense_level_fills_missing_coordinates(spec_b):
    # X:ds written from a DCSR-like stream: row 1 never appears.
    t = assemble_output((3, 4), "ds", [_w("0 2 S0 D"), _w("0 2 S0 1 3 S1 D")], [1, 2, 3, 4])
    assert t.same_storage(_spec_tensor(spec_b, "ds"))
    # X:dd from sparse streams: zeros fill the gaps.
    t = assemble_output((3, 4), "dd", [_w("0 2 S0 D"), _w("0 2 S0 1 3 S1 D")],
                        [1.0, 2.0, 3.0, 4.0])
    assert t.vals.tolist() == [1, 0, 2, 0, 0, 0, 0, 0, 0, 3, 0, 4]
    # X:sd: a dense inner level below a compressed outer one.
    t = assemble_output((3, 4), "sd", [_w("0 2 S0 D"), _w("0 2 S0 1 3 S1 D")], [1, 2, 3, 4])
    assert t.levels[0].arrays["crd"].tolist() == [0, 2]
    assert t.vals.tolist() == [1, 0, 2, 0, 0, 3, 0, 4]


def test_assemble_keeps_written_empty_fibers_and_zero_values():
    # Row 0 has an (empty) written fiber below a compressed parent: kept.
    t = assemble_output((2, 3), "ss", [_w("0 1 S0 D"), _w("S0 2 S1 D")], [0])
    assert t.levels[0].arrays["crd"].tolist() == [0, 1]
    assert t.levels[1].arrays["seg"].tolist() == [0, 0, 1]
    assert t.vals.tolist() == [0] and t.nnz == 0 and t.to_points() == []


def test_assemble_drops_extra_closings_of_empty_fibers():
    # 3-level: the middle level has an empty fiber below i=1, which causes one
    # extra closing at the innermost level (S1 after 3 S0 is row 0's end).
    streams = ["0 1 S0 D", "0 2 S0 S1 D", "1 S0 3 S1 S2 D"]
    t = assemble_output((2, 3, 4), "sss", [_w(s) for s in streams], [5, 6])
    assert t.to_points() == [(0, 0, 1, 5), (0, 2, 3, 6)]
    assert t.levels[2].arrays["seg"].tolist() == [0, 1, 2]
    assert t.levels[1].arrays["seg"].tolist() == [0, 2, 2]


@pytest.mark.parametrize("levels, vals, message", [
    (["0 1 2 S0 D", "0 S0 1 S0 2 S0 3 S0 S1 D"], [1, 2, 3, 4],
     "output level X1 has 5 fibers but X0 has 3 coordinates, so 3 were expected"),
    (["0 1 S0 S0 D", "0 S0 1 S1 D"], [1, 2],
     "output level X0 has 2 fibers; the root level must have exactly one"),
    (["0 1 S0 D", "0 S0 1 S1 D"], [1, 2, 3],
     "received 3 values but the last level X1 has 2 coordinates"),
    (["0 S0 D", "0 S0 2 S1 D"], [1, 2], "output level X1 has 2 fibers but X0 has 1 "),
    (["0 S0 D", "2 0 S1 D"], [1, 2], "fiber 0 has 2 then 0"),
    (["0 S0 D", "5 S1 D"], [1], "coordinate 5 \\(entry 0\\) is outside 0..3"),
    (["S0 D", "1 S1 D"], [1], "fiber 0 closes below an empty fiber of X0 and must be empty"),
])
def test_assemble_errors(levels, vals, message):
    with pytest.raises(FormatError, match=message) as e:
        assemble_output((3, 4), "ss", [_w(s) for s in levels], vals, "X")
    assert "\n" not in str(e.value)


def test_assemble_error_names_mode_and_level():
    with pytest.raises(FormatError, match=r"X0 \(storage level 1\) has 5 fibers but "
                                          r"X1 \(storage level 0\) has 1 coordinates"):
        assemble_output((3, 4), "ss10", [_w("0 S0 D"), _w("0 S0 S0 S0 S0 S1 D")], [1])


def test_assemble_input_forms():
    t = assemble_output((3,), "s", [{"crd": [0, 2], "seg": [0, 2], "dim": 3}], [1, 2])
    assert t.to_points() == [(0, 1), (2, 2)]
    t2 = assemble_output((3,), "s", [WrittenLevel(np.array([0, 2]), np.array([0, 2]))], [1, 2])
    assert t2.same_storage(t)
    with pytest.raises(FormatError, match="writer dimension 4 differs"):
        assemble_output((3,), "s", [{"crd": [0], "seg": [0, 1], "dim": 4}], [1])
    with pytest.raises(FormatError, match="needs 'crd' and 'seg'"):
        assemble_output((3,), "s", [{"crd": [0]}], [1])
    with pytest.raises(FormatError, match="raw seg must start at 0"):
        assemble_output((3,), "s", [{"crd": [0], "seg": [0, 2]}], [1])
    with pytest.raises(FormatError, match="format s0 has 1 levels but 2 written"):
        assemble_output((3,), "s", [{"crd": [], "seg": [0, 0]}] * 2, [])
    with pytest.raises(FormatError, match="scalar but the values writer received 0"):
        assemble_output((), "none", [], [])


# ---------------------------------------------------------------------------
# Property tests: every format, orders 0-3


@st.composite
def tensors(draw, values=st.integers(-3, 3)):
    order = draw(st.integers(0, 3))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=order, max_size=order)))
    letters = draw(st.lists(st.sampled_from("sd"), min_size=order, max_size=order))
    perm = draw(st.permutations(range(order)))
    fmt = Format(tuple(letters), tuple(perm))
    space = list(itertools.product(*[range(d) for d in shape]))
    points = draw(st.lists(st.sampled_from(space), max_size=12)) if order else []
    vals = draw(st.lists(values, min_size=len(points), max_size=len(points)))
    return shape, fmt, points, vals


def _dense_of(shape, points, vals, dtype):
    a = np.zeros(shape, dtype=dtype)
    for p, v in zip(points, vals):
        a[p] += v
    return a


@given(tensors())
@settings(max_examples=150)
def test_property_coo_dense_round_trip(case):
    shape, fmt, points, vals = case
    coords = np.array(points, dtype=np.int64).T.reshape(len(shape), len(points))
    t = Tensor.from_coo(coords, np.array(vals, dtype=np.int64), shape, fmt)
    expect = _dense_of(shape, points, vals, np.int64)
    assert np.array_equal(t.to_dense(), expect)
    if shape:
        c, v = t.to_coo()
        assert np.array_equal(c, np.array(np.nonzero(expect)))
        assert np.array_equal(v, expect[np.nonzero(expect)])
    assert Tensor.from_dense(expect, fmt).allclose(t)
    assert t.nnz == np.count_nonzero(expect)
    # Dense levels store every position: size is the product of dims so far.
    size = 1
    for lv in t.levels:
        size = size * lv.dim if lv.format == "dense" else lv.size
        assert lv.size == size


def _walk_streams(t: Tensor, target: int) -> tuple[list, list]:
    """Independent model of spec 1.2: walk the fibertree depth first, emit
    level ``target``'s coordinates and one closing marker per fiber (an
    empty fiber above ``target`` implies one empty fiber on every level below
    it), then merge each run of closings of decreasing level into one token."""
    crd, ref = [], []

    def close(level):
        if crd and isinstance(crd[-1], tuple) and crd[-1][1] == level + 1:
            crd[-1] = (crd[-1][0] + 1, level)
            ref[-1] = crd[-1]
        else:
            crd.append((0, level))
            ref.append((0, level))

    def walk(level, parent):
        crds, poss = t.levels[level].fiber(parent)
        if level == target:
            crd.extend(int(c) for c in crds)
            ref.extend(int(p) for p in poss)
        elif len(crds) == 0:
            for lv in range(target, level, -1):
                close(lv)
        else:
            for p in poss:
                walk(level + 1, int(p))
        close(level)

    walk(0, 0)
    fix = lambda xs: [S(x[0]) if isinstance(x, tuple) else x for x in xs] + [D]
    return fix(crd), fix(ref)


@given(tensors(values=st.integers(-3, 3) | st.floats(-4, 4, width=32)))
@settings(max_examples=150)
def test_property_streams_assemble_round_trip(case):
    shape, fmt, points, vals = case
    coords = np.array(points, dtype=np.int64).T.reshape(len(shape), len(points))
    t = Tensor.from_coo(coords, vals, shape, fmt, "X")
    streams = tensor_streams(t)
    assert len(streams) == t.order
    for l, (crd, ref) in enumerate(streams):
        # Same shape of stream on crd and ref; the level-l stream ends S(l) D.
        assert [type(a) for a in crd] == [type(b) for b in ref]
        assert crd[-1] is D and crd[-2] is S(l)
        assert (crd, ref) == _walk_streams(t, l)
    written = [record_level(c) for c, _ in streams]
    back = assemble_output(shape, fmt, written, record_vals(value_stream(t)), "X",
                           dtype=t.vals.dtype)
    assert back.same_storage(t), (t, back)


def test_record_level_reference_writer_vector():
    # spec 2.9 (reference CompressWrScan test): no empty fibers, so the raw
    # seg equals the reference's.
    w = _w("0 2 3 S0 0 2 3 S1 D")
    assert w.crd.tolist() == [0, 2, 3, 0, 2, 3] and w.seg.tolist() == [0, 3, 6]


@pytest.mark.parametrize("fmt", ["ss", "ds", "ss10", "sd", "dd"])
def test_suitesparse_streams_round_trip(suitesparse_paths, fmt):
    import scipy.io
    for path in suitesparse_paths:
        t = Tensor.from_scipy(scipy.io.mmread(path), fmt, "X")
        streams = tensor_streams(t)
        back = assemble_output(t.shape, fmt, [record_level(c) for c, _ in streams],
                               record_vals(value_stream(t)), "X")
        assert back.same_storage(t)
