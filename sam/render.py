"""Pictures of SAM graphs through graphviz's ``dot`` program.

The picture is drawn from :func:`sam.dot.dumps`, so it shows the reference
compiler's labels and colours.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from . import dot
from .errors import UserError
from .graph import Graph

__all__ = ["RenderError", "FORMATS", "render", "render_png", "find_dot"]

#: Output formats accepted by :func:`render` (graphviz ``-T`` names).
FORMATS = ("png", "svg", "pdf")


class RenderError(UserError):
    """Graphviz is missing or failed."""


def find_dot() -> str:
    """Path of graphviz's ``dot``; RenderError naming the fix if absent."""
    exe = shutil.which("dot")
    if exe is None:
        raise RenderError("graphviz's 'dot' program is not on PATH; install graphviz "
                          "(apt-get install graphviz) to draw graphs")
    return exe


def render(graph: Graph, path, fmt: str | None = None, timeout: float = 60.0) -> Path:
    """Draw ``graph`` into ``path``; the format is ``fmt`` or the file suffix."""
    p = Path(path)
    fmt = (fmt or p.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise RenderError(f"{p}: cannot draw {fmt or 'a file without suffix'!r}; "
                          f"choose one of {', '.join(FORMATS)}")
    exe = find_dot()
    try:
        res = subprocess.run([exe, f"-T{fmt}", "-o", str(p)], input=dot.dumps(graph),
                             text=True, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RenderError(f"{p}: graphviz 'dot' did not finish in {timeout:g} s") from None
    if res.returncode != 0:
        msg = res.stderr.strip().splitlines()
        raise RenderError(f"{p}: graphviz 'dot' failed (exit {res.returncode}): "
                          f"{msg[0] if msg else 'no message'}")
    return p


def render_png(graph: Graph, path) -> Path:
    """Draw ``graph`` as a PNG image."""
    return render(graph, path, "png")
