"""Where a project's industry stands on the zone's positive list (表9-5).

:func:`classify_industry` reads the industry and branch a project names and returns a
:class:`Classification` — listed, a listed 产业大类 without a branch, the encouraged catch-all, or
outside the list — with close-name suggestions for a name the zone does not know.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal, Protocol

from gis.errors import SchemaError
from gis.messages import Message, Name, msg
from scoring.zone import AdmissionCondition, Branch, Industry, ZoneConfig

# --------------------------------------------------------------------------- classification


class NamesIndustry(Protocol):
    """What classification reads of a project (:class:`scoring.project.Project` has it)."""

    @property
    def name(self) -> str: ...
    @property
    def industry(self) -> str | None: ...
    @property
    def branch(self) -> str | None: ...
    @property
    def encouraged_description(self) -> str | None: ...


#: Industry texts that mean the positive list's catch-all (besides the zone's catch_all name).
CATCH_ALL_WORDS: frozenset[str] = frozenset(
    {"other", "other_encouraged", "其它", "其他", "其他国家鼓励发展的产业项目", "其它国家鼓励发展的产业项目"}
)

#: A near-miss industry/branch name (difflib ratio at least this) is a typo, not a new industry.
NEAR_MISS_RATIO: float = 0.75

Kind = Literal["listed", "industry_only", "encouraged", "outside"]


@dataclass(frozen=True)
class Classification:
    """Where a project's industry stands on the positive list (表9-5).

    ``kind``: ``listed`` (industry and branch on the list), ``industry_only`` (a listed 产业大类
    without a 二级产业方向 — or one not among its branches), ``encouraged`` (the catch-all
    "其它国家鼓励发展的产业项目"), ``outside`` (not on the list). ``condition`` is the 表9-6 row that
    applies, or None."""

    kind: Kind
    industry: Industry | None
    branch: Branch | None
    condition: AdmissionCondition | None
    industry_text: str | None
    branch_text: str | None
    #: What a catch-all project is (its ``encouraged_description``), matched against the words a
    #: cluster admits (表8-1's directions, e.g. 3D打印).
    description: str | None = None

    def label(self) -> Message | Name | str:
        """Return the industry as a short label in each language, e.g. "铝镁新材料 / 铝基新材料"
        (the project's own words when it is not on the list)."""
        if self.kind == "encouraged":
            return msg("industry.encouraged")
        if self.industry is None:
            return " / ".join(x for x in (self.industry_text, self.branch_text) if x)
        ind = self.industry
        if self.branch is not None:
            return Name(f"{ind.name} / {self.branch.name}", f"{ind.name_en} / {self.branch.name_en}")
        if self.branch_text:
            return Name(f"{ind.name} / {self.branch_text}", f"{ind.name_en} / {self.branch_text}")
        return Name(ind.name, ind.name_en)


def _norm(text: str) -> str:
    """Return ``text`` normalised for name comparison: no spaces or quotes, full-width parens."""
    out = text.strip().replace("(", "（").replace(")", "）")
    for ch in " \u3000“”\"'‘’":
        out = out.replace(ch, "")
    return out


def _is_catch_all(zone: ZoneConfig, text: str | None) -> bool:
    if text is None:
        return False
    words = {_norm(w).lower() for w in CATCH_ALL_WORDS}
    if zone.positive_list.catch_all is not None:
        words.add(_norm(zone.positive_list.catch_all.name))
    return _norm(text).lower() in words


def _find_industry(zone: ZoneConfig, text: str) -> Industry | None:
    key = _norm(text)
    for ind in zone.positive_list.industries:
        if key in {_norm(ind.name), *(_norm(a) for a in ind.aliases)}:
            return ind
    return None


def _find_branch(industry: Industry, text: str) -> Branch | None:
    key = _norm(text)
    return next((b for b in industry.branches if _norm(b.name) == key), None)


def _branch_owners(zone: ZoneConfig, text: str) -> list[tuple[Industry, Branch]]:
    return [(i, b) for i in zone.positive_list.industries for b in i.branches if _norm(b.name) == _norm(text)]


def _near(text: str, names: list[str]) -> list[str]:
    """Return the names close to ``text`` (typos), best first."""
    key = _norm(text)
    scored = []
    for name in names:
        n = _norm(name)
        ratio = difflib.SequenceMatcher(None, key, n).ratio()
        if ratio >= NEAR_MISS_RATIO or (len(n) >= 2 and (n in key or key in n)):
            scored.append((ratio, name))
    seen, out = set(), []
    for _, name in sorted(scored, reverse=True):
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def classify_industry(
    zone: ZoneConfig, project: NamesIndustry, *, where: str | None = None
) -> Classification:
    """Return the project's Classification against ``zone``'s positive list.

    Raises SchemaError (with close names) when the text cannot be classified: no industry at
    all, a near-miss of a listed industry or branch, a branch given under the wrong industry, or
    a catch-all project without ``encouraged_description``. An industry that is simply not on the
    list classifies as ``outside`` (the check then fails), not as an error."""
    where = where or f"project {project.name!r}"
    pl = zone.positive_list
    ind_text, br_text = project.industry, project.branch
    catch_all_name = pl.catch_all.name if pl.catch_all else "其它国家鼓励发展的产业项目"
    catch_all: Message | Name = (
        Name(pl.catch_all.name, pl.catch_all.name_en) if pl.catch_all else msg("industry.encouraged")
    )

    # the catch-all: "其它国家鼓励发展的产业项目" with a free description
    if _is_catch_all(zone, ind_text) or (
        ind_text is None and br_text is None and project.encouraged_description
    ):
        if pl.catch_all is None:
            raise SchemaError(
                "this zone's positive list has no catch-all for other encouraged projects",
                where=f"{where}: industry",
                msg=msg("error.project.no_catch_all"),
            )
        if not project.encouraged_description:
            raise SchemaError(
                f"industry is {catch_all_name!r} but encouraged_description is missing",
                where=f"{where}: encouraged_description",
                hint="describe what the project makes, e.g. 装配式建筑构件",
                msg=msg("error.project.no_description", name=catch_all),
            )
        if br_text:
            raise SchemaError(
                f"{catch_all_name} has no 二级产业方向; remove branch {br_text!r} "
                "or describe it in encouraged_description",
                where=f"{where}: branch",
                msg=msg("error.project.catch_all_branch", name=catch_all, branch=br_text),
            )
        return Classification(
            "encouraged", None, None, None, ind_text, None, _norm(project.encouraged_description)
        )

    if project.encouraged_description:
        raise SchemaError(
            "encouraged_description is only for projects whose industry is "
            f"{catch_all_name!r} (or 'other'); this project names industry {ind_text!r}",
            where=f"{where}: encouraged_description",
            msg=msg("error.project.description_not_catch_all", name=catch_all, industry=ind_text or ""),
        )

    industry: Industry | None = None
    if ind_text is None:
        if br_text is None:
            raise SchemaError(
                "industry is missing",
                where=f"{where}: industry",
                hint=f"give the 产业大类 from the positive list, or {catch_all_name!r} "
                "with encouraged_description",
                msg=msg("error.project.no_industry", name=catch_all),
            )
        owners = _branch_owners(zone, br_text)
        if not owners:
            close = _near(br_text, [b.name for i in pl.industries for b in i.branches])
            raise SchemaError(
                f"industry is missing and branch {br_text!r} is not on the positive list",
                where=f"{where}: industry",
                hint=(f"did you mean branch {' or '.join(close)}? " if close else "")
                + "give the 产业大类 in industry",
                msg=msg(
                    "error.project.branch_without_industry",
                    branch=br_text,
                    close=msg("error.project.did_you_mean", names=close) if close else "",
                ),
            )
        industry = owners[0][0]
    else:
        industry = _find_industry(zone, ind_text)
        if industry is None:
            owners = _branch_owners(zone, ind_text)
            if owners:
                i, b = owners[0]
                raise SchemaError(
                    f"{ind_text!r} is a 二级产业方向 (branch) of {i.name}, not a 产业大类",
                    where=f"{where}: industry",
                    hint=f"write industry: {i.name} and branch: {b.name}",
                    msg=msg(
                        "error.project.industry_is_branch", text=ind_text, industry=i.name, branch=b.name
                    ),
                )
            names = [n for i in pl.industries for n in (i.name, *i.aliases)]
            close = _near(ind_text, names)
            branch_close = _near(ind_text, [b.name for i in pl.industries for b in i.branches])
            if close or branch_close:
                hint = []
                if close:
                    hint.append(f"did you mean industry {' or '.join(close)}?")
                if branch_close:
                    hint.append(f"close branches: {', '.join(branch_close)}")
                raise SchemaError(
                    f"industry {ind_text!r} is not a name on the positive list but is close to one",
                    where=f"{where}: industry",
                    hint=" ".join(hint) + " — write the exact name (an industry not on the list is "
                    "written by its own name and is checked as outside the list)",
                    msg=msg(
                        "error.project.industry_close",
                        text=ind_text,
                        close=msg("error.project.did_you_mean", names=close) if close else "",
                        branches=msg("error.project.close_branches", names=branch_close)
                        if branch_close
                        else "",
                    ),
                )
            return Classification("outside", None, None, None, ind_text, br_text)

    if br_text is None:
        return Classification("industry_only", industry, None, zone.admission_for(industry), ind_text, None)
    branch = _find_branch(industry, br_text)
    if branch is None:
        owners = _branch_owners(zone, br_text)
        if owners:
            raise SchemaError(
                f"branch {br_text!r} belongs to {owners[0][0].name}, not to {industry.name}",
                where=f"{where}: branch",
                hint=f"write industry: {owners[0][0].name}, or pick a branch of {industry.name}: "
                + ", ".join(b.name for b in industry.branches),
                msg=msg(
                    "error.project.branch_elsewhere",
                    branch=br_text,
                    owner=owners[0][0].name,
                    industry=industry.name,
                    branches=[b.name for b in industry.branches],
                ),
            )
        close = _near(br_text, [b.name for b in industry.branches])
        if close:
            raise SchemaError(
                f"branch {br_text!r} is not a 二级产业方向 of {industry.name} but is close to one",
                where=f"{where}: branch",
                hint=f"did you mean {' or '.join(close)}?",
                msg=msg(
                    "error.project.branch_close",
                    branch=br_text,
                    industry=industry.name,
                    close=msg("error.project.did_you_mean", names=close),
                ),
            )
        # a listed industry, an unlisted direction: checkable, the positive-list rule fails
        return Classification(
            "industry_only", industry, None, zone.admission_for(industry), ind_text, br_text
        )
    return Classification("listed", industry, branch, zone.admission_for(industry, branch), ind_text, br_text)
