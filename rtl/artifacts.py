"""Writing a generated accelerator to a directory (``sam rtl``).

:func:`write_artifacts` writes, for a graph named ``<name>``:

* ``<name>.v``: the Verilog of :class:`rtl.accel.Accelerator` (Amaranth's
  back end), top module ``sam_<name>``;
* ``<name>.json``: the graph (:mod:`sam.jsonio`);
* ``<name>.png``: a drawing of the graph, when graphviz ``dot`` is installed;
* ``manifest.json``: tool, Amaranth, primitive-library and token-encoding
  versions, the parameters, the graph hash (SHA-256 of the canonical graph
  JSON), the top-level ports and the bus map (arrays, registers, edges).

Everything but the picture is byte-for-byte deterministic: names come from
node ids and sorted array names, the manifest is written with sorted keys,
and nothing records a time or a path.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from sam.errors import UserError
from sam.graph import Graph

from .accel import AccelParams, Accelerator

__all__ = ["graph_hash", "library_version", "top_name", "verilog_text", "manifest",
           "write_artifacts", "read_artifacts", "ArtifactError", "MANIFEST_VERSION"]

MANIFEST_VERSION = 1


class ArtifactError(UserError):
    """A directory that is not a complete ``sam rtl`` output."""


def canonical_graph_json(graph: Graph) -> str:
    from sam import jsonio
    return json.dumps(jsonio.to_dict(graph), sort_keys=True, separators=(",", ":"))


def graph_hash(graph: Graph) -> str:
    """SHA-256 of the canonical JSON of ``graph``."""
    return hashlib.sha256(canonical_graph_json(graph).encode()).hexdigest()


def library_version() -> str:
    """Content hash of the RTL primitive library and the generator sources
    (``rtl/primitives/*.py``, ``rtl/encoding.py``, ``rtl/stream.py``,
    ``rtl/accel.py``): changes whenever the hardware they describe can."""
    root = Path(__file__).resolve().parent
    files = sorted((root / "primitives").glob("*.py")) + \
        [root / "encoding.py", root / "stream.py", root / "accel.py"]
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _tool_version() -> str:
    try:
        from importlib.metadata import version
        return version("samflow")
    except Exception:
        return "unknown"


def top_name(graph: Graph) -> str:
    """Verilog module name ``sam_<graph name>`` (a safe identifier)."""
    return "sam_" + (re.sub(r"[^A-Za-z0-9_]", "_", graph.name) or "accel")


def verilog_text(acc: Accelerator, top: str) -> str:
    from amaranth.back import verilog
    return verilog.convert(acc, name=top, emit_src=False)


def manifest(acc: Accelerator, top: str) -> dict:
    import amaranth
    from .encoding import ENCODING_VERSION
    body = acc.manifest_body()
    body.update({
        "manifest_version": MANIFEST_VERSION,
        "tool": {"name": "samflow", "version": _tool_version(),
                 "amaranth": amaranth.__version__},
        "primitive_library": library_version(),
        "encoding_version": ENCODING_VERSION,
        "graph_hash": graph_hash(acc.graph),
        "top": top,
        "ports": acc.ports(),
    })
    return body


def _safe_file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "accel"


def write_artifacts(graph: Graph, outdir, params: AccelParams | None = None,
                    *, png: bool = True) -> dict:
    """Generate the accelerator for ``graph`` and write the files into
    ``outdir`` (created if needed). Returns ``{kind: path}`` of what was written."""
    from sam import jsonio
    acc = Accelerator(graph, params or AccelParams())
    top = top_name(graph)
    text = verilog_text(acc, top)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    base = _safe_file_name(graph.name)
    files = {"verilog": out / f"{base}.v", "graph": out / f"{base}.json",
             "manifest": out / "manifest.json"}
    files["verilog"].write_text(text)
    files["graph"].write_text(jsonio.dumps(graph) + "\n")
    man = manifest(acc, top)
    man["files"] = {k: p.name for k, p in files.items()}
    if png:
        from sam import render
        try:
            render.find_dot()
        except Exception:
            pass
        else:
            files["png"] = out / f"{base}.png"
            render.render_png(graph, files["png"])
            man["files"]["png"] = files["png"].name
    files["manifest"].write_text(json.dumps(man, indent=1, sort_keys=True) + "\n")
    return files


def read_artifacts(outdir) -> tuple[dict, Graph, Path]:
    """``(manifest, graph, verilog path)`` of a ``sam rtl`` directory."""
    from sam import jsonio
    d = Path(outdir)
    mpath = d / "manifest.json"
    if not mpath.exists():
        raise ArtifactError(f"{d}: no manifest.json; is this a `sam rtl` output directory?")
    man = json.loads(mpath.read_text())
    files = man.get("files", {})
    for k in ("verilog", "graph"):
        if k not in files or not (d / files[k]).exists():
            raise ArtifactError(f"{d}: the {k} file named in manifest.json is missing; "
                                f"regenerate with `sam rtl`")
    graph = jsonio.load(d / files["graph"])
    if graph_hash(graph) != man.get("graph_hash"):
        raise ArtifactError(f"{d}: {files['graph']} does not match the manifest's graph "
                            f"hash; regenerate with `sam rtl`")
    if man.get("primitive_library") != library_version():
        import warnings
        warnings.warn(f"{d}: built with primitive library {man.get('primitive_library')}, "
                      f"this tree has {library_version()}; regenerate with `sam rtl` to use "
                      f"the current RTL")
    return man, graph, d / files["verilog"]
