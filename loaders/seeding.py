"""Load the real programme from the seed file (loaders/seed/programme.yaml).

The loader creates what is missing and leaves what exists alone, so running it again changes
nothing and never undoes an administrator's edit. With ``overwrite`` it puts the seed's values
back on existing records (recommendation texts word for word, names, links).

Macedonian and Albanian texts the seed gives fill a record's empty translations too, and where
a stored translation is the seed's own, the seed's ``provenance`` says where it comes from
(``core.translations``; docs/translations.md).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, TypeVar

import yaml
from django.conf import settings
from django.db import models, transaction

from core.choices import TextOrigin
from core.translations import text_provenance_set
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


def _other_languages() -> list[str]:
    default = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
    return [code for code, _name in settings.LANGUAGES if code != default]


def _translation_field(name: str) -> tuple[str, str] | None:
    """('title', 'mk') for 'title_mk'; None for an English or untranslated field."""
    field, _sep, language = name.rpartition("_")
    return (field, language) if field and language in _other_languages() else None


def _origin(spec: dict[str, Any] | None, field: str, language: str) -> TextOrigin:
    """The seed's word on where ``field`` in ``language`` comes from: per field
    (``{title: {mk: official}}``), else per record (``{mk: working}``); a translation the
    seed does not vouch for is a working one, never official by default."""
    spec = spec or {}
    per_field = spec.get(field)
    if isinstance(per_field, dict) and language in per_field:
        return TextOrigin(per_field[language])
    if isinstance(spec.get(language), str):
        return TextOrigin(spec[language])
    return TextOrigin.WORKING


class _Loader:
    def __init__(self, *, overwrite: bool) -> None:
        self.overwrite = overwrite
        self.created: Counter[str] = Counter()
        self.updated: Counter[str] = Counter()
        self.written: set[str] = set()  # the fields the last upsert wrote

    def upsert(self, model: type[M], lookup: dict[str, Any], values: dict[str, Any]) -> M:
        obj = model._default_manager.filter(**lookup).first()
        if obj is None:
            obj = model(**{**values, **lookup})
            obj.full_clean()
            obj.save()
            self.created[_label(model)] += 1
            self.written = set(values)
            return obj
        if self.overwrite:
            changed = [f for f, v in values.items() if getattr(obj, f) != v]
        else:
            # A translation still missing is no one's edit: the seed's fills it.
            changed = [
                f for f, v in values.items() if _translation_field(f) and v and not getattr(obj, f)
            ]
        self.written = set(changed)
        if changed:
            for field in changed:
                setattr(obj, field, values[field])
            obj.full_clean()
            obj.save()
            self.updated[_label(model)] += 1
        return obj

    def provenance(
        self, obj: models.Model, values: dict[str, Any], spec: dict[str, Any] | None
    ) -> None:
        """Say where each Macedonian and Albanian text of ``values`` the last upsert wrote comes
        from (when overwriting: every one still the seed's text). Call it after ``upsert``; an
        administrator's own text, or the origin they gave the seed's, is left alone."""
        for name, text in values.items():
            parts = _translation_field(name)
            if parts is None or not text or getattr(obj, name) != text:
                continue
            if not self.overwrite and name not in self.written:
                continue
            field, language = parts
            if text_provenance_set(
                obj=obj, field=field, language=language, origin=_origin(spec, field, language)
            ):
                self.updated["text provenances"] += 1

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


def _upsert_translated(
    loader: _Loader,
    model: type[M],
    lookup: dict[str, Any],
    item: dict[str, Any],
    *fields: str,
    extra: dict[str, Any] | None = None,
) -> M:
    """Upsert a record whose ``fields`` the seed gives per language, with their provenance."""
    values = {k: v for f in fields for k, v in _translated(f, item[f]).items()}
    values.update(extra or {})
    obj = loader.upsert(model, lookup, values)
    loader.provenance(obj, values, item.get("provenance"))
    return obj


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
        loader.provenance(institutions[item["key"]], values, item.get("provenance"))

    groups = {
        g["slug"]: _upsert_translated(loader, ProfessionalGroup, {"slug": g["slug"]}, g, "name")
        for g in data["professional_groups"]
    }

    p = data["programme"]
    before = loader.created[_label(Programme)]
    programme = _upsert_translated(
        loader,
        Programme,
        {"name_en": p["name"]["en"]},
        p,
        "name",
        "description",
        extra={"short_name": p["short_name"]},
    )
    loader.link(
        programme.partners,
        [institutions[k] for k in p["partners"]],
        is_new=_was_created(loader, Programme, before),
    )

    a = data["action"]
    action = _upsert_translated(
        loader,
        Action,
        {"title_en": a["title"]["en"]},
        a,
        "title",
        "summary",
        extra={
            "programme": programme,
            "country": a["country"],
            "implemented_by": institutions[a["implemented_by"]],
        },
    )

    topics = {
        t["slug"]: _upsert_translated(loader, Topic, {"slug": t["slug"]}, t, "name")
        for t in data["topics"]
    }

    themes = {
        t["slug"]: _upsert_translated(loader, Theme, {"slug": t["slug"]}, t, "name")
        for t in data["themes"]
    }
    instruments = {
        i["slug"]: _upsert_translated(
            loader,
            Instrument,
            {"slug": i["slug"]},
            i,
            "name",
            "short_name",
            extra={"kind": i["kind"], "year": i["year"]},
        )
        for i in data["instruments"]
    }
    s = data["recommendation_set"]
    # The English issuer, working group and session find the set; their translations are values.
    rec_set = _upsert_translated(
        loader,
        RecommendationSet,
        {
            "issued_by_en": s["issued_by"]["en"],
            "working_group_en": s["working_group"]["en"],
            "session_en": s["session"]["en"],
        },
        s,
        "title",
        "issued_by",
        "working_group",
        "session",
    )
    recommendations: dict[int, Recommendation] = {}
    for r in data["recommendations"]:
        before = loader.created[_label(Recommendation)]
        rec = _upsert_translated(
            loader,
            Recommendation,
            {"recommendation_set": rec_set, "number": r["number"]},
            r,
            "text",
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
        # The English minutes are the source document; the seed holds their translations.
        minutes = (SOURCES_DIR / m["minutes_source"]).read_text(encoding="utf-8").strip()
        values = {
            "place": m["place"],
            "date": m["date"],
            # A meeting that took place, on a day its documents do not give.
            "date_not_known": m["date"] is None,
            **_translated("purpose", m["purpose"]),
            **_translated("agenda", m["agenda"]),
            **_translated("minutes", {**m.get("minutes", {}), "en": minutes}),
        }
        meeting = loader.upsert(Meeting, {"action": action, "number": m["number"]}, values)
        loader.provenance(meeting, values, m.get("provenance"))
        for att in m["attendance"]:
            _upsert_translated(
                loader,
                MeetingAttendance,
                {"meeting": meeting, "institution": institutions[att["institution"]]},
                {"representatives": "", **att},
                "representatives",
            )
        for d in m["decisions"]:
            before = loader.created[_label(Decision)]
            # The seed's meetings took place and their minutes were circulated: their
            # decisions are public (the public site, the IATI export).
            decision = _upsert_translated(
                loader,
                Decision,
                {"meeting": meeting, "number": d["number"]},
                d,
                "text",
                extra={"is_public": True},
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
        intervention = _upsert_translated(
            loader,
            Intervention,
            {"action": action, "year": i["year"], "title_en": i["title"]["en"]},
            i,
            "title",
            extra={"agreed_at": meetings[i["meeting"]], "order": i["order"], "kind": i["kind"]},
        )
        loader.link(
            intervention.target_groups,
            [groups[k] for k in i["target_groups"]],
            is_new=_was_created(loader, Intervention, before),
        )
        interventions[i["order"]] = intervention

    for t in data["trainings"]:
        before = loader.created[_label(Training)]
        training = _upsert_translated(
            loader,
            Training,
            {"action": action, "title_en": t["title"]["en"]},
            t,
            "title",
            "methodology",
            extra={
                "organiser": action.implemented_by,
                "status": TrainingStatus.PLANNED,
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
        study = _upsert_translated(
            loader,
            Study,
            {"slug": st["slug"]},
            st,
            "title",
            extra={
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
