"""Tensor formats and fibertree storage.

``Format`` (level letters + mode order), level-format plug-ins
(``sam.formats.levels``), ``Tensor`` (fibertree storage with COO / dense /
scipy converters), ``assemble_output`` (decode the level writers' raw
arrays) and the reference streams of spec section 1.3 (``tensor_streams``).
"""

from .assemble import WrittenLevel, assemble_output
from .format import Format, FormatError
from .levels import (LEVEL_FORMATS, LEVEL_FORMATS_BY_LETTER, Compressed, Dense,
                     LevelFormat, LevelFormatError, level_format, register_level_format)
from .streams import record_level, record_vals, scan_level, tensor_streams, value_stream
from .tensor import Level, Tensor, as_vals

__all__ = [
    "Format", "FormatError", "Tensor", "Level", "as_vals",
    "LevelFormat", "LevelFormatError", "LEVEL_FORMATS", "LEVEL_FORMATS_BY_LETTER",
    "level_format", "register_level_format", "Compressed", "Dense",
    "WrittenLevel", "assemble_output",
    "tensor_streams", "scan_level", "value_stream", "record_level", "record_vals",
]
