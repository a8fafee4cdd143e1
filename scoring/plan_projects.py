"""The plan's own 47 projects (appendix 产业发展项目汇总表) as data.

:func:`load_plan_projects` reads ``data/projects/plan_projects.yaml`` (figures in 亿元, as printed
in the plan) into :class:`PlanProject` records; :meth:`PlanProject.to_project` converts them to a
:class:`scoring.project.Project` in 万元 (``gis.units.yi_to_wan``). The report that runs them
through the recommendation is :mod:`scoring.plan_report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gis.errors import InputFileError, SchemaError
from gis.messages import msg
from gis.units import yi_to_wan
from scoring.project import Project

#: The bundled plan projects file.
PLAN_PROJECTS_FILE = Path(__file__).resolve().parent.parent / "data" / "projects" / "plan_projects.yaml"

Phase = Literal["计划实施", "谋划储备", "前期储备"]


class PlanProject(BaseModel):
    """One project of the plan's appendix, with the plan's figures in 亿元."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    number: int = Field(ge=1)
    name: str = Field(min_length=1)
    summary: str = Field(min_length=1, description="项目概况")
    group: str = Field(min_length=1, description="the appendix's industry heading")
    investment_yi: float = Field(gt=0, description="投资, 亿元")
    output_yi: float = Field(gt=0, description="年产值, 亿元/年")
    phase: Phase = Field(description="建设时序")
    industry: str
    branch: str | None = None
    encouraged_description: str | None = None
    land_mu: float | None = Field(None, gt=0, description="占地, 亩, where the plan gives it")
    park: str | None = Field(None, description="the park the plan names for it (park id or name)")
    note: str | None = None

    @property
    def investment_wan(self) -> float:
        """Return the investment in 万元."""
        return round(yi_to_wan(self.investment_yi), 4)

    @property
    def output_wan(self) -> float:
        """Return the annual output in 万元/年."""
        return round(yi_to_wan(self.output_yi), 4)

    def to_project(self) -> Project:
        """Return the project as a :class:`Project` (万元); undeclared figures stay None."""
        return Project(
            name=f"{self.number}. {self.name}",
            industry=self.industry,
            branch=self.branch,
            encouraged_description=self.encouraged_description,
            investment_wan=self.investment_wan,
            output_wan=self.output_wan,
            land_mu=self.land_mu,
            park=self.park,
            note=self.note,
        )


def load_plan_projects(path: Path | str = PLAN_PROJECTS_FILE) -> list[PlanProject]:
    """Read the plan projects file; return the projects ordered by number.

    Raises InputFileError (missing/unreadable) or SchemaError (bad record, naming its number and
    field; repeated numbers)."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(
            "plan projects file not found", where=str(path), msg=msg("error.plan_projects.not_found")
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputFileError(
            f"not valid YAML: {exc}", where=str(path), msg=msg("error.file.bad_yaml", detail=str(exc))
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("projects"), list):
        raise SchemaError(
            "the file must be a mapping with a 'projects' list",
            where=str(path),
            msg=msg("error.plan_projects.not_mapping"),
        )
    out: list[PlanProject] = []
    for i, rec in enumerate(data["projects"]):
        label = f"{path}: projects[{i}]" + (f" (number {rec.get('number')})" if isinstance(rec, dict) else "")
        try:
            out.append(PlanProject.model_validate(rec))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise SchemaError(
                problems, where=label, msg=msg("error.plan_projects.record", problems=problems)
            ) from None
    numbers = [p.number for p in out]
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    if repeated:
        raise SchemaError(
            f"project numbers repeated: {repeated}",
            where=str(path),
            msg=msg("error.plan_projects.repeated", numbers=repeated),
        )
    return sorted(out, key=lambda p: p.number)
