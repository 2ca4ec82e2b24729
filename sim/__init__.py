"""The golden model: runs any valid SAM graph on real tensors, token by
token, with one model per primitive and no per-kernel code.

    from sim import run_graph
    res = run_graph(graph, {"B": B, "c": c}, mode="cycle", fifo_depth=2)
    res.output, res.streams, res.cycles, res.stats, res.tokens
"""

from .cycle import DeadlockError
from .engine import MODES, SimResult, run_graph
from .primitive import SimContext, SimError, SimPrimitive, create, make_node
from .bind import SimInputError, expected_formats

__all__ = ["run_graph", "SimResult", "MODES", "SimError", "SimInputError", "DeadlockError",
           "SimPrimitive", "SimContext", "create", "make_node", "expected_formats"]
