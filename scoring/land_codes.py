"""Code tables of a zone file (``land_codes``): land-use codes → parcel status and land use.

The third national land survey (第三次全国国土调查, 三调) codes every land-use polygon (DLTB,
地类图斑) with a DLBM (地类编码) that says what the land is today: built (0601 工业用地, 0702
农村宅基地 …), farmed (0101 水田 …), water (1101 河流水面 …). A zone file's ``land_codes``
section holds, per table name (``dlbm``), each code's name and the parcel ``status`` parksite
gives land of that code, so a field mapping (``codes: dlbm``) turns a DLBM field into statuses
and land-use names. The zone edits the table; :func:`CodeTable.lookup` also reads 三调's
suffixed codes (``0201K`` 可调整果园, ``1104A`` 养殖坑塘) through their base code.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from scoring.config_base import ConfigModel, Source

#: Parcel statuses (as the database's ``parcels.status``).
Status = Literal["existing", "vacant", "reserved", "public"]

#: What the land is today.
Cover = Literal["built", "farmed", "forest", "grass", "water", "transport", "bare"]


class LandCode(ConfigModel):
    """One code: its name (Chinese, English), what the land is (``cover``) and the parcel
    ``status`` that land of this code gets."""

    name: str
    name_en: str
    cover: Cover
    status: Status


class CodeTable(ConfigModel):
    """A code table: the classification it follows, where its statuses come from, the codes."""

    standard: str = Field(description="the classification the codes follow")
    source: Source
    codes: dict[str, LandCode] = Field(min_length=1)

    @model_validator(mode="after")
    def _code_keys(self) -> CodeTable:
        bad = [c for c in self.codes if not re.fullmatch(r"[0-9A-Z]{2,6}", c)]
        if bad:
            raise ValueError(f"codes must be 2–6 digits or capitals (e.g. 0601, 05H1): {bad}")
        return self

    def lookup(self, code: object) -> tuple[str, LandCode] | None:
        """Return ``(matched code, entry)`` for a code as a layer holds it (``601`` or
        ``0601.0`` read as 0601; ``0201K`` as 0201 when the table has no 0201K), or None."""
        text = _code_text(code)
        if text is None:
            return None
        for key in (text, text.rstrip("KA") if len(text) > 4 else None):
            if key and key in self.codes:
                return key, self.codes[key]
        return None


def _code_text(code: object) -> str | None:
    if code is None:
        return None
    if isinstance(code, float):
        if code != code:  # NaN
            return None
        if code.is_integer():
            code = int(code)
    text = str(code).strip().upper()
    if not text:
        return None
    if text.isdigit() and len(text) in (3, 1):
        text = text.zfill(len(text) + 1)  # 601 → 0601 (a code read as a number), 9 → 09
    return text
