"""Institutions in spreadsheets: the directory imported and exported by the programme team."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.collation import alphabetical
from core.history import record_bulk
from core.imports import (
    Changes,
    ChoiceWidget,
    Column,
    Header,
    NameIndex,
    RefWidget,
    RowPlan,
    RowRejected,
    SpreadsheetResource,
    TextWidget,
    attname_of,
    in_reader_language,
    key,
)
from stakeholders.choices import InstitutionKind
from stakeholders.models import Institution
from stakeholders.permissions import institutions_visible_to

LANGUAGES = ("en", "mk", "sq")

KIND_SYNONYMS = {
    InstitutionKind.EU_BODY: ["EU", "ЕУ", "BE", "European Union", "Европска унија"],
    InstitutionKind.MINISTRY: ["министерство", "ministria", "ministri"],
    InstitutionKind.PUBLIC_AGENCY: ["agency", "агенција", "agjenci", "agjencia", "public body"],
    InstitutionKind.CSO: [
        "NGO",
        "НВО",
        "ГО",
        "OJQ",
        "CSO",
        "граѓанска организација",
        "organizatë e shoqërisë civile",
    ],
    InstitutionKind.INTERNATIONAL: [
        "IO",
        "международна",
        "меѓународна организација",
        "organizatë ndërkombëtare",
    ],
    InstitutionKind.ACADEMIA: ["university", "универзитет", "universitet", "universiteti"],
    InstitutionKind.MEDIA: ["медиуми", "медиум", "mediat"],
}


class AliasesWidget(TextWidget):
    """Other names, separated by ";" or new lines; stored one per line."""

    def __init__(self) -> None:
        super().__init__(max_length=2000, multiline=True)

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = super().clean(value)
        names = [" ".join(n.split()) for n in text.replace(";", "\n").split("\n")]
        return "\n".join(n for n in names if n)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return "; ".join(line.strip() for line in (value or "").splitlines() if line.strip())


def institution_index() -> NameIndex:
    """Every institution by its names and short names in every language, code and aliases."""
    rows = Institution.objects.values_list(
        "pk",
        "code",
        "aliases",
        *[f"{f}_{lang}" for f in ("name", "short_name") for lang in LANGUAGES],
    )
    entries = []
    for pk, code, aliases, *names in rows:
        label = in_reader_language(names[:3], LANGUAGES) or str(pk)
        alias_list = [a for a in (aliases or "").splitlines() if a.strip()]
        entries.append((pk, [*names, code or "", *alias_list], label))
    return NameIndex(entries, noun=_("institution"))


class InstitutionResource(SpreadsheetResource):
    """The institutions taking part, each found again by its code or any of its names."""

    kind = "institutions"
    written = ("stakeholders.institution",)

    code = Column(
        Header("Code", "Код", "Kodi"),
        TextWidget(max_length=60),
        attribute="code",
        help_text=gettext_lazy(
            "Optional. A stable identifier such as mspdy; letters, digits and dashes."
        ),
    )
    name_en = Column(
        Header("Name (English)", "Назив (англиски)", "Emri (anglisht)"),
        TextWidget(max_length=255),
        attribute="name_en",
        help_text=gettext_lazy(
            "At least one of the three names. English is shown where a name is missing."
        ),
    )
    name_mk = Column(
        Header("Name (Macedonian)", "Назив (македонски)", "Emri (maqedonisht)"),
        TextWidget(max_length=255),
        attribute="name_mk",
    )
    name_sq = Column(
        Header("Name (Albanian)", "Назив (албански)", "Emri (shqip)"),
        TextWidget(max_length=255),
        attribute="name_sq",
    )
    short_name_en = Column(
        Header("Short name (English)", "Кратенка (англиски)", "Shkurtesa (anglisht)"),
        TextWidget(max_length=40),
        attribute="short_name_en",
    )
    short_name_mk = Column(
        Header("Short name (Macedonian)", "Кратенка (македонски)", "Shkurtesa (maqedonisht)"),
        TextWidget(max_length=40),
        attribute="short_name_mk",
    )
    short_name_sq = Column(
        Header("Short name (Albanian)", "Кратенка (албански)", "Shkurtesa (shqip)"),
        TextWidget(max_length=40),
        attribute="short_name_sq",
    )
    kind_ = Column(
        Header("Kind", "Вид", "Lloji"),
        ChoiceWidget(InstitutionKind, synonyms=KIND_SYNONYMS),
        attribute="kind",
        help_text=gettext_lazy("Needed for a new institution."),
        choices=lambda resource: [str(label) for label in InstitutionKind.labels],
    )
    parent = Column(
        Header("Part of", "Дел од", "Pjesë e"),
        RefWidget("institutions"),
        attribute="parent",
        help_text=gettext_lazy("An institution already in the platform, by any of its names."),
        choices=lambda resource: resource.lookups["institutions"].choices(),
    )
    country = Column(
        Header("Country", "Држава", "Shteti"), TextWidget(max_length=80), attribute="country"
    )
    website = Column(
        Header("Website", "Веб-страница", "Faqja e internetit"),
        TextWidget(max_length=200),
        attribute="website",
    )
    aliases = Column(
        Header("Other names", "Други називи", "Emra të tjerë"),
        AliasesWidget(),
        attribute="aliases",
        help_text=gettext_lazy("Other names or spellings, separated by semicolons."),
    )

    class Meta:
        model = Institution
        fields = (
            "code",
            "name_en",
            "name_mk",
            "name_sq",
            "short_name_en",
            "short_name_mk",
            "short_name_sq",
            "kind_",
            "parent",
            "country",
            "website",
            "aliases",
        )

    def export_queryset(self) -> QuerySet[Institution]:
        visible = institutions_visible_to(self.user).select_related("parent")
        return visible.order_by(alphabetical("name"), "pk")

    def prepare(self) -> None:
        self.lookups["institutions"] = institution_index()
        self.existing = Institution.objects.in_bulk()
        self.by_code = {i.code: i for i in self.existing.values() if i.code}
        self.is_demo = bool(getattr(self.user, "is_demo", False))

    def plan_row(self, number: int, values: dict[str, Any]) -> RowPlan:
        names = [values.get(f"name_{lang}", "") for lang in LANGUAGES]
        if not any(names):
            raise RowRejected(
                ("name_en", _("Give the institution's name in at least one language."))
            )
        code = values.get("code") or ""
        if code:
            try:
                validate_slug(code)
            except ValidationError:
                raise RowRejected(
                    ("code", _("Use only letters, digits, dashes and underscores."))
                ) from None
        website = values.get("website") or ""
        if website:
            if "://" not in website:
                website = f"https://{website}"
                values["website"] = website
            try:
                URLValidator()(website)
            except ValidationError:
                raise RowRejected(("website", _("Not a valid web address."))) from None
        existing = self._find(code, names)
        label = next(n for n in names if n)
        fields_ = {name: values[name] for name in values if name != "kind_"}
        if "kind_" in values:
            fields_["kind"] = values["kind_"]
        if "parent" in fields_:
            fields_["parent_id"] = fields_.pop("parent")
        if existing is None:
            if not fields_.get("kind"):
                raise RowRejected(("kind_", _("Give the kind of a new institution.")))
            return RowPlan(number, "new", label, key=("name", key(label)), data=fields_)
        if fields_.get("parent_id") == existing.pk:
            raise RowRejected(("parent", _("An institution cannot be part of itself.")))
        if "parent_id" in fields_:
            fields_["parent"] = fields_.pop("parent_id")
        changed, shown = self.diff(existing, {k: v for k, v in fields_.items() if k != "code" or v})
        action = "update" if changed else "unchanged"
        return RowPlan(
            number,
            action,
            str(existing),
            key=("pk", existing.pk),
            changes=shown,
            data=(existing, changed),
        )

    def _find(self, code: str, names: list[str]) -> Institution | None:
        """By code first; then by any of the names, when they name one institution."""
        index = self.lookups["institutions"].by_name
        found = {pk for name in names if name for pk in index.get(key(name), set())}
        if code and code in self.by_code:
            match = self.by_code[code]
            if found and match.pk not in found:
                other = self.existing[next(iter(found))]
                raise RowRejected(
                    (
                        "code",
                        _("This code belongs to %(code_of)s, but the name is that of %(name_of)s.")
                        % {"code_of": match, "name_of": other},
                    )
                )
            return match
        if len(found) > 1:
            listed = "; ".join(sorted(str(self.existing[pk]) for pk in found))
            raise RowRejected(
                (
                    "name_en",
                    _("These names belong to more than one institution: %(names)s.")
                    % {"names": listed},
                )
            )
        if not found:
            return None
        match = self.existing[next(iter(found))]
        if code and match.code and match.code != code:
            raise RowRejected(
                (
                    "code",
                    _("%(institution)s already has the code %(code)s.")
                    % {"institution": match, "code": match.code},
                )
            )
        return match

    def write(self, rows: list[RowPlan], changes: Changes) -> None:
        new: list[Institution] = []
        changed: list[Institution] = []
        names: set[str] = set()
        for row in rows:
            if row.action == "new":
                values = dict(row.data)
                if not values.get("name_en"):
                    values["name_en"] = values.get("name_mk") or values.get("name_sq")
                values["code"] = values.get("code") or None
                new.append(Institution(is_demo=self.is_demo, **values))
            else:
                obj, fields_ = row.data
                changes.add_updated(obj, fields_)
                for name, value in fields_.items():
                    attname = attname_of(obj, name)
                    setattr(obj, attname, (value or None) if name == "code" else value)
                    names.add(name)
                changed.append(obj)
        for obj in new:
            obj.full_clean(validate_unique=False, validate_constraints=False)
        created = Institution.objects.bulk_create(new, batch_size=500)
        record_bulk(Institution, created, created=True)
        changes.add_created(Institution, [o.pk for o in created])
        if changed:
            now = timezone.now()
            for obj in changed:
                obj.updated_at = now
            Institution.objects.bulk_update(changed, sorted(names | {"updated_at"}), batch_size=500)
            record_bulk(Institution, changed, created=False)
