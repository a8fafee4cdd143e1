"""Sources as people read them: the plan's citations (表9-6, 第八章 …) and our own defaults.

The zone file gives every record a ``source`` in the plan's words, e.g. ``表9-6``,
``第八章 一、产业布局（产业备用地）`` or ``《工业项目建设用地控制指标》…; parksite default``
(the app adds :data:`MARKS` for clusters drawn or edited on the map).
:func:`cite` turns such a text into a :class:`gis.messages.Name`: in Chinese the plan's words
(with "parksite default" shown as 本系统默认值), in English the tables, chapters and standards it
cites (``Table 9-6``, ``Chapter 8``, ``CJJ 83-2016``) — never a code name such as
``scoring.min_score``.
"""

from __future__ import annotations

import re

from gis.messages import Message, Name, joined, msg

#: How the zone file marks a value that is ours, not the plan's.
DEFAULT_MARK = "parksite default"
#: Sources that are not the plan's (a part of a ``source`` text), and the message ids naming them.
DRAWN_ON_MAP = "[drawn on the map]"
ADMITS_EDITED = "[admits edited on the map]"
MARKS: dict[str, str] = {DRAWN_ON_MAP: "source.drawn_on_map", ADMITS_EDITED: "source.admits_edited"}

_TABLE = re.compile(r"表\s*(\d+(?:-\d+)*)")
_CHAPTER = re.compile(r"第([一二三四五六七八九十\d]+)章")
_APPENDIX = re.compile(r"附件|附表|appendix", re.IGNORECASE)
_STANDARD = re.compile(r"\b([A-Z]{1,4}(?:/[A-Z]{1,4})?\s?\d+(?:[.-]\d+)*)")
_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def chinese_number(text: str) -> int:
    """Return the value of a small Chinese numeral (一 … 九十九) or of ASCII digits."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return _NUMERALS[text]
    tens, _, units = text.partition("十")
    return (_NUMERALS[tens] if tens else 1) * 10 + (_NUMERALS[units] if units else 0)


def default_source() -> Message:
    """The source of a value that is ours: 本系统默认值 / parksite default."""
    return msg("common.default_source")


def cite(source: str | None) -> Name:
    """Return a zone-file ``source`` text as people read it in each language (see module doc)."""
    parts = [p.strip() for p in re.split(r"[;；]", source or "") if p.strip()]
    zh: list[str | Message] = []
    en: list[str | Message] = []
    for part in parts:
        if part in MARKS:
            zh.append(msg(MARKS[part]))
            en.append(msg(MARKS[part]))
            continue
        if DEFAULT_MARK in part.lower():
            rest = part.lower().replace(DEFAULT_MARK, "").strip(" ()（）")
            zh.append(default_source() if not rest or rest.isascii() else part)
            en.append(default_source())
            continue
        zh.append(part)
        refs = _english_refs(part)
        en.extend(refs if refs else [msg("source.plan")])
    if not parts:
        zh.append(msg("source.plan"))
        en.append(msg("source.plan"))
    return Name(joined(_unique(zh), "semicolon"), joined(_unique(en), "semicolon"))


def table(number: str) -> Name:
    """Return a table of the plan, e.g. ``table("9-6")`` → 表9-6 / Table 9-6."""
    return Name(f"表{number}", msg("source.table", n=number))


def _english_refs(text: str) -> list[str | Message]:
    out: list[str | Message] = []
    for m in _CHAPTER.finditer(text):
        out.append(msg("source.chapter", n=chinese_number(m.group(1))))
    for m in _TABLE.finditer(text):
        out.append(msg("source.table", n=m.group(1)))
    if _APPENDIX.search(text):
        out.append(msg("source.appendix"))
    out.extend(m.group(1) for m in _STANDARD.finditer(text))
    return out


def _unique(items: list[str | Message]) -> list[str | Message]:
    seen: list[str | Message] = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen
