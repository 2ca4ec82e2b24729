"""Formal stream-rule check of every registered RTL primitive (bounded model
check through yowasp-sby + z3, see rtl/formal.py), plus negative controls."""


import pytest
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from cocotb_tests.broken import DropsValid
from rtl.encoding import token_stream
from rtl.formal import check_stream_rules
from rtl.primitives import registry

CASES = [(name, params) for name, entry in sorted(registry().items())
         for params in entry.formal_params]


def _id(case):
    name, params = case
    return name + "".join(f"-{k}={v}" for k, v in sorted(params.items()) if k != "_depth")


@pytest.mark.formal
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_stream_rules(case, tmp_path):
    name, params = case
    params = dict(params)
    depth = params.pop("_depth", 12)
    dut = registry()[name].factory(**params)
    res = check_stream_rules(dut, depth=depth, workdir=tmp_path)
    assert res.ok, f"{name} {params}: bmc={res.bmc} cover={res.cover} ({res.workdir})\n{res.log}"


class _ChangesPayload(wiring.Component):
    """Broken on purpose: the payload counts while stalled."""
    i: In(token_stream(2))
    o: Out(token_stream(2))

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.i.ready.eq(~self.o.valid | self.o.ready)
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += [self.o.valid.eq(1), self.o.payload.eq(self.i.payload)]
        with m.Elif(self.o.valid & self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        with m.Elif(self.o.valid):
            m.d.sync += self.o.payload.data.eq(self.o.payload.data + 1)
        return m


@pytest.mark.formal
@pytest.mark.parametrize("cls", [lambda: DropsValid(2), _ChangesPayload],
                         ids=["DropsValid", "ChangesPayload"])
def test_negative_control(cls, tmp_path):
    res = check_stream_rules(cls(), depth=8, workdir=tmp_path)
    assert not res.ok and res.bmc == "FAIL", f"bmc={res.bmc}"
