"""The text encoding of a Shapefile's ``.dbf``, a DXF drawing or a CSV table: declared or detected.

Chinese offices send attribute tables in GBK (GB18030 is its superset) or UTF-8, often with no
``.cpg`` saying which, and a reader that guesses wrong shows mojibake (``µØ¿é±àºÅ`` for
``地块编号``). Here the encoding is taken, in this order, from:

1. the user (``--encoding``): used when the text decodes in it without error;
2. the file's own declaration (a ``.cpg`` beside the ``.shp``, the ``.dbf`` language driver
   byte, a DXF's ``$DWGCODEPAGE``): used when the text decodes in it — but not a Latin code page
   while the text reads as Chinese in UTF-8 or GB18030 (tools write ``ANSI_1252`` by default);
3. detection: strict UTF-8 decoding first (text in another encoding is almost never valid
   UTF-8), then strict GB18030, accepted only when what it decodes reads as Chinese. When the
   file declared something else, :class:`TextEncoding` keeps the declaration so reports say so.

Anything else (nothing decodes, or the result does not read as text) is refused with an
:class:`~gis.errors.InputFileError` that asks for ``--encoding``: never silently mojibake. Only
the bytes outside ASCII matter; text that is all ASCII needs no decision.
"""

from __future__ import annotations

import codecs
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gis.errors import InputFileError
from gis.messages import msg

#: How many bytes of a file are looked at (the header and the first records of a big table).
SCAN_BYTES = 32 * 1024 * 1024

#: Share of the non-ASCII characters that must be CJK (ideographs, CJK and full-width
#: punctuation) for a GB18030 decoding to count as Chinese text.
CJK_SHARE_MIN = 0.9

_CJK = re.compile(
    "[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
    "\u2010-\u206f\u00b7\u00d7\u00b0\u00b2\u00b3\u33a1\u2160-\u217f\u2460-\u24ff\u25a0-\u25ff]"
)

#: Spellings of encodings in .cpg files and DXF headers → Python codec names.
_ALIASES = {
    "65001": "utf-8",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "936": "gb18030",
    "cp936": "gb18030",
    "ansi936": "gb18030",
    "ansi_936": "gb18030",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "950": "big5",
    "cp950": "big5",
    "ansi_950": "big5",
    "big5": "big5",
    "1252": "cp1252",
    "ansi1252": "cp1252",
    "ansi_1252": "cp1252",
    "cp1252": "cp1252",
    "88591": "latin-1",
    "iso88591": "latin-1",
    "iso-8859-1": "latin-1",
    "latin1": "latin-1",
    "latin-1": "latin-1",
}

#: ``.dbf`` language driver ids (byte 29) that name a code page.
_LDID = {0x4D: "gb18030", 0x7A: "gb18030", 0x4F: "big5", 0x78: "big5", 0x57: "cp1252", 0x03: "cp1252"}

_LATIN = {"cp1252", "latin-1"}


@dataclass(frozen=True)
class TextEncoding:
    """The encoding a file's text is read in.

    ``codec`` is a Python codec name (``utf-8``, ``gb18030``, …; ``ascii`` when every byte is
    ASCII); ``how`` says where it came from: ``given`` (by the user), ``cpg``, ``ldid`` (the .dbf
    language driver byte), ``header`` (a DXF's ``$DWGCODEPAGE`` or version), ``bom``,
    ``detected`` or ``ascii``; ``declared`` is what the file itself declares (None when
    nothing); ``sample`` is a short piece of the decoded text (for reports, so a user sees it).
    """

    codec: str
    how: str
    declared: str | None = None
    sample: str | None = None

    @property
    def gdal_name(self) -> str:
        """The name GDAL and pyogrio understand (``UTF-8``, ``GB18030``, ``CP1252`` …)."""
        return {"utf-8": "UTF-8", "gb18030": "GB18030", "big5": "CP950", "ascii": "UTF-8"}.get(
            self.codec, self.codec.upper()
        )

    def describe(self) -> str:
        """Return a one-line English description (``GB18030 (detected; no .cpg)``)."""
        what = {
            "given": "given",
            "cpg": "from the .cpg",
            "ldid": "from the .dbf language byte",
            "header": "from the drawing header",
            "bom": "byte-order mark",
            "detected": "detected; "
            + (f"the file declares {self.declared}" if self.declared else "nothing declared"),
            "ascii": "all ASCII",
        }[self.how]
        return f"{self.gdal_name} ({what})" + (f", e.g. {self.sample!r}" if self.sample else "")


