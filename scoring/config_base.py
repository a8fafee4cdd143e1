"""What every configuration file of a zone shares: the pydantic base model, the field types
(``Source``, ``Pct``, ``NonNeg``, ``Slug``) and reading a YAML file into a validated model with
errors that name the file, line and field path (:class:`gis.errors.ConfigError`).

The zone file (:mod:`scoring.zone`) and the data files it points to (e.g. the existing
enterprises, :mod:`scoring.enterprises`) are read through :func:`read_yaml` and
:func:`validate`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gis.errors import ConfigError
from gis.messages import Message, joined, msg

Source = Annotated[str, Field(min_length=1, description="where the numbers come from, e.g. 表9-6")]
Pct = Annotated[float, Field(ge=0, le=100)]
NonNeg = Annotated[float, Field(ge=0)]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]


class ConfigModel(BaseModel):
    """Base of every configuration record: unknown keys are errors, records are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


M = TypeVar("M", bound=BaseModel)

#: The kinds of configuration file as messages name them (``what`` of :func:`validate` and
#: :func:`read_yaml`), by message id.
FILE_KIND_IDS: dict[str, str] = {
    "zone file": "config.zone_file",
    "the zone file": "config.zone_file",
    "enterprises file": "config.enterprises_file",
    "the enterprises file": "config.enterprises_file",
    "evaluation file": "config.evaluation_file",
    "the evaluation file": "config.evaluation_file",
    "zone report file": "config.zone_report_file",
    "the zone report file": "config.zone_report_file",
}


def _kind(what: str) -> Message | str:
    return msg(FILE_KIND_IDS[what]) if what in FILE_KIND_IDS else what


def format_validation_error(exc: ValidationError, path: Path, what: str = "the zone file") -> str:
    """Return one line per problem of ``exc``: ``field.path: message``, under a header naming
    ``path`` and ``what`` it is."""
    lines = [f"{path}: {exc.error_count()} problem(s) in {what}"]
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"  - {loc}: {msg}")
    return "\n".join(lines)


def validation_message(exc: ValidationError, path: Path, what: str = "the zone file") -> Message:
    """Return the problems of ``exc`` as a message: a header naming ``path`` and ``what`` it is,
    then one line per problem (the field path and the validator's own words)."""
    items = [
        msg(
            "error.config.problem",
            field=".".join(str(x) for x in err["loc"]) or "—",
            detail=err["msg"].removeprefix("Value error, "),
        )
        for err in exc.errors()
    ]
    return msg(
        "error.config.invalid",
        path=str(path),
        n=exc.error_count(),
        what=_kind(what),
        problems=joined(items, "line"),
    )


def validate(model: type[M], data: object, path: Path | str, what: str) -> M:
    """Return ``data`` validated as ``model``; ConfigError naming each bad field path if invalid."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            format_validation_error(exc, Path(path), what), msg=validation_message(exc, Path(path), what)
        ) from None


def read_yaml(path: Path | str, what: str, missing_hint: str) -> object:
    """Return the parsed YAML of the file at ``path``; ConfigError when it is missing, not
    UTF-8 or not valid YAML (naming the line and column). ``what`` names the kind of file in
    messages ("zone file"); ``missing_hint`` says what to do when it is missing."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"{what} not found",
            where=str(path),
            hint=missing_hint,
            msg=msg("error.config.not_found", what=_kind(what), hint=missing_hint),
        )
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = str(getattr(exc, "problem", exc))
        raise ConfigError(
            f"not valid YAML: {problem}", where=where, msg=msg("error.file.bad_yaml", detail=problem)
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(
            "not UTF-8 text",
            where=str(path),
            hint=f"save the {what} as UTF-8",
            msg=msg("error.config.not_utf8", what=_kind(what)),
        ) from None
