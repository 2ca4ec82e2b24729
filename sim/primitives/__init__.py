"""One module per catalogue type; importing this package registers every
model in :data:`sim.primitive.REGISTRY`."""

from . import (alu, arrayvals, broadcast, crddrop, crdhold, fiberlookup,  # noqa: F401
               fiberwrite, intersect, reduce, repeat, repsiggen, spaccumulator, union)
