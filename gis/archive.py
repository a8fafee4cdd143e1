"""Safe handling of zipped Shapefiles.

A zip from a user is checked before anything is extracted: no member may have an absolute path
or a ``..`` component, be a symbolic link or other special file, or be encrypted; the declared
decompressed total and the compression ratio must stay under limits (zip bombs). Only the members
of the one chosen Shapefile are then extracted, flat, into a directory the caller owns, with the
number of bytes written capped as they are written.
"""

from __future__ import annotations

import re
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gis.errors import InputFileError, LimitExceededError
from gis.messages import joined, msg

#: Extensions (lower case) of the files that belong to one Shapefile; the first three are required.
SHAPEFILE_REQUIRED = (".shp", ".shx", ".dbf")
SHAPEFILE_OPTIONAL = (".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")

_MiB = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class ZipLimits:
    """Limits a zip must stay under before anything is extracted.

    ``max_total_bytes``: decompressed size of all members together (bytes).
    ``max_ratio``: decompressed / compressed size, for the archive as a whole and for each member
    larger than ``ratio_floor_bytes`` (tiny members can have odd ratios and do no harm).
    ``max_members``: number of entries in the archive.
    """

    max_total_bytes: int = 500 * _MiB
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 1 * _MiB
    max_members: int = 10_000


#: Why a zip member is refused (:func:`_member_problem`), as message ids.
MEMBER_PROBLEM_IDS: dict[str, str] = {
    "has an absolute path": "error.zip.absolute_path",
    "has a '..' path component": "error.zip.parent_path",
    "is a symbolic link": "error.zip.symlink",
    "is not a regular file": "error.zip.special_file",
    "is encrypted": "error.zip.encrypted",
}


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    """Return why a member is refused, or None if it is acceptable."""
    name = info.filename
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "has an absolute path"
    if any(part == ".." for part in re.split(r"[\\/]", name)):
        return "has a '..' path component"
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        return "is a symbolic link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "is not a regular file"
    if info.flag_bits & 0x1:
        return "is encrypted"
    return None


def check_zip(path: Path, limits: ZipLimits = ZipLimits()) -> list[zipfile.ZipInfo]:
    """Validate every member of the zip at ``path`` and return the members that are files.

    Raises ``InputFileError`` for an unreadable zip or an unsafe member (absolute path, ``..``,
    link, special file, encryption) and ``LimitExceededError`` when the member count, the
    decompressed total or the compression ratio is over ``limits``.
    """
    where = str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(
            f"is not a readable zip archive ({exc})",
            where=where,
            hint="upload a .zip holding one Shapefile (.shp, .shx, .dbf, .prj)",
            msg=msg("error.zip.unreadable", detail=str(exc)),
        ) from exc
    if len(infos) > limits.max_members:
        raise LimitExceededError(
            f"has {len(infos)} entries, more than the limit of {limits.max_members}",
            where=where,
            msg=msg("error.zip.too_many_members", n=len(infos), limit=limits.max_members),
        )
    bad = [(i.filename, p) for i in infos if (p := _member_problem(i)) is not None]
    if bad:
        listed = "; ".join(f"{name!r} {problem}" for name, problem in bad[:10])
        members = joined(
            (
                msg("error.zip.member", name=name, problem=msg(MEMBER_PROBLEM_IDS[problem]))
                for name, problem in bad[:10]
            ),
            "semicolon",
        )
        raise InputFileError(
            f"refused: member {listed}",
            where=where,
            hint="zip only the Shapefile's own files, with relative names and no links",
            msg=msg("error.zip.refused_members", members=members),
        )
    files = [i for i in infos if not i.is_dir()]
    total = sum(i.file_size for i in files)
    packed = sum(i.compress_size for i in files)
    if total > limits.max_total_bytes:
        raise LimitExceededError(
            f"decompresses to {total / _MiB:.1f} MiB, more than the limit of "
            f"{limits.max_total_bytes / _MiB:.1f} MiB",
            where=where,
            hint="split the layer or raise the limit",
            msg=msg(
                "error.zip.too_large",
                size=f"{total / _MiB:.1f}",
                limit=f"{limits.max_total_bytes / _MiB:.1f}",
            ),
        )
    if total > limits.ratio_floor_bytes and total > limits.max_ratio * max(packed, 1):
        raise LimitExceededError(
            f"has a compression ratio of {total / max(packed, 1):.0f}:1, more than the limit "
            f"of {limits.max_ratio:.0f}:1",
            where=where,
            hint="this looks like a zip bomb",
            msg=msg(
                "error.zip.ratio", ratio=f"{total / max(packed, 1):.0f}", limit=f"{limits.max_ratio:.0f}"
            ),
        )
    for i in files:
        if i.file_size > limits.ratio_floor_bytes and i.file_size > limits.max_ratio * max(
            i.compress_size, 1
        ):
            raise LimitExceededError(
                f"member {i.filename!r} has a compression ratio of "
                f"{i.file_size / max(i.compress_size, 1):.0f}:1, more than the limit of "
                f"{limits.max_ratio:.0f}:1",
                where=where,
                hint="this looks like a zip bomb",
                msg=msg(
                    "error.zip.member_ratio",
                    name=i.filename,
                    ratio=f"{i.file_size / max(i.compress_size, 1):.0f}",
                    limit=f"{limits.max_ratio:.0f}",
                ),
            )
    return files


