"""User-facing errors.

:class:`UserError` is what bad input (a malformed file, an unknown format
letter, a graph that does not fit its tensors) raises. The CLIs catch it and
print one line, ``error: <message>``, with a non-zero exit status, so the
message must stand alone: name the file and line (or node) and say how to fix
the input. Subclass it per domain (``FormatError``, ``TensorFileError``).
"""

__all__ = ["UserError", "read_text"]


class UserError(ValueError):
    """Bad user input; ``str(err)`` is the whole one-line message."""


def read_text(path, limit: int | None = None) -> str:
    """The UTF-8 text of ``path`` (at most ``limit`` characters); a missing,
    unreadable or binary file is a :class:`UserError` naming it."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read() if limit is None else f.read(limit)
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not a text file ({e.reason}: byte "
                        f"{e.object[e.start]:#04x} is not UTF-8)") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read: {e.strerror or e}") from None
