"""Messages in English and Chinese: audit notes and job progress messages.

A note written by the app (``"restored version 1"``, ``"cluster sc-new created"``, a repair
note) is a :class:`Msg`: an ordinary ``str`` holding the English text that also carries the
Chinese one in ``.zh``. Code that only knows strings keeps working; :func:`zh` gives the
Chinese text (the English one when there is no translation). The audit log stores both
(``note``, ``note_zh``); the batch jobs both progress messages (``message``, ``message_zh``).

Progress messages come from the scoring run (:mod:`scoring.batch`) as English text; :func:`job_message_zh`
translates the known ones (steps, "batch 1/3 (20 parcels): terrain", …) and leaves unknown
text in English.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


class Msg(str):
    """English text (the ``str`` itself) with its Chinese translation in ``zh``."""

    zh: str

    def __new__(cls, en: str, zh: str) -> Msg:
        obj = super().__new__(cls, en)
        obj.zh = zh
        return obj


def zh(text: str | None) -> str | None:
    """Return the Chinese text of a message (``Msg.zh``), the text itself for a plain string."""
    if text is None:
        return None
    return getattr(text, "zh", None) or str(text)


def join(parts: Iterable[str | None]) -> Msg | None:
    """Return the non-empty ``parts`` joined ("; " in English, "；" in Chinese), None if none."""
    kept = [p for p in parts if p]
    if not kept:
        return None
    return Msg("; ".join(str(p) for p in kept), "；".join(zh(p) or "" for p in kept))


# --------------------------------------------------------------------------- audit notes


def restored(version: int) -> Msg:
    """The note of a restore: ``restored version N``."""
    return Msg(f"restored version {version}", f"恢复到第 {version} 版")


def cluster_created(code: str) -> Msg:
    return Msg(f"cluster {code} created", f"新建组团 {code}")


def cluster_outline_changed(code: str, version: int) -> Msg:
    return Msg(
        f"cluster {code} outline changed (version {version})", f"组团 {code} 边界修改（第 {version} 版）"
    )


def cluster_deleted(code: str) -> Msg:
    return Msg(f"cluster {code} deleted", f"组团 {code} 已删除")


def zone_reimported() -> Msg:
    return Msg("zone re-imported", "开发区重新导入")


def not_in_reimport() -> Msg:
    return Msg("not in the re-imported zone", "重新导入的数据中已无此项")


# --------------------------------------------------------------------------- job messages

#: Job messages and pipeline steps with a fixed text.
JOB_MESSAGES_ZH: dict[str, str] = {
    "queued": "排队中",
    "checking the upload": "正在检查上传的文件",
    "measuring": "正在量测",
    "writing the results": "正在写出结果",
    "scoring": "正在评分",
    "sensitivity": "敏感性分析",
    "done": "已完成",
    "terrain": "地形（坡度、土方）",
    "access": "设施距离",
    "network": "路网距离",
    "exclusion": "排除条件",
}

_BATCH = re.compile(r"^batch (\d+)/(\d+) \((\d+) parcels\): (.+)$")
_PART = re.compile(r"^part (\d+)/(\d+) measured \((\d+) process(?:es)?\)$")


def job_message_zh(message: str | None) -> str | None:
    """Return the Chinese text of a job progress message (the English text if it is unknown)."""
    if message is None:
        return None
    if message in JOB_MESSAGES_ZH:
        return JOB_MESSAGES_ZH[message]
    m = _BATCH.match(message)
    if m:
        step = m.group(4)
        return f"第 {m.group(1)}/{m.group(2)} 批（{m.group(3)} 个地块）：{JOB_MESSAGES_ZH.get(step, step)}"
    m = _PART.match(message)
    if m:
        return f"第 {m.group(1)}/{m.group(2)} 部分已量测（{m.group(3)} 个进程）"
    return message
