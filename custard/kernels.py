"""The kernel library: name -> expression, formats, schedule (data only).

Formats and loop orders are the reference's (spec section 4.1,
``compiler/sam-kernels.sh``); ``spmm`` and ``sddmm`` follow the reference's
CGRA graphs (dense operands stored in the order the loop visits them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Kernel", "KERNELS", "get_kernel"]


@dataclass(frozen=True)
class Kernel:
    name: str
    expr: str
    formats: dict = field(default_factory=dict)
    schedule: tuple | None = None
    doc: str = ""


_MATMUL = "X(i,j)=B(i,k)*C(k,j)"

_LIST = [
    Kernel("vec_elemadd", "x(i)=b(i)+c(i)", {"x": "s", "b": "s", "c": "s"}, None,
           "sparse vector + sparse vector"),
    Kernel("vec_elemmul", "x(i)=b(i)*c(i)", {"x": "s", "b": "s", "c": "s"}, None,
           "sparse vector .* sparse vector"),
    Kernel("vec_scalar_mul", "x(i)=b*c(i)", {"x": "s", "c": "s"}, None,
           "scalar times sparse vector"),
    Kernel("mat_identity", "X(i,j)=B(i,j)", {"X": "ss", "B": "ss"}, None, "copy a DCSR matrix"),
    Kernel("mat_elemadd", "X(i,j)=B(i,j)+C(i,j)", {"X": "ss", "B": "ss", "C": "ss"}, None,
           "matrix + matrix"),
    Kernel("mat_elemmul", "X(i,j)=B(i,j)*C(i,j)", {"X": "ss", "B": "ss", "C": "ss"}, None,
           "matrix .* matrix"),
    Kernel("mat_elemadd3", "X(i,j)=B(i,j)+C(i,j)+D(i,j)",
           {"X": "ss", "B": "ss", "C": "ss", "D": "ss"}, None, "sum of three matrices"),
    Kernel("spmv", "x(i)=B(i,j)*c(j)", {"x": "s", "B": "ss", "c": "s"}, None,
           "sparse matrix times sparse vector (mat_vecmul_ij)"),
    Kernel("spmm", _MATMUL, {"X": "ss", "B": "ds", "C": "dd:1,0"}, ("i", "j", "k"),
           "sparse (CSR) matrix times dense matrix, inner products"),
    Kernel("spmspm_ijk", _MATMUL, {"X": "ss", "B": "ss", "C": "ss:1,0"}, ("i", "j", "k"),
           "SpM*SpM, inner products"),
    Kernel("spmspm_ikj", _MATMUL, {"X": "ss", "B": "ss", "C": "ss"}, ("i", "k", "j"),
           "SpM*SpM, Gustavson (row-wise), order-1 sparse accumulator"),
    Kernel("spmspm_jik", _MATMUL, {"X": "ss:1,0", "B": "ss", "C": "ss:1,0"}, ("j", "i", "k"),
           "SpM*SpM, inner products, column-major output"),
    Kernel("spmspm_jki", _MATMUL, {"X": "ss:1,0", "B": "ss:1,0", "C": "ss:1,0"}, ("j", "k", "i"),
           "SpM*SpM, column-wise Gustavson, order-1 sparse accumulator"),
    Kernel("spmspm_kij", _MATMUL, {"X": "ss", "B": "ss:1,0", "C": "ss"}, ("k", "i", "j"),
           "SpM*SpM, outer products, order-2 sparse accumulator"),
    Kernel("spmspm_kji", _MATMUL, {"X": "ss:1,0", "B": "ss:1,0", "C": "ss"}, ("k", "j", "i"),
           "SpM*SpM, outer products, column-major output, order-2 sparse accumulator"),
    Kernel("sddmm", "X(i,j)=B(i,j)*C(i,k)*D(k,j)",
           {"X": "ss", "B": "ss", "C": "dd", "D": "dd:1,0"}, ("i", "j", "k"),
           "sampled dense-dense matrix product"),
    Kernel("mat_residual", "x(i)=b(i)-C(i,j)*d(j)", {"x": "s", "b": "s", "C": "ss", "d": "s"},
           None, "residual b - C d"),
    Kernel("mat_mattransmul", "x(i)=b*C(j,i)*d(j)+e*f(i)",
           {"x": "s", "C": "ss:1,0", "d": "s", "f": "s"}, None,
           "scaled transposed matrix-vector product plus scaled vector"),
    Kernel("plus3", "X(i,j)=B(i,j)+C(i,j)+D(i,j)",
           {"X": "ss", "B": "ss", "C": "ss", "D": "ss"}, None,
           "sum of three matrices (the CPU baseline's mat_elemadd3_plus3)"),
    Kernel("tensor3_elemadd", "X(i,j,k)=B(i,j,k)+C(i,j,k)",
           {"X": "sss", "B": "sss", "C": "sss"}, None, "3-tensor + 3-tensor"),
    Kernel("tensor3_elemmul", "X(i,j,k)=B(i,j,k)*C(i,j,k)",
           {"X": "sss", "B": "sss", "C": "sss"}, None, "3-tensor .* 3-tensor"),
    Kernel("tensor3_innerprod", "x=B(i,j,k)*C(i,j,k)", {"B": "sss", "C": "sss"}, None,
           "inner product of two 3-tensors (scalar output)"),
    Kernel("tensor3_ttv", "X(i,j)=B(i,j,k)*c(k)", {"X": "ss", "B": "sss", "c": "s"}, None,
           "tensor times vector"),
    Kernel("tensor3_ttm", "X(i,j,k)=B(i,j,l)*C(k,l)", {"X": "sss", "B": "sss", "C": "ss"}, None,
           "tensor times matrix"),
    Kernel("tensor3_mttkrp", "X(i,j)=B(i,k,l)*C(j,k)*D(j,l)",
           {"X": "ss", "B": "sss", "C": "ss", "D": "ss"}, None,
           "matricized tensor times Khatri-Rao product"),
]

#: Reference names (spec section 4.1) that are the same kernels.
ALIASES = {
    "mat_vecmul_ij": "spmv", "mat_sddmm": "sddmm",
    "matmul_ijk": "spmspm_ijk", "matmul_ikj": "spmspm_ikj", "matmul_jik": "spmspm_jik",
    "matmul_jki": "spmspm_jki", "matmul_kij": "spmspm_kij", "matmul_kji": "spmspm_kji",
}

KERNELS: dict[str, Kernel] = {k.name: k for k in _LIST}


def get_kernel(name: str) -> Kernel | None:
    return KERNELS.get(ALIASES.get(name, name))
