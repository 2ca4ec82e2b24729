"""Level-format plug-ins; importing this package registers every format."""

from .base import (LEVEL_FORMATS, LEVEL_FORMATS_BY_LETTER, LevelFormat,
                   LevelFormatError, level_format, register_level_format)
from .compressed import Compressed
from .dense import Dense

__all__ = [
    "LevelFormat", "LevelFormatError", "LEVEL_FORMATS", "LEVEL_FORMATS_BY_LETTER",
    "register_level_format", "level_format", "Compressed", "Dense",
]
