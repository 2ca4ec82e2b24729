"""The stream checker of the cocotb monitors (pure Python)."""

import pytest

from cocotb_tests.sam_streams import PortCodec, check_stream
from rtl.encoding import encode
from sam.tokens import parse

C = PortCodec(8)
REP = PortCodec(0, repsig=True)


def words(text, codec=C):
    return [codec.encode(t) for t in parse(text)]


@pytest.mark.parametrize("text", ["D", "0 D", "0 1 S0 D", "0 S0 S0 1 S1 D", "28 S1 S1 28 S1 D",
                                  "N S0 D", "S2 D"])
def test_well_formed(text):
    assert check_stream(C, words(text)) is None


@pytest.mark.parametrize("text, problem", [
    ("0 1 S0", "does not end with D"),
    ("0 D S0 D", "is not the last token"),
    ("0 S1 1 S0 D", "token before D must be the outermost stop token S1"),
    ("0 S0 1 D", "token before D must be the outermost stop token S0"),
])
def test_malformed(text, problem):
    assert problem in check_stream(C, words(text))


def test_raw_fields():
    w = words("0 N D")
    assert "data field of N" in check_stream(C, [w[0], w[1] | 3, w[2]])
    assert "data field of D" in check_stream(C, [w[0], w[1], w[2] | 1])
    assert "stop level 16 out of range" in check_stream(C, [(1 << 8) | 16, encode(parse("D")[0], 8)])
    assert check_stream(C, []) == "empty stream (every stream ends with D)"


def test_repsig():
    assert check_stream(REP, words("R R S D", REP)) is None
    assert "invalid on a repsig stream" in check_stream(REP, [2, 3])
