"""SAM token streams on cocotb: a driver, a monitor and a stream checker.

Ports follow Amaranth's naming: a stream member ``crd`` of the top becomes
``crd__payload``, ``crd__valid`` and ``crd__ready``. Payload words use the
hardware encoding of :mod:`rtl.encoding` (``data[W]`` then ``kind[2]``).

* :class:`StreamDriver` presents a list of words on an input stream with
  random valid gaps (probability ``p_valid`` of offering a token each cycle);
  valid stays high and the payload stays put until the token is accepted.
* :class:`StreamMonitor` accepts tokens from an output stream with random
  ready (probability ``p_ready``), records the words, checks the stream rules
  on the wire (valid held, payload stable while stalled) and stops after
  ``D`` (it keeps ready high for a few more cycles to catch extra tokens).
* :func:`check_stream` checks that a received stream is a well-formed SAM
  stream: exactly one ``D``, at the end; stop levels sane; data zero for
  ``N``/``D``; kinds valid for the stream type.

The handshake pattern (drive after the rising edge, sample in ReadOnly, then
wait for the next edge) works on Icarus and Verilator alike.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from rtl.encoding import Kind, STOP_LEVEL_BITS, decode, encode, EncodingError
from sam import tokens as T

__all__ = ["PortCodec", "StreamDriver", "StreamMonitor", "check_stream", "fmt_words",
           "first_mismatch"]


@dataclass(frozen=True)
class PortCodec:
    """Encoding parameters of one stream port."""
    width: int              # data bits (0 on repsig streams)
    repsig: bool = False
    signed: bool = False

    def encode(self, tok) -> int:
        return encode(tok, self.width, repsig=self.repsig, signed_data=self.signed)

    def decode(self, word: int):
        try:
            return decode(word, self.width, repsig=self.repsig, signed_data=self.signed)
        except (EncodingError, T.TokenError):
            return f"<bad {word:#x}>"

    def kind(self, word: int) -> int:
        return (word >> self.width) & 3

    def data(self, word: int) -> int:
        return word & ((1 << self.width) - 1) if self.width else 0


def fmt_words(codec: PortCodec, words, lo: int = 0, hi: int | None = None) -> str:
    """Text form of ``words[lo:hi]`` with ``[i]`` index markers every 8 tokens."""
    hi = len(words) if hi is None else min(hi, len(words))
    parts = []
    for i in range(max(lo, 0), hi):
        tok = codec.decode(words[i])
        parts.append(f"[{i}]{tok}" if i % 8 == 0 or i == lo else str(tok))
    return " ".join(parts)


def check_stream(codec: PortCodec, words) -> str | None:
    """``None`` if ``words`` is a well-formed SAM stream, else the problem."""
    if not words:
        return "empty stream (every stream ends with D)"
    done_at = [i for i, w in enumerate(words) if codec.kind(w) == Kind.DONE.value]
    if not done_at:
        return "stream does not end with D"
    if done_at[0] != len(words) - 1:
        return f"D at token {done_at[0]} is not the last token"
    max_level = -1
    for i, w in enumerate(words):
        kind, data = codec.kind(w), codec.data(w)
        if codec.repsig:
            if kind == Kind.EMPTY.value:
                return f"token {i}: kind 2 (N) is invalid on a repsig stream"
            continue
        if kind in (Kind.EMPTY.value, Kind.DONE.value) and data != 0:
            return f"token {i}: data field of {'N' if kind == 2 else 'D'} is {data:#x}, must be 0"
        if kind == Kind.STOP.value:
            if data >> STOP_LEVEL_BITS:
                return f"token {i}: stop level {data} out of range 0..{(1 << STOP_LEVEL_BITS) - 1}"
            if data > max_level:
                max_level = data
    if max_level >= 0:
        before = words[-2] if len(words) >= 2 else None
        if before is None or codec.kind(before) != Kind.STOP.value \
                or codec.data(before) != max_level:
            return (f"the token before D must be the outermost stop token S{max_level} "
                    f"(found {codec.decode(before) if before is not None else 'nothing'})")
    return None


def first_mismatch(got, want) -> int | None:
    for i, (a, b) in enumerate(zip(got, want)):
        if a != b:
            return i
    if len(got) != len(want):
        return min(len(got), len(want))
    return None


class StreamDriver:
    """Drive ``words`` into input stream ``prefix`` of ``dut``."""

    def __init__(self, dut, prefix: str, words, rng: random.Random, p_valid: float):
        self.valid = getattr(dut, f"{prefix}__valid")
        self.payload = getattr(dut, f"{prefix}__payload")
        self.ready = getattr(dut, f"{prefix}__ready")
        self.clk = dut.clk
        self.prefix = prefix
        self.words = list(words)
        self.rng = rng
        self.p_valid = p_valid
        self.sent = 0
        self.last_cycle = None      # cycle counter value of the last acceptance

    @classmethod
    def from_tokens(cls, dut, prefix: str, tokens, codec: PortCodec, rng: random.Random,
                    p_valid: float) -> "StreamDriver":
        """A driver for a token list (or text form), encoded with ``codec``."""
        return cls(dut, prefix, [codec.encode(t) for t in T.parse(tokens)], rng, p_valid)

    @property
    def done(self) -> bool:
        return self.sent == len(self.words)

    def idle(self):
        self.valid.value = 0
        self.payload.value = 0

    async def run(self, cycle):
        from cocotb.triggers import ReadOnly, RisingEdge
        presenting = False
        while self.sent < len(self.words):
            if not presenting and (self.p_valid >= 1 or self.rng.random() < self.p_valid):
                presenting = True
            self.valid.value = int(presenting)
            if presenting:
                self.payload.value = self.words[self.sent]
            await ReadOnly()
            fired = presenting and self.ready.value.is_resolvable and int(self.ready.value) == 1
            await RisingEdge(self.clk)
            if fired:
                self.sent += 1
                self.last_cycle = cycle[0]
                presenting = False
        self.valid.value = 0


class StreamMonitor:
    """Accept tokens from output stream ``prefix`` of ``dut``.

    ``errors`` collects stream-rule violations seen on the wire.
    """

    TAIL = 8   # cycles of ready=1 after D, to catch tokens after D

    def __init__(self, dut, prefix: str, codec: PortCodec, rng: random.Random, p_ready: float):
        self.valid = getattr(dut, f"{prefix}__valid")
        self.payload = getattr(dut, f"{prefix}__payload")
        self.ready = getattr(dut, f"{prefix}__ready")
        self.clk = dut.clk
        self.prefix = prefix
        self.codec = codec
        self.rng = rng
        self.p_ready = p_ready
        self.words: list[int] = []
        self.errors: list[str] = []
        self.got_done = False
        self.finished = False
        self.last_cycle = None

    def idle(self):
        self.ready.value = 0

    @property
    def tokens(self) -> list:
        """The received words decoded into :mod:`sam.tokens` tokens."""
        return [self.codec.decode(w) for w in self.words]

    async def run(self, cycle):
        from cocotb.triggers import ReadOnly, RisingEdge
        stalled = None          # payload word of a token offered but not taken
        tail = 0
        while True:
            rdy = self.got_done or self.p_ready >= 1 or self.rng.random() < self.p_ready
            self.ready.value = int(rdy)
            await ReadOnly()
            v = self.valid.value
            valid = v.is_resolvable and int(v) == 1
            word = None
            if valid:
                p = self.payload.value
                word = p.to_unsigned() if p.is_resolvable else -1
            if stalled is not None and len(self.errors) < 5:
                if not valid:
                    self.errors.append(f"{self.prefix}: valid dropped at cycle {cycle[0]} "
                                       f"before token {len(self.words)} was accepted")
                elif word != stalled:
                    self.errors.append(f"{self.prefix}: payload changed while stalled at cycle "
                                       f"{cycle[0]} (token {len(self.words)})")
            stalled = None
            if valid and rdy:
                if word == -1:
                    self.errors.append(f"{self.prefix}: payload has X/Z bits at cycle {cycle[0]}")
                    word = 0
                if self.got_done:
                    self.errors.append(f"{self.prefix}: token {self.codec.decode(word)} after D")
                self.words.append(word)
                self.last_cycle = cycle[0]
                if self.codec.kind(word) == Kind.DONE.value:
                    self.got_done = True
            elif valid:
                stalled = word
            await RisingEdge(self.clk)
            if self.got_done:
                tail += 1
                if tail > self.TAIL:
                    self.finished = True