def _stem_and_ext(name: str) -> tuple[str, str, str]:
    """Split a member name into (directory, stem, extension), extension lower case."""
    p = PurePosixPath(name.replace("\\", "/"))
    lower = p.name.lower()
    if lower.endswith(".shp.xml"):
        return str(p.parent), p.name[: -len(".shp.xml")], ".shp.xml"
    return str(p.parent), p.stem, p.suffix.lower()


def shapefile_members(
    files: list[zipfile.ZipInfo], layer: str | None, *, where: str
) -> dict[str, zipfile.ZipInfo]:
    """Pick the members of one Shapefile from the checked ``files`` of a zip.

    Returns a mapping extension → member (``.shp``, ``.shx``, ``.dbf`` always present, ``.prj``
    and others when present). ``layer`` names the Shapefile (its file stem, case-insensitive);
    without it the zip must hold exactly one ``.shp``. Raises ``InputFileError`` otherwise.
    """
    shps = [i for i in files if _stem_and_ext(i.filename)[2] == ".shp"]
    if layer is not None:
        shps = [i for i in shps if _stem_and_ext(i.filename)[1].lower() == layer.lower()]
    names = sorted(i.filename for i in shps)
    if not shps:
        all_shps = sorted(i.filename for i in files if i.filename.lower().endswith(".shp"))
        what = f"no Shapefile named {layer!r}" if layer else "no .shp file"
        what_msg = msg("error.zip.no_named_shapefile", layer=layer) if layer else msg("error.zip.no_shp")
        raise InputFileError(
            f"holds {what} (Shapefiles in it: {', '.join(all_shps) or 'none'})",
            where=where,
            hint="zip the .shp with its .shx, .dbf and .prj",
            msg=msg("error.zip.no_shapefile", what=what_msg, found=all_shps or "—"),
        )
    if len(shps) > 1:
        raise InputFileError(
            f"holds {len(shps)} Shapefiles ({', '.join(names)}); name the layer to read",
            where=where,
            hint="pass the layer name (the .shp file name without extension)",
            msg=msg("error.zip.several_shapefiles", n=len(shps), names=names),
        )
    folder, stem, _ = _stem_and_ext(shps[0].filename)
    chosen: dict[str, zipfile.ZipInfo] = {}
    for i in files:
        d, s, ext = _stem_and_ext(i.filename)
        if d == folder and s.lower() == stem.lower() and ext in SHAPEFILE_REQUIRED + SHAPEFILE_OPTIONAL:
            if ext in chosen:
                raise InputFileError(
                    f"holds two {ext} files for Shapefile {stem!r}",
                    where=where,
                    hint="keep one copy of each file",
                    msg=msg("error.zip.duplicate_file", ext=ext, stem=stem),
                )
            chosen[ext] = i
    missing = [ext for ext in SHAPEFILE_REQUIRED if ext not in chosen]
    if missing:
        raise InputFileError(
            f"Shapefile {stem!r} lacks its {', '.join(missing)} file(s)",
            where=where,
            hint="a Shapefile needs .shp, .shx and .dbf (and .prj for its CRS) side by side",
            msg=msg("error.zip.missing_files", stem=stem, missing=missing),
        )
    return chosen


def _copy_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, budget: int, where: str) -> int:
    """Extract one member to ``dest``; return the bytes written; refuse to write over ``budget``."""
    written = 0
    with zf.open(info) as src, open(dest, "wb") as out:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > budget:
                raise LimitExceededError(
                    f"member {info.filename!r} decompresses to more than declared / allowed",
                    where=where,
                    hint="the archive is corrupt or malicious",
                    msg=msg("error.zip.member_overflow", name=info.filename),
                )
            out.write(chunk)
    return written


@contextmanager
def extracted_shapefile(
    path: Path, layer: str | None = None, limits: ZipLimits = ZipLimits()
) -> Iterator[Path]:
    """Check the zip at ``path``, extract one Shapefile into a temporary directory, yield its .shp.

    The directory and its files are removed when the context ends. Members are written under
    their base names only (never under a path taken from the archive). Raises as
    ``check_zip`` and ``shapefile_members`` do; a member whose data do not match its CRC raises
    ``InputFileError``.
    """
    where = str(path)
    files = check_zip(path, limits)
    members = shapefile_members(files, layer, where=where)
    stem = _stem_and_ext(members[".shp"].filename)[1]
    safe_stem = re.sub(r"[^\w.-]", "_", stem) or "layer"
    with tempfile.TemporaryDirectory(prefix="parksite-zip-") as tmp:
        budget = limits.max_total_bytes
        try:
            with zipfile.ZipFile(path) as zf:
                for ext, info in members.items():
                    budget -= _copy_capped(
                        zf, info, Path(tmp) / f"{safe_stem}{ext}", min(budget, info.file_size), where
                    )
        except zipfile.BadZipFile as exc:
            raise InputFileError(
                f"is corrupt ({exc})",
                where=where,
                hint="zip the Shapefile again",
                msg=msg("error.zip.corrupt", detail=str(exc)),
            ) from exc
        yield Path(tmp) / f"{safe_stem}.shp"