def normalise_encoding(name: str, *, where: str = "--encoding") -> str:
    """Return the Python codec name for an encoding as users and files spell it (``GBK``,
    ``936``, ``UTF8``, ``ANSI_936`` …); InputFileError for an unknown one."""
    key = name.strip().lower().replace(" ", "")
    codec = _ALIASES.get(key) or _ALIASES.get(key.replace("-", ""))
    if codec is None:
        try:
            codec = codecs.lookup(key).name
        except LookupError:
            raise InputFileError(
                f"{name!r} is not an encoding parksite knows",
                where=where,
                hint="use UTF-8 or GBK (GB18030)",
                msg=msg("error.encoding.unknown", name=name),
            ) from None
    return codec


def cjk_share(text: str) -> float:
    """Return the share (0–1) of the non-ASCII characters of ``text`` that are Chinese script or
    CJK punctuation (1.0 for text that is all ASCII)."""
    wide = [c for c in text if ord(c) > 127]
    if not wide:
        return 1.0
    return sum(1 for c in wide if _CJK.match(c)) / len(wide)


def _decodes(chunks: list[bytes], codec: str) -> tuple[bool, str, int | None]:
    """Return (all decode strictly, the decoded non-ASCII chunks joined, first bad chunk).

    A character cut at the end of a chunk is not an error: a ``.dbf`` field name has 10 bytes
    and a value its field's width, and writers cut UTF-8 and GBK text there mid-character."""
    out = []
    for i, chunk in enumerate(chunks):
        try:
            out.append(decode_cut(chunk, codec))
        except UnicodeDecodeError:
            return False, "", i
    return True, " ".join(out), None


def _sample(text: str) -> str | None:
    """A short piece of ``text`` around its first non-ASCII character, for reports."""
    m = re.search(r"[^\x00-\x7f]", text)
    if m is None:
        return None
    start = max(0, m.start() - 4)
    return text[start : start + 16].strip()


def choose_encoding(
    chunks: list[bytes],
    *,
    given: str | None = None,
    declared: str | None = None,
    how_declared: str = "cpg",
    where: str,
    labels: list[str] | None = None,
) -> TextEncoding:
    """Decide the encoding of text ``chunks`` (field names and values, raw bytes) by the rules of
    this module; ``labels`` name the chunks in messages (``record 7, field 权利人``).

    Returns the :class:`TextEncoding`; raises :class:`InputFileError` when no encoding reads the
    text cleanly, or a declared or given encoding does not.
    """
    wide = [c for c in chunks if any(b > 127 for b in c)]
    wide_labels = [lbl for c, lbl in zip(chunks, labels or [""] * len(chunks)) if any(b > 127 for b in c)]
    try:
        declared_codec = normalise_encoding(declared, where=where) if declared else None
    except InputFileError:  # a declaration nobody knows: detect
        declared_codec = None

    def bad_at(i: int | None) -> str:
        return f" ({wide_labels[i]})" if i is not None and wide_labels and wide_labels[i] else ""

    if given:
        codec = normalise_encoding(given)
        ok, text, bad = _decodes(wide, codec)
        if not ok:
            raise InputFileError(
                f"its text is not valid {codec.upper()}{bad_at(bad)}",
                where=where,
                hint="give the encoding the file was written in (UTF-8 or GBK)",
                msg=msg("error.encoding.invalid", codec=codec.upper(), at=bad_at(bad)),
            )
        return TextEncoding(codec, "given", declared, _sample(text))
    if not wide:
        return TextEncoding("ascii", "ascii", declared)
    ok_utf8, text_utf8, _ = _decodes(wide, "utf-8")
    ok_gb, text_gb, bad_gb = _decodes(wide, "gb18030")
    chinese = {"utf-8": ok_utf8 and cjk_share(text_utf8) >= CJK_SHARE_MIN}
    chinese["gb18030"] = ok_gb and cjk_share(text_gb) >= CJK_SHARE_MIN
    if declared_codec is not None:
        ok, text, _ = _decodes(wide, declared_codec)
        latin_over_chinese = declared_codec in _LATIN and (chinese["utf-8"] or chinese["gb18030"])
        if ok and not latin_over_chinese:
            return TextEncoding(declared_codec, how_declared, declared, _sample(text))
        # The declaration does not fit the text: detect, and keep what was declared for the report.
    if ok_utf8:
        return TextEncoding("utf-8", "detected", declared, _sample(text_utf8))
    if chinese["gb18030"]:
        return TextEncoding("gb18030", "detected", declared, _sample(text_gb))
    at = wide_labels[bad_gb].strip() if bad_gb is not None and wide_labels and wide_labels[bad_gb] else None
    reason = "is neither UTF-8 nor GBK" + (
        f" (not GBK at {at})" if at is not None else " (as GBK it does not read as Chinese)"
    )
    unsure = (
        msg("error.encoding.neither_at", at=at)
        if at is not None
        else msg("error.encoding.neither_not_chinese")
    )
    raise InputFileError(
        f"its text {reason}",
        where=where,
        hint="pass --encoding with the encoding it was written in",
        msg=unsure,
    )


