"""What has RTL and what is golden-model only, computed from the code (``sam scope``).

Every catalogue primitive (:mod:`sam.primitives`) is probed in each of its
variants (level formats, root mode, operand count, accumulator order, value
variant ...): the golden model side asks the ``sim`` primitive registry, the
RTL side asks the generator itself (:func:`rtl.accel._why_not`, the same
check that refuses a graph before generation), so the table cannot disagree
with what ``sam rtl`` accepts. :func:`markdown` is README's "Known
limitations" section (a test checks README holds exactly this text).
"""

from __future__ import annotations

from dataclasses import dataclass

from sam import primitives as cat
from sam.graph import Graph

from .accel import PARAM_RANGES, AccelParams, _why_not

__all__ = ["Row", "rows", "markdown", "text", "BEGIN", "END", "GENERAL_LIMITS"]

BEGIN = "<!-- sam scope --markdown: begin (generated; do not edit) -->"
END = "<!-- sam scope --markdown: end -->"

#: Limits of the accelerator as a whole (the generator's design choices).
GENERAL_LIMITS = (
    "Values are signed two's-complement integers of `val_width` bits (results "
    "wrap); the golden model also runs floating-point values. The host driver "
    "refuses non-integer inputs and values that do not fit.",
    "Memory sizes are fixed when the Verilog is generated (`--mem-depth`, powers "
    "of two; the `seg` and `crd` arrays of one level share the larger depth); the "
    "driver refuses inputs that do not fit before anything runs, and `sam verify` "
    "refuses results that would not fit.",
    "A sparse accumulator's scratch memory is sized at generation time "
    "(`--spacc-dim`, and `--spacc-outer-dim` for order 2): the accumulated "
    "dimensions must not exceed it.",
    "Dense input levels take their dimension from a configuration register at "
    "run time; compressed levels need none. One accelerator writes one output "
    "tensor.",
    "n-ary joiners are lowered to trees of binary ones and broadcast nodes are "
    "folded into FIFO fan-out (`sam.lower.lower_graph`), for the golden model and "
    "the RTL alike.",
)


@dataclass
class Row:
    primitive: str
    variant: str
    golden: bool
    rtl: bool
    note: str = ""


def _probe_graph(type_name: str, attrs: dict, inner: str | None = None):
    g = Graph("scope")
    nid = g.add_node(type_name, 0, **attrs)
    if inner is not None:                      # crddrop: the inner stream's type
        src = g.add_node("arrayvals" if inner == "val" else "fiberlookup", 1,
                         **({"tensor": "B"} if inner == "val" else
                            {"tensor": "B", "index": "j", "mode": 1, "format": "compressed"}))
        g.connect(src, "val" if inner == "val" else "crd", nid, "inner", type=inner)
    return g, g.nodes[nid]


def _variants() -> list[tuple[str, str, dict, str | None]]:
    """``(primitive, variant label, attrs, crddrop inner type)``."""
    out = []
    for fmt in cat.LEVEL_FORMATS:
        for root in (False, True):
            out.append(("fiberlookup", f"{fmt}{' root' if root else ''}",
                        {"tensor": "B", "index": "i", "mode": 0, "format": fmt, "root": root},
                        None))
    for fmt in cat.LEVEL_FORMATS:
        out.append(("fiberwrite", f"{fmt} level",
                    {"tensor": "X", "index": "i", "mode": "0", "format": fmt}, None))
    out.append(("fiberwrite", "values", {"tensor": "X", "mode": "vals"}, None))
    out.append(("arrayvals", "", {"tensor": "B"}, None))
    out.append(("repsiggen", "", {"index": "i"}, None))
    for root in (False, True):
        out.append(("repeat", "root" if root else "", {"index": "i", "tensor": "B",
                                                        "root": root}, None))
    for j in ("intersect", "union"):
        out.append((j, "2 operands", {"index": "i", "operands": ["B", "C"]}, None))
    for alu in ("mul", "add", "max", "min"):
        out.append((alu, "", {}, None))
    out.append(("add", "sub=1", {"sub": True}, None))
    out.append(("reduce", "", {}, None))
    out.append(("spaccumulator", "order 1, vector (no in1)", {"order": 1, "in0": "j"}, None))
    out.append(("spaccumulator", "order 1", {"order": 1, "in0": "j", "in1": "i"}, None))
    out.append(("spaccumulator", "order 2", {"order": 2, "in0": "j", "in1": "i"}, None))
    out.append(("crddrop", "inner crd stream", {"outer": "i", "inner": "j"}, "crd"))
    out.append(("crddrop", "inner val stream", {"outer": "i", "inner": "j"}, "val"))
    out.append(("crddrop", "vals=1 (zero values)", {"outer": "i", "inner": "j", "vals": True},
                "val"))
    out.append(("crdhold", "", {"outer": "i", "inner": "j"}, None))
    return out


