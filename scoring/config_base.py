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

Source = Annotated[str, Field(min_length=1, description="where the numbers come from, e.g. 表9-6")]
Pct = Annotated[float, Field(ge=0, le=100)]
NonNeg = Annotated[float, Field(ge=0)]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]


class ConfigModel(BaseModel):
    """Base of every configuration record: unknown keys are errors, records are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


M = TypeVar("M", bound=BaseModel)


def format_validation_error(exc: ValidationError, path: Path, what: str = "the zone file") -> str:
    """Return one line per problem of ``exc``: ``field.path: message``, under a header naming
    ``path`` and ``what`` it is."""
    lines = [f"{path}: {exc.error_count()} problem(s) in {what}"]
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"  - {loc}: {msg}")
    return "\n".join(lines)


def validate(model: type[M], data: object, path: Path | str, what: str) -> M:
    """Return ``data`` validated as ``model``; ConfigError naming each bad field path if invalid."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, Path(path), what)) from None


def read_yaml(path: Path | str, what: str, missing_hint: str) -> object:
    """Return the parsed YAML of the file at ``path``; ConfigError when it is missing, not
    UTF-8 or not valid YAML (naming the line and column). ``what`` names the kind of file in
    messages ("zone file"); ``missing_hint`` says what to do when it is missing."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{what} not found", where=str(path), hint=missing_hint)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(f"not valid YAML: {getattr(exc, 'problem', exc)}", where=where) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", where=str(path), hint=f"save the {what} as UTF-8") from None