def decode_cut(raw: bytes, codec: str) -> str:
    """Return ``raw`` decoded in ``codec``, dropping a character cut at its end (no error)."""
    return codecs.getincrementaldecoder(codec)("strict").decode(raw, final=False)


def transcode(frame: pd.DataFrame, codec: str) -> pd.DataFrame:
    """Return ``frame`` (read with every byte as one Latin-1 character) with its column names
    and text values decoded in ``codec`` (:func:`decode_cut`); repeated names get ``_2``, ``_3``."""
    if codec in ("ascii", "latin-1"):
        return frame
    names: list[str] = []
    for c in frame.columns:
        name = decode_cut(c.encode("latin-1"), codec) if isinstance(c, str) else c
        base, n = name, 1
        while name in names:
            n += 1
            name = f"{base}_{n}"
        names.append(name)
    out = frame.copy()
    geometry = getattr(frame, "_geometry_column_name", None)
    for c in frame.columns:
        if c != geometry and (frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype)):
            out[c] = frame[c].map(
                lambda v: decode_cut(v.encode("latin-1"), codec) if isinstance(v, str) else v
            )
    out.columns = names
    if geometry is not None:
        out = out.set_geometry(names[list(frame.columns).index(geometry)])
    return out


# --------------------------------------------------------------------------------- .dbf files


def dbf_text(path: Path, *, max_bytes: int = SCAN_BYTES) -> tuple[list[bytes], list[str], int | None]:
    """Return the raw text of a ``.dbf``: its field names and character values (bytes), a label
    for each (``field 3 name`` / ``record 7, field 2``) and its language driver byte (None if 0).

    Raises InputFileError for a file too short to be a dBASE table.
    """
    with open(path, "rb") as fh:
        data = fh.read(max_bytes)
    if len(data) < 33:
        raise InputFileError(
            "is not a dBASE table (too short)",
            where=str(path),
            hint="export it again",
            msg=msg("error.encoding.not_dbf"),
        )
    n_records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    ldid = data[29] or None
    fields: list[tuple[bytes, str, int, int]] = []  # name, type, offset in record, length
    offset = 1  # the deletion flag
    pos = 32
    while pos + 32 <= min(header_len, len(data)) and data[pos] != 0x0D:
        desc = data[pos : pos + 32]
        name = desc[:11].split(b"\x00", 1)[0]
        kind = chr(desc[11])
        length = desc[16]
        fields.append((name, kind, offset, length))
        offset += length
        pos += 32
    chunks = [f[0] for f in fields]
    labels = [f"field {i + 1} name" for i in range(len(fields))]
    text_fields = [(i, f) for i, f in enumerate(fields) if f[1] in "CM"]
    for r in range(n_records):
        start = header_len + r * record_len
        if start + record_len > len(data) or record_len == 0:
            break
        record = data[start : start + record_len]
        for i, (_name, _, off, length) in text_fields:
            value = record[off : off + length].rstrip(b" \x00")
            if value:
                chunks.append(value)
                labels.append(f"record {r + 1}, field {i + 1}")
    return chunks, labels, ldid


