"""Which language to answer in: the shopper's."""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["en", "zh"]

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def language_of(text: str) -> Language:
    """Chinese when the message has Chinese characters, otherwise English."""
    return "zh" if _CJK.search(text) else "en"
