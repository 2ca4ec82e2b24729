"""Shared part of the binary joiners (intersect, union)."""

from __future__ import annotations

from amaranth.hdl import C, Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..encoding import Kind, token_stream, check_width

__all__ = ["BinaryJoiner", "OutBuf", "PairBuf"]


def _data_reg(layout, name):
    """A token register of ``layout`` whose initial value (a ``D`` with
    non-zero data) never occurs in a stream: loading the first token changes
    it, which Icarus needs to evaluate the logic that reads it (its ``always
    @*`` blocks do not run at time 0)."""
    return Signal(layout, name=name, init={"kind": Kind.DONE,
                                           "data": (1 << layout.size - 2) - 1})


class OutBuf:
    """Output register plus skid register for the ``Out`` stream ``port``.

    Drive ``load`` (combinational) to emit the token given by :meth:`set` or
    :meth:`choose` (the data are taken whether or not ``load`` is high, so
    only the ``valid`` bits depend on ``load``). ``load`` may be high
    whenever the skid register is empty: ``free`` (``~skid_valid``, a
    register; ``skid_next`` is its next value, combinational, for users
    that register the AND of several ``free``). ``stalled`` is ``valid &
    ~ready`` (combinational). With :meth:`choose` the registers hold both
    candidates and the select bit, and the payload is the multiplexer after
    them (a function of registers only); ``choice`` may be a constant token
    (an ``int``, the payload's bits): the second candidate is that constant,
    and only the first and the select bit are registered. Latency 1 cycle;
    one token per cycle while ``ready`` is high.
    """

    def __init__(self, m: Module, port, name: str, choice: bool | int = False):
        layout = port.payload.shape()
        self.stalled = Signal(name=f"{name}_stalled")
        self.free = Signal(name=f"{name}_free")
        self.skid_next = Signal(name=f"{name}_skid_next")
        self.load = Signal(name=f"{name}_load")
        const_b = None if isinstance(choice, bool) else C(choice, layout.size)
        self.choice = choice is not False
        self._const_b = const_b
        new = (Signal(name=f"{name}_new_sel", init=1), Signal(layout, name=f"{name}_new_a"),
               Signal(layout, name=f"{name}_new_b"))
        # sel and b start as set() leaves them (Yosys then removes them)
        reg = (Signal(name=f"{name}_sel", init=1), _data_reg(layout, f"{name}_a"),
               Signal(layout, name=f"{name}_b"))
        skid = (Signal(name=f"{name}_skid_sel", init=1), _data_reg(layout, f"{name}_skid_a"),
                Signal(layout, name=f"{name}_skid_b"))
        skid_valid = Signal(name=f"{name}_skid_valid")
        if not self.choice:
            new, reg, skid = new[1:], reg[1:], skid[1:]
        elif const_b is not None:
            new, reg, skid = new[:2], reg[:2], skid[:2]
        m.d.comb += [self.free.eq(~skid_valid),
                     self.skid_next.eq(self.stalled & (skid_valid | self.load)),
                     self.stalled.eq(port.valid & ~port.ready)]
        if not self.choice:
            m.d.comb += port.payload.eq(reg[0])
        else:
            m.d.comb += port.payload.eq(Mux(reg[0], reg[1],
                                            reg[2] if const_b is None else const_b))
        with m.If(~self.stalled):
            with m.If(skid_valid):
                m.d.sync += [r.eq(k) for r, k in zip(reg, skid)]
                m.d.sync += [port.valid.eq(1), skid_valid.eq(0)]
            with m.Else():
                m.d.sync += [r.eq(n) for r, n in zip(reg, new)]
                m.d.sync += port.valid.eq(self.load)
        with m.Elif(~skid_valid):     # captured; kept only if loaded
            m.d.sync += [k.eq(n) for k, n in zip(skid, new)]
        m.d.sync += skid_valid.eq(self.skid_next)
        self._m, self._new = m, new

    def set(self, **fields):
        """The token to emit (``kind=...``, ``data=...``; data defaults to 0),
        combinational."""
        a = self._new[1] if self.choice else self._new[0]
        for k, v in fields.items():
            self._m.d.comb += getattr(a, k).eq(v)

    def choose(self, sel, a, b=None):
        """Emit ``a`` if ``sel`` else ``b`` (token values), the choice made
        after the registers: for a late ``sel`` (needs ``choice``; ``b``
        omitted when ``choice`` gave the constant)."""
        assert self.choice and (b is None) == (self._const_b is not None)
        self._m.d.comb += [self._new[0].eq(sel), self._new[1].eq(a)]
        if b is not None:
            self._m.d.comb += self._new[2].eq(b)


