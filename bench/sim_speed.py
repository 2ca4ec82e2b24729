"""Golden-model speed: functional tokens/s and cycle-mode cycles/s on
Gustavson SpM*SpM (matmul ikj, spaccumulator order 1) of an N x N matrix.

    .venv/bin/python -m bench.sim_speed [--n 1000] [--density 0.01] [--seed 0]
        [--backend auto|c|python] [--json out.json]

Targets (2-core machine): functional >= 1M tokens/s summed over all edges,
cycle mode >= 100k simulated cycles/s.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from sam.formats import Tensor
from sim.cycle import replay_graph
from sim.engine import run_graph

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import graphs  # noqa: E402


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--density", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fifo-depth", type=int, default=2)
    p.add_argument("--backend", default="auto", choices=("auto", "c", "python"))
    p.add_argument("--json", help="write the numbers to this file")
    a = p.parse_args(argv)
    rng = np.random.default_rng(a.seed)
    B = sp.random(a.n, a.n, a.density, format="csr", random_state=rng,
                  data_rvs=lambda k: rng.integers(1, 10, k))
    C = sp.random(a.n, a.n, a.density, format="csr", random_state=rng,
                  data_rvs=lambda k: rng.integers(1, 10, k))
    ins = {"B": Tensor.from_scipy(B, "ss01", name="B"),
           "C": Tensor.from_scipy(C, "ss01", name="C")}
    g = graphs.matmul_ikj()
    t0 = time.perf_counter()
    res = run_graph(g, ins)
    t_func = time.perf_counter() - t0
    ok = np.array_equal(res.output.to_dense(), (B @ C).toarray())
    t0 = time.perf_counter()
    cyc = replay_graph(res.graph, res.logs, res.streams, fifo_depth=a.fifo_depth,
                       backend=a.backend)
    t_cyc = time.perf_counter() - t0
    out = {
        "n": a.n, "density": a.density, "seed": a.seed, "nnz_B": int(B.nnz),
        "nnz_C": int(C.nnz), "correct": bool(ok), "tokens": res.tokens,
        "functional_s": round(t_func, 3), "tokens_per_s": round(res.tokens / t_func),
        "cycles": cyc.cycles, "replay_backend": cyc.backend, "replay_s": round(t_cyc, 3),
        "cycles_per_s": round(cyc.cycles / t_cyc),
        "cycle_mode_total_s": round(t_func + t_cyc, 3),
        "cycles_per_s_incl_functional": round(cyc.cycles / (t_func + t_cyc)),
    }
    for k, v in out.items():
        print(f"{k:30s} {v}")
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