def rows(params: AccelParams | None = None) -> list[Row]:
    """One row per primitive variant, in catalogue order."""
    import sim.primitives  # noqa: F401  (registers every golden-model primitive)
    from sim.primitive import REGISTRY as golden   # golden-model side (reporting only)
    p = params or AccelParams()
    out = []
    seen = set()
    for prim, label, attrs, inner in _variants():
        seen.add(prim)
        g, node = _probe_graph(prim, attrs, inner)
        why = _why_not(node, g, p)
        out.append(Row(prim, label, prim in golden, why is None, why or ""))
    for name in ("intersect", "union"):
        out.append(Row(name, "3+ operands", name in golden, True,
                       "lowered to binary joiners"))
    out.append(Row("broadcast", "", "broadcast" in golden, True,
                   "folded into FIFO fan-out (joint ready)"))
    seen.add("broadcast")
    for name in cat.CATALOGUE:
        if name not in seen:
            g, node = _probe_graph(name, {})
            why = _why_not(node, g, p)
            out.append(Row(name, "", name in golden, why is None, why or ""))
    order = list(cat.CATALOGUE)
    out.sort(key=lambda r: order.index(r.primitive) if r.primitive in order else len(order))
    return out


def _yes(b: bool) -> str:
    return "yes" if b else "no"


def _ranges() -> list[str]:
    R = PARAM_RANGES
    d = AccelParams()
    return [
        f"`crd_width` (crd/ref streams, coordinates, dimensions, array entries): "
        f"{R['crd_width'][0]}..{R['crd_width'][1]} bits, default {d.crd_width}",
        f"`val_width` (values, signed): {R['val_width'][0]}..{R['val_width'][1]} bits, "
        f"default {d.val_width}",
        f"`fifo_depth`: {R['fifo_depth'][0]}..{R['fifo_depth'][1]}, default {d.fifo_depth}",
        f"`mem_depth` per array: powers of two up to 2**(crd_width-1), default {d.mem_depth}",
        f"`spacc_dim`: {R['spacc_dim'][0]}..{R['spacc_dim'][1]}, default {d.spacc_dim}; "
        f"`spacc_outer_dim`: {R['spacc_outer_dim'][0]}..{R['spacc_outer_dim'][1]}, "
        f"default {d.spacc_outer_dim}",
        f"value types: RTL signed integers; golden model integers and floats",
    ]


def markdown() -> str:
    """README's generated "Known limitations" body (between the markers)."""
    lines = ["| primitive | variant | golden model | RTL | note |", "|---|---|---|---|---|"]
    for r in rows():
        lines.append(f"| {r.primitive} | {r.variant or '-'} | {_yes(r.golden)} | "
                     f"{_yes(r.rtl)} | {r.note.replace('|', '/') or '-'} |")
    lines.append("")
    lines.append("Parameter ranges of the generator:")
    lines.append("")
    lines.extend(f"- {x}" for x in _ranges())
    lines.append("")
    lines.append("Accelerator-wide limits:")
    lines.append("")
    lines.extend(f"- {x}" for x in GENERAL_LIMITS)
    return "\n".join(lines) + "\n"


def text() -> str:
    """The same for a terminal."""
    rs = rows()
    w = [max(len(x) for x in col) for col in zip(*[(r.primitive, r.variant or "-",
                                                     _yes(r.golden), _yes(r.rtl)) for r in rs],
                                                   ("primitive", "variant", "golden", "rtl"))]
    head = ("primitive", "variant", "golden", "rtl")
    fmt = "  ".join(f"{{:{n}}}" for n in w) + "  {}"
    out = [fmt.format(*head, "note")]
    for r in rs:
        out.append(fmt.format(r.primitive, r.variant or "-", _yes(r.golden), _yes(r.rtl),
                              r.note))
    out.append("")
    out.extend(_ranges())
    out.append("")
    out.extend("- " + x.replace("`", "") for x in GENERAL_LIMITS)
    return "\n".join(out) + "\n"
