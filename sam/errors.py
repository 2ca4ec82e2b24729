"""User-facing errors.

:class:`UserError` is what bad input (a malformed file, an unknown format
letter, a graph that does not fit its tensors) raises. The CLIs catch it and
print one line, ``error: <message>``, with a non-zero exit status, so the
message must stand alone: name the file and line (or node) and say how to fix
the input. Subclass it per domain (``FormatError``, ``TensorFileError``).
"""

__all__ = ["UserError"]


class UserError(ValueError):
    """Bad user input; ``str(err)`` is the whole one-line message."""