class PairBuf:
    """Two-entry input buffer for the streams ``crd`` and ``ref`` of one
    operand, which are consumed together.

    ``valid`` (a register) and ``crd``/``ref`` are the head pair; drive
    ``adv`` (combinational) high when the head is empty or consumed: the
    next pair (skid or inputs) becomes the head. A pair is accepted when both
    inputs are valid and the skid register is empty, so each input's
    ``ready`` is a register ANDed with the other input's ``valid``. Latency 1
    cycle; one pair per cycle with ``adv`` high.
    """

    def __init__(self, m: Module, crd, ref, name: str):
        layout = crd.payload.shape()
        self.valid = Signal(name=f"{name}_n_valid")
        self.crd = _data_reg(layout, f"crd{name[-1]}_n")
        self.ref = _data_reg(layout, f"ref{name[-1]}_n")
        self.adv = Signal(name=f"{name}_n_adv")
        skid_valid = Signal(name=f"{name}_skid_valid")
        skid_crd = _data_reg(layout, f"crd{name[-1]}_skid")
        skid_ref = _data_reg(layout, f"ref{name[-1]}_skid")
        arrive = crd.valid & ref.valid & ~skid_valid
        m.d.comb += [crd.ready.eq(~skid_valid & ref.valid),
                     ref.ready.eq(~skid_valid & crd.valid)]
        cp, rp = crd.payload, ref.payload
        with m.If(~skid_valid):        # captured; kept only if the head stays
            m.d.sync += [skid_crd.eq(cp), skid_ref.eq(rp)]
        with m.If(self.adv):
            with m.If(skid_valid):
                m.d.sync += [self.crd.eq(skid_crd), self.ref.eq(skid_ref), self.valid.eq(1)]
            with m.Else():
                m.d.sync += [self.crd.eq(cp), self.ref.eq(rp), self.valid.eq(arrive)]
        # one expression, no synchronous reset (its LSR pin has a long setup)
        m.d.sync += skid_valid.eq(~self.adv & (skid_valid | arrive))


