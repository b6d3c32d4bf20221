"""Load the real programme from the seed file (loaders/seed/programme.yaml).

The loader creates what is missing and leaves what exists alone, so running it again changes
nothing and never undoes an administrator's edit. With ``overwrite`` it puts the seed's values
back on existing records (recommendation texts word for word, names, links).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, TypeVar

import yaml
from django.conf import settings
from django.db import models, transaction

from dashboard.glance import glance_invalidate
from loaders.grants import object_permissions_rebuild
from programme.models import (
    Action,
    Decision,
    Intervention,
    Meeting,
    MeetingAttendance,
    Programme,
)
from recommendations.models import Instrument, Recommendation, RecommendationSet, Theme
from recommendations.services import assignment_set
from research.choices import StudyStatus
from research.models import Study
from stakeholders.models import Institution, ProfessionalGroup
from stakeholders.roles import programme_team_group
from trainings.choices import TrainingStatus
from trainings.models import Topic, Training

SEED_FILE = Path(__file__).resolve().parent / "seed" / "programme.yaml"
SOURCES_DIR = Path(settings.BASE_DIR) / "docs" / "sources"

M = TypeVar("M", bound=models.Model)


def _label(model: type[models.Model]) -> str:
    return str(model._meta.verbose_name_plural)


def _translated(field: str, value: Any) -> dict[str, Any]:
    """{'en': 'x', 'mk': 'y'} → {'field_en': 'x', 'field_mk': 'y'}; a plain value is English."""
    if isinstance(value, dict):
        return {f"{field}_{lang}": text for lang, text in value.items()}
    return {f"{field}_en": value}


class _Loader:
    def __init__(self, *, overwrite: bool) -> None:
        self.overwrite = overwrite
        self.created: Counter[str] = Counter()
        self.updated: Counter[str] = Counter()

    def upsert(self, model: type[M], lookup: dict[str, Any], values: dict[str, Any]) -> M:
        obj = model._default_manager.filter(**lookup).first()
        if obj is None:
            obj = model(**{**values, **lookup})
            obj.full_clean()
            obj.save()
            self.created[_label(model)] += 1
            return obj
        if self.overwrite:
            changed = [f for f, v in values.items() if getattr(obj, f) != v]
            if changed:
                for field in changed:
                    setattr(obj, field, values[field])
                obj.full_clean()
                obj.save()
                self.updated[_label(model)] += 1
        return obj

    def link(self, manager: Any, objects: list[models.Model], *, is_new: bool) -> None:
        """Set a many-to-many list on new records (or when overwriting); else leave it."""
        if is_new or self.overwrite:
            manager.set(objects)


def _aliases(item: dict[str, Any]) -> list[str]:
    """An institution's aliases, each whole: a single alias may be written as a plain string
    (iterating it would give letters), a list holds one alias an item, commas and all."""
    aliases = item.get("aliases") or []
    if isinstance(aliases, str):
        aliases = [aliases]
    return [str(alias).strip() for alias in aliases if str(alias).strip()]


def _was_created(loader: _Loader, model: type[models.Model], before: int) -> bool:
    return loader.created[_label(model)] > before


@transaction.atomic
def seed_load(*, path: Path = SEED_FILE, overwrite: bool = False) -> dict[str, Counter[str]]:
    """Create the programme, its action and everything the seed documents name."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    loader = _Loader(overwrite=overwrite)

    institutions: dict[str, Institution] = {}
    for item in data["institutions"]:
        values = {
            **_translated("name", item["name"]),
            **_translated("short_name", item.get("short_name", "")),
            "kind": item["kind"],
            "aliases": "\n".join(_aliases(item)),
            "parent": institutions[item["parent"]] if item.get("parent") else None,
        }
        institutions[item["key"]] = loader.upsert(Institution, {"code": item["key"]}, values)

    groups = {
        g["slug"]: loader.upsert(
            ProfessionalGroup, {"slug": g["slug"]}, _translated("name", g["name"])
        )
        for g in data["professional_groups"]
    }

    p = data["programme"]
    before = loader.created[_label(Programme)]
    programme = loader.upsert(
        Programme,
        {"name_en": p["name"]["en"]},
        {
            **_translated("name", p["name"]),
            **_translated("description", p["description"]),
            "short_name": p["short_name"],
        },
    )
    loader.link(
        programme.partners,
        [institutions[k] for k in p["partners"]],
        is_new=_was_created(loader, Programme, before),
    )

    a = data["action"]
    action = loader.upsert(
        Action,
        {"title_en": a["title"]["en"]},
        {
            **_translated("title", a["title"]),
            **_translated("summary", a["summary"]),
            "programme": programme,
            "country": a["country"],
            "implemented_by": institutions[a["implemented_by"]],
        },
    )

    topics = {
        t["slug"]: loader.upsert(Topic, {"slug": t["slug"]}, _translated("name", t["name"]))
        for t in data["topics"]
    }

    themes = {
        t["slug"]: loader.upsert(Theme, {"slug": t["slug"]}, _translated("name", t["name"]))
        for t in data["themes"]
    }
    instruments = {
        i["slug"]: loader.upsert(
            Instrument,
            {"slug": i["slug"]},
            {
                **_translated("name", i["name"]),
                **_translated("short_name", i["short_name"]),
                "kind": i["kind"],
                "year": i["year"],
            },
        )
        for i in data["instruments"]
    }
    s = data["recommendation_set"]
    rec_set = loader.upsert(
        RecommendationSet,
        {
            "issued_by_en": s["issued_by"]["en"],
            "working_group_en": s["working_group"]["en"],
            "session_en": s["session"]["en"],
        },
        _translated("title", s["title"]),
    )
    recommendations: dict[int, Recommendation] = {}
    for r in data["recommendations"]:
        before = loader.created[_label(Recommendation)]
        rec = loader.upsert(
            Recommendation,
            {"recommendation_set": rec_set, "number": r["number"]},
            {"text_en": r["text"]},
        )
        is_new = _was_created(loader, Recommendation, before)
        loader.link(rec.themes, [themes[k] for k in r["themes"]], is_new=is_new)
        loader.link(rec.instruments, [instruments[k] for k in r["instruments"]], is_new=is_new)
        if is_new or overwrite:
            for key in r["responsible"]:
                assignment_set(recommendation=rec, institution=institutions[key])
        recommendations[r["number"]] = rec

    meetings: dict[int, Meeting] = {}
    for m in data["meetings"]:
        minutes = (SOURCES_DIR / m["minutes_source"]).read_text(encoding="utf-8").strip()
        meeting = loader.upsert(
            Meeting,
            {"action": action, "number": m["number"]},
            {
                "place": m["place"],
                "date": m["date"],
                # A meeting that took place, on a day its documents do not give.
                "date_not_known": m["date"] is None,
                "purpose": m["purpose"],
                "agenda": m["agenda"],
                "minutes": minutes,
            },
        )
        for att in m["attendance"]:
            loader.upsert(
                MeetingAttendance,
                {"meeting": meeting, "institution": institutions[att["institution"]]},
                {"representatives": att.get("representatives", "")},
            )
        for d in m["decisions"]:
            before = loader.created[_label(Decision)]
            decision = loader.upsert(
                Decision, {"meeting": meeting, "number": d["number"]}, {"text_en": d["text"]}
            )
            loader.link(
                decision.recommendations,
                [recommendations[n] for n in d["recommendations"]],
                is_new=_was_created(loader, Decision, before),
            )
        meetings[m["number"]] = meeting

    interventions: dict[int, Intervention] = {}
    for i in data["interventions"]:
        before = loader.created[_label(Intervention)]
        intervention = loader.upsert(
            Intervention,
            {"action": action, "year": i["year"], "title_en": i["title"]["en"]},
            {
                **_translated("title", i["title"]),
                "agreed_at": meetings[i["meeting"]],
                "order": i["order"],
                "kind": i["kind"],
            },
        )
        loader.link(
            intervention.target_groups,
            [groups[k] for k in i["target_groups"]],
            is_new=_was_created(loader, Intervention, before),
        )
        interventions[i["order"]] = intervention

    for t in data["trainings"]:
        before = loader.created[_label(Training)]
        training = loader.upsert(
            Training,
            {"action": action, "title_en": t["title"]["en"]},
            {
                **_translated("title", t["title"]),
                "organiser": action.implemented_by,
                "status": TrainingStatus.PLANNED,
                "methodology": "Interactive methods",
                "intervention": interventions[t["intervention"]],
            },
        )
        is_new = _was_created(loader, Training, before)
        loader.link(training.topics, [topics[k] for k in t["topics"]], is_new=is_new)
        loader.link(training.target_groups, [groups[k] for k in t["target_groups"]], is_new=is_new)
        loader.link(
            training.recommendations,
            [recommendations[n] for n in t["recommendations"]],
            is_new=is_new,
        )

    for st in data["studies"]:
        before = loader.created[_label(Study)]
        study = loader.upsert(
            Study,
            {"slug": st["slug"]},
            {
                **_translated("title", st["title"]),
                "action": action,
                # The seed calls them a good basis for the action's work: they are finished.
                "status": StudyStatus.VALIDATED,
                "commissioned_by": action.implemented_by,
            },
        )
        loader.link(
            study.recommendations,
            [recommendations[n] for n in st["recommendations"]],
            is_new=_was_created(loader, Study, before),
        )

    if loader.created or loader.updated:
        object_permissions_rebuild()
        glance_invalidate()
    # The programme team's group, with the permissions of every model the migrations made.
    programme_team_group()
    return {"created": loader.created, "updated": loader.updated}
