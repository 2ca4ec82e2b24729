"""Moved to :mod:`sam.lower` (graph transforms are shared with the RTL
generator); re-exported here so existing imports keep working."""

from sam.lower import lower_graph

__all__ = ["lower_graph"]