class BinaryJoiner(wiring.Component):
    """Ports ``crd0``, ``ref0``, ``crd1``, ``ref1`` in and ``crd``,
    ``ref0_out``, ``ref1_out`` out, all ``token_stream(crd_width)``.

    A step looks at the two head coordinates. Two coordinates ``a``, ``b``:
    operand 0 is consumed when ``a <= b``, operand 1 when ``b <= a`` (both
    joiners). Otherwise subclasses decide from the token kinds alone
    (:meth:`kind_rule`); :meth:`emits` says whether a step loads the outputs
    and :meth:`emit` what it loads.

    Pipeline per operand: an input buffer (:class:`._skid.InBuf`, registered
    ``ready``; its head is the *next* token ``n``), then the head register
    ``h``. Every cycle the decision of each of the four pairs
    ``(h0|n0, h1|n1)`` is computed from registers and registered; in the
    next cycle the pair the heads came from (each head stayed or was refilled
    from ``n``, recorded in a register) selects it. A comparator ends in its
    register: the kinds force its result through an extra top bit when the
    tokens are not two coordinates. Outputs have a skid register
    (:class:`OutBuf`), so the output ``ready`` reaches only registers.
    Latency 3 cycles (input buffer, head, output register); one step per
    cycle while both operands have tokens buffered and the outputs drain.
    """

    #: Decision bits besides ``take0``/``take1`` (subclasses), each a
    #: function of the kinds alone; ``CRD_EXTRA`` gives their value on two
    #: coordinates.
    EXTRA: tuple = ()
    CRD_EXTRA: dict = {}
    #: The outputs depend on the comparison (not only on the kinds):
    #: :meth:`emit` uses :meth:`OutBuf.choose`. A tuple gives each output
    #: (``crd``, ``ref0_out``, ``ref1_out``) its ``OutBuf`` ``choice``.
    LATE_SELECT: bool | tuple = False

    def __init__(self, crd_width: int = 16):
        self.crd_width = check_width("crd_width", crd_width)
        #: Cycles from an input token to its first output token.
        self.latency = 3
        t = token_stream(crd_width)
        super().__init__({
            "crd0": In(t), "ref0": In(t), "crd1": In(t), "ref1": In(t),
            "crd": Out(t), "ref0_out": Out(t), "ref1_out": Out(t),
        })

    def elaborate(self, platform):
        m = Module()
        choice = self.LATE_SELECT
        if not isinstance(choice, tuple):
            choice = (choice,) * 3
        outs = tuple(OutBuf(m, port, name, choice=ch) for port, name, ch in
                     ((self.crd, "crd", choice[0]), (self.ref0_out, "ref0_out", choice[1]),
                      (self.ref1_out, "ref1_out", choice[2])))
        # The outputs can be loaded when every skid register is empty. When
        # the step's "fires" bit is a register of its own (EMIT_ALL_CRDS)
        # that AND is a register too (its next value follows fire); else
        # the AND of the three skid flags (fire is deeper there)
        free = Signal(init=1)
        if self.EMIT_ALL_CRDS:
            m.d.sync += free.eq(~(outs[0].skid_next | outs[1].skid_next | outs[2].skid_next))
        else:
            m.d.comb += free.eq(outs[0].free & outs[1].free & outs[2].free)
        layout = self.crd0.payload.shape()

        # n: input buffers; h: heads
        nbuf = (PairBuf(m, self.crd0, self.ref0, "op0"), PairBuf(m, self.crd1, self.ref1, "op1"))
        nv = [b.valid for b in nbuf]
        hc = [_data_reg(layout, f"crd{k}_h") for k in range(2)]
        hr = [_data_reg(layout, f"ref{k}_h") for k in range(2)]
        hv = [Signal(name=f"h{k}_valid") for k in range(2)]
        moved = [Signal(name=f"h{k}_moved") for k in range(2)]   # h refilled from n last cycle

        # Registered step bits of each of the four pairs of this cycle's
        # (h, n) slots, for each value of the next cycle's free
        slots = [{"h": (hc[k], hv[k]), "n": (nbuf[k].crd, nv[k])} for k in range(2)]
        reg = {a + b: self._decide(m, *slots[0][a], *slots[1][b], a + b)
               for a in "hn" for b in "hn"}

        def pick(cases):
            return Mux(moved[0], Mux(moved[1], cases["nn"], cases["nh"]),
                       Mux(moved[1], cases["hn"], cases["hh"]))

        # A head is refilled from n (valid or not) when it is consumed or
        # empty. The pair the heads hold and free select it: a 7-input
        # function of registers.
        mv = [Signal(name=f"h{k}_refill") for k in range(2)]
        fire = Signal()                                       # outputs loaded
        for k in range(2):
            m.d.comb += mv[k].eq(pick({c: free & r[f"step{k}"] for c, r in reg.items()}))
            m.d.comb += nbuf[k].adv.eq(mv[k])
        if self.EMIT_ALL_CRDS:       # fires is a function of the kinds alone
            m.d.comb += fire.eq(free & pick({c: r["fires"] for c, r in reg.items()}))
        else:
            m.d.comb += fire.eq(free & pick({c: r["full"] & (r["step0"] & r["step1"] | r["emits"])
                                             for c, r in reg.items()}))
        # heads consumed, for the output data (firing implies free)
        dec = {"take0": pick({c: r["step0"] for c, r in reg.items()}),
               "take1": pick({c: r["step1"] for c, r in reg.items()}),
               **self._extras(m, hc[0].kind, hc[1].kind)}
        m.d.comb += [o.load.eq(fire) for o in outs]
        self.emit(m, outs, dec, (hc[0], hr[0], hc[1], hr[1]))
        for k in range(2):
            m.d.sync += moved[k].eq(mv[k])
            with m.If(mv[k]):
                m.d.sync += [hc[k].eq(nbuf[k].crd), hr[k].eq(nbuf[k].ref), hv[k].eq(nv[k])]
        return m

    def _decide(self, m, c0, v0, c1, v1, name):
        """Registered bits of a step on the tokens ``c0``, ``c1`` (valid when
        ``v0``, ``v1``): ``stepK`` (operand K leaves the head: consumed, or
        no token; given the outputs free), ``full`` (both tokens),
        ``emits`` (outputs loaded, unless both step, which always loads
        them), ``fires`` (with :attr:`EMIT_ALL_CRDS`: outputs loaded, given
        them free), ``takeK`` and
        :attr:`EXTRA` (meaningful when loading)."""
        rule = {k: Signal(name=f"{name}_rule_{k}") for k in ("take0", "take1") + self.EXTRA}
        self.kind_rule(m, rule, c0.kind, c1.kind)
        crds = (c0.kind == Kind.DATA) & (c1.kind == Kind.DATA)
        full = v0 & v1
        emits = self.emits(rule)
        names = ("step0", "step1", "full", "emits")
        # no reset (its logic would sit after the comparators) but on full:
        # the first cycle's values are computed from the reset state, where
        # every slot is empty; until then nothing fires, and a refill moves
        # empty slots
        if self.EMIT_ALL_CRDS:
            names += ("fires",)
        out = {k: Signal(name=f"dec_{name}_{k}", reset_less=k not in ("full", "fires"),
                         init=k.startswith("step")) for k in names + self.EXTRA}
        # stepK (given free) is one comparator, x < y as the sign of x - y
        # (the sum output of the chain's last cell: no inverter after it):
        # on two coordinates "2*ck + 0 < 2*co + 1" (ck <= co); two top bit
        # pairs, equal unless they force the result: the upper one from the
        # valid bits (a missing token steps alone), the lower one from the
        # kinds (the kind rule when the tokens are not two coordinates).
        # Each pair is a small function of registers.
        for k, (ck, vk, co, vo) in enumerate(((c0, v0, c1, v1), (c1, v1, c0, v0))):
            step = rule[f"take{k}"]
            x = Cat(C(0, 1), ck.data, ~crds & ~step, vk & ~vo)
            y = Cat(C(1, 1), co.data, ~crds & step, ~vk)
            m.d.sync += out[f"step{k}"].eq((x - y)[-1])
        # a step that consumes both operands always emits; emits covers the rest
        emits_all = full & Mux(crds, self.EMIT_ALL_CRDS, emits)
        m.d.sync += [out["full"].eq(full), out["emits"].eq(emits_all)]
        if self.EMIT_ALL_CRDS:
            # fires = full & (step0 & step1 | emits) from the kinds alone
            # (two coordinates always emit), off the comparators
            m.d.sync += out["fires"].eq(full & (crds | (rule["take0"] & rule["take1"]) | emits))
        for k in self.EXTRA:
            m.d.sync += out[k].eq(full & Mux(crds, self.CRD_EXTRA[k], rule[k]))
        return {**out, "take0": out["step0"], "take1": out["step1"]}

    def _extras(self, m, k0, k1):
        """:attr:`EXTRA` bits of the heads (kinds ``k0``, ``k1``) from their
        kinds, one LUT after the registers (when loading, both are valid)."""
        rule = {k: Signal(name=f"head_rule_{k}") for k in ("take0", "take1") + self.EXTRA}
        self.kind_rule(m, rule, k0, k1)
        crds = (k0 == Kind.DATA) & (k1 == Kind.DATA)
        return {k: Mux(crds, self.CRD_EXTRA[k], rule[k]) for k in self.EXTRA}

    def kind_rule(self, m, out, k0, k1):
        """Drive (``m.d.comb``) the decision bits ``out`` (``take0``,
        ``take1`` and :attr:`EXTRA`) of a step on two tokens of kinds ``k0``,
        ``k1`` that are not both coordinates."""
        raise NotImplementedError

    def emits(self, dec):
        """Whether a step with decision bits ``dec`` loads the outputs."""
        raise NotImplementedError

    def emit(self, m, outs, dec, heads):
        """Set the output tokens (``outs``: crd, ref0_out, ref1_out
        :class:`OutBuf`, :meth:`OutBuf.set`) of a step that loads them, with
        decision ``dec`` on the head tokens ``heads`` (crd0, ref0, crd1,
        ref1)."""
        raise NotImplementedError
