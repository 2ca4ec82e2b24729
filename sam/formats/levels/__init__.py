"""Level-format plug-ins; importing this package registers every format.

Every module in this package is imported here, so a new level format is one
new file (a :class:`LevelFormat` subclass decorated with
:func:`register_level_format`); the catalogue (``sam.primitives``) takes its
``format=`` choices from the registry.
"""

import importlib
import pkgutil

from .base import (LEVEL_FORMATS, LEVEL_FORMATS_BY_LETTER, LevelFormat,
                   LevelFormatError, level_format, register_level_format)
from .compressed import Compressed
from .dense import Dense

for _m in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_m.name}")

__all__ = [
    "LevelFormat", "LevelFormatError", "LEVEL_FORMATS", "LEVEL_FORMATS_BY_LETTER",
    "register_level_format", "level_format", "Compressed", "Dense",
]
