"""Registry of the RTL primitives (one module per primitive in this package).

Each module defines its :class:`amaranth.lib.wiring.Component` and registers
it with :func:`register`::

    register(RtlPrimitive("repsiggen", RepSigGen,
                          formal_params=({"crd_width": 4},)))

Modules are discovered automatically (every module in this package is
imported when the registry is first used), so adding a primitive never needs
an edit here. The accelerator generator builds components with
:func:`build`; ``tests/test_formal.py`` checks the stream rules of every
entry for each parameter set in ``formal_params``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["RtlPrimitive", "register", "registry", "get", "build", "RtlPrimitiveError"]


class RtlPrimitiveError(ValueError):
    """Unknown RTL primitive name."""


@dataclass(frozen=True)
class RtlPrimitive:
    """One RTL primitive.

    ``name`` is the catalogue type name (``sam.primitives``) or, for
    infrastructure blocks, a name of its own (``fifo``). ``factory(**params)``
    returns the component; it checks its parameters and raises ``ValueError``
    with a message naming the bad one. ``formal_params`` are small parameter
    sets (narrow widths) used by the formal stream-rule check; each may carry
    ``"_depth"`` (BMC depth, default 12), removed before the factory is called.
    """
    name: str
    factory: Callable
    formal_params: tuple[dict, ...] = ({},)
    doc: str = field(default="", compare=False)


_REGISTRY: dict[str, RtlPrimitive] = {}
_loaded = False


def register(entry: RtlPrimitive) -> RtlPrimitive:
    if entry.name in _REGISTRY and _REGISTRY[entry.name] is not entry:
        raise RtlPrimitiveError(f"RTL primitive {entry.name!r} registered twice")
    _REGISTRY[entry.name] = entry
    return entry


def _load_all():
    global _loaded
    if not _loaded:
        for info in pkgutil.iter_modules(__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{__name__}.{info.name}")
        _loaded = True


def registry() -> dict[str, RtlPrimitive]:
    """All registered primitives, by name."""
    _load_all()
    return dict(_REGISTRY)


def get(name: str) -> RtlPrimitive:
    _load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise RtlPrimitiveError(
            f"no RTL primitive {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def build(name: str, **params):
    """Construct the component of primitive ``name`` with ``params``; an
    unknown parameter name raises :class:`RtlPrimitiveError` listing the
    known ones (bad values raise ``ValueError`` from the component)."""
    entry = get(name)
    known = inspect.signature(entry.factory).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in known.values()):
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise RtlPrimitiveError(
                f"RTL primitive {name!r} has no parameter {', '.join(map(repr, unknown))}; "
                f"parameters: {', '.join(known)}")
    return entry.factory(**params)