def shapefile_encoding(shp: Path, *, given: str | None = None, where: str | None = None) -> TextEncoding:
    """Return the encoding of the Shapefile ``shp``'s attribute table (its ``.dbf``): ``given``,
    else the ``.cpg`` or the language driver byte when the text agrees, else detected.

    Raises InputFileError when the text cannot be read cleanly (see :func:`choose_encoding`).
    """
    dbf = next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.is_file()), None)
    if dbf is None:
        raise InputFileError(
            "has no .dbf beside it",
            where=str(shp),
            hint="copy the .dbf with the .shp",
            msg=msg("error.encoding.no_dbf"),
        )
    chunks, labels, ldid = dbf_text(dbf)
    declared, how = None, "cpg"
    cpg = next((p for p in (shp.with_suffix(".cpg"), shp.with_suffix(".CPG")) if p.is_file()), None)
    if cpg is not None:
        declared = cpg.read_bytes()[:64].decode("ascii", "replace").strip() or None
    if declared is None and ldid in _LDID:
        declared, how = _LDID[ldid], "ldid"
    return choose_encoding(
        chunks, given=given, declared=declared, how_declared=how, where=where or str(dbf), labels=labels
    )


# ----------------------------------------------------------------------------- DXF and tables


def dxf_encoding(path: Path, *, given: str | None = None, where: str | None = None) -> TextEncoding:
    """Return the encoding of a DXF drawing's text (layer names, TEXT/MTEXT, attributes).

    Drawings from AutoCAD 2007 on (``$ACADVER`` ≥ AC1021) are UTF-8 by definition; older ones
    declare a code page in ``$DWGCODEPAGE`` (``ANSI_936`` for GBK). The declaration is used when
    the text agrees with it, else the text is detected (a tool that wrote UTF-8 under
    ``ANSI_1252`` is read as UTF-8); see :func:`choose_encoding`. Binary DXF is UTF-8.
    """
    with open(path, "rb") as fh:
        data = fh.read(SCAN_BYTES)
    if data.startswith(b"AutoCAD Binary DXF"):
        return TextEncoding("utf-8", "header", "binary DXF")
    head = data[:20000].decode("ascii", "replace")
    version = re.search(r"\$ACADVER\s*\r?\n\s*1\s*\r?\n\s*(AC\d+)", head)
    page = re.search(r"\$DWGCODEPAGE\s*\r?\n\s*3\s*\r?\n\s*(\S+)", head)
    declared: str | None = None
    if version and version.group(1) >= "AC1021":
        declared = "UTF-8"
    elif page:
        declared = page.group(1)
    lines = [ln for ln in data.splitlines() if any(b > 127 for b in ln)]
    labels = [f"line {i + 1}" for i in range(len(lines))]
    return choose_encoding(
        lines, given=given, declared=declared, how_declared="header", where=where or str(path), labels=labels
    )


def table_encoding(path: Path, *, given: str | None = None, where: str | None = None) -> TextEncoding:
    """Return the encoding of a CSV file: ``given``, a UTF-8 byte-order mark, else detected."""
    with open(path, "rb") as fh:
        data = fh.read(SCAN_BYTES)
    if not given and data.startswith(codecs.BOM_UTF8):
        return TextEncoding("utf-8-sig", "bom")
    lines = data.splitlines()
    labels = [f"line {i + 1}" for i in range(len(lines))]
    return choose_encoding(lines, given=given, where=where or str(path), labels=labels)
