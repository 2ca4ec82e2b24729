"""Repeater (``repeat``).

Takes the next input reference (the *held* token), then reads the repeat
signal: each ``R`` emits the held reference; ``S`` finishes it and emits a
stop token by the peek rule: ``S(k+1)`` if the next input reference is a
stop token ``Sk`` (consumed), else ``S0``. If the held token is itself a
stop token ``Sk`` (an empty parent fiber) the signal must be ``S`` and
``S(k+1)`` is emitted. ``D`` on both inputs gives ``D``. A root repeater
repeats the root reference stream ``0 D``.

Timing: a reference moves into the held register in a firing of its own
as soon as the register is free; then one signal per firing (the closing
``S`` peeks or consumes the next reference).
"""

from __future__ import annotations

from sam.tokens import D, N, R, RS, S, Stop

from ..primitive import SimPrimitive, register

__all__ = ["Repeat"]

_NONE = object()


@register
class Repeat(SimPrimitive):
    """Ports: ``ref`` in (absent if ``root``), ``repsig`` in; ``ref`` out."""

    type_name = "repeat"

    def run(self, ins, log):
        root = bool(self.attrs.get("root"))
        if root:
            s = [0, D]
            (r,) = self.inputs_of(ins)
            self._ins = dict(ins, ref=s)
        else:
            s, r = self.inputs_of(ins)
        CR, PR, CS = self.cbit("ref"), self.pbit("ref"), self.cbit("repsig")
        O = self.obit("ref")
        S0 = S(0)
        out = []
        app = out.append
        lapp = log.append
        held = _NONE
        i = j = 0
        ns, nr = len(s), len(r)
        while True:
            if held is _NONE and i < ns and (type(s[i]) is int or s[i] is N):
                held = s[i]             # load the held register in a firing of its own
                i += 1
                if CR:
                    lapp(CR)
            if j >= nr:
                raise self.missing_d("repsig", r)
            sig = r[j]
            if sig is R:
                if held is _NONE:
                    t = s[i] if i < ns else "end of stream"
                    raise self.error(f"repeat signal R but the reference input is {t}",
                                     ("repsig", j), ("ref", i))
                app(held)
                lapp(CS | O)
                j += 1
            elif sig is RS:
                if held is _NONE:
                    if i >= ns:
                        raise self.missing_d("ref", s)
                    t = s[i]
                    if type(t) is not Stop:
                        raise self.error(f"repeat signal S but the reference input is {t}",
                                         ("repsig", j), ("ref", i))
                    app(S(t.level + 1))
                    lapp(CR | CS | O)
                    i += 1
                    j += 1
                    continue
                if i >= ns:
                    raise self.missing_d("ref", s)
                nx = s[i]
                if type(nx) is Stop:
                    app(S(nx.level + 1))
                    i += 1
                    lapp(CR | CS | O)
                else:
                    app(S0)
                    lapp(PR | CS | O)
                held = _NONE
                j += 1
            elif sig is D:
                if held is not _NONE:
                    raise self.error(f"repeat signal ended while reference {held} was "
                                     f"held (missing S)", ("repsig", j))
                if i >= ns:
                    raise self.missing_d("ref", s)
                if s[i] is not D:
                    raise self.error("repeat signal is done but the reference input is not",
                                     ("repsig", j), ("ref", i))
                self.check_end("repsig", r, j)
                self.check_end("ref", s, i)
                app(D)
                lapp(CR | CS | O)
                break
            else:
                raise self.error(f"{sig!r} is not a repeat signal (R, S or D)", ("repsig", j))
        return {"ref": out}
