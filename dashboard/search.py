"""Search across every record a user may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.links import url_for_each
from core.portal import search_text
from programme.permissions import meetings_visible_to
from recommendations.models import Recommendation
from recommendations.permissions import updates_visible_to
from research.models import Study
from stakeholders.models import Institution, User
from trainings.permissions import trainings_visible_to
from trainings.registry_selectors import people_search

MIN_QUERY = 2
PER_KIND = 20


@dataclass(frozen=True)
class Hit:
    kind: str
    title: str
    url: str
    detail: str = ""
    # The title's language where it is not the page's (a missing translation shown in English).
    lang: str = ""


def _any_language(field: str, q: str) -> Q:
    return (
        Q(**{f"{field}_en__icontains": q})
        | Q(**{f"{field}_mk__icontains": q})
        | Q(**{f"{field}_sq__icontains": q})
    )


def search(*, user: User, q: str) -> list[Hit]:
    """Records matching ``q`` that the user may see, at most PER_KIND of each kind.

    Every kind is scoped by its app's permission gate first, so a search never shows a
    record its list page would hide.
    """

    q = search_text(q)
    if len(q) < MIN_QUERY:
        return []
    hits: list[Hit] = []
    # Each kind's link reversed once for all its hits (core.links.url_for_each).
    rec_url = url_for_each("recommendations:detail")
    update_url = url_for_each("recommendations:update_detail")
    training_url = url_for_each("trainings:detail")
    person_url = url_for_each("trainings:person")
    meeting_url = url_for_each("programme:meeting_detail")
    institution_url = url_for_each("stakeholders:institution_detail")
    for rec in Recommendation.objects.filter(_any_language("text", q))[:PER_KIND]:
        hits.append(
            Hit(
                _("Recommendation"),
                f"{rec.number}. {rec.text[:120]}",
                rec_url(rec.pk),
                lang="en" if rec.text_status(get_language() or "en") == "missing" else "",
            )
        )
    for update in (
        updates_visible_to(user)
        .filter(narrative__icontains=q)
        .select_related("institution", "period")[:PER_KIND]
    ):
        hits.append(
            Hit(
                _("Progress update"),
                f"{update.institution.label}, {update.period}: {update.narrative[:100]}",
                update_url(update.pk),
                update.get_state_display(),
            )
        )
    for training in trainings_visible_to(user).filter(
        _any_language("title", q) | Q(city__icontains=q) | Q(venue__icontains=q)
    )[:PER_KIND]:
        hits.append(Hit(_("Training"), training.title, training_url(training.pk)))
    # People, with the register's own rule and its Cyrillic/Latin name matching.
    for person in people_search(by=user, q=q)[:PER_KIND]:
        hits.append(
            Hit(
                _("Participant"),
                person.full_name,
                person_url(person.pk),
                person.institution.label if person.institution else "",
            )
        )
    for study in Study.objects.filter(
        _any_language("title", q) | _any_language("summary", q) | Q(authors__icontains=q)
    )[:PER_KIND]:
        hits.append(Hit(_("Study"), study.title, reverse("research:detail", args=[study.slug])))
    for meeting in (
        meetings_visible_to(user)
        .filter(
            Q(place__icontains=q)
            | Q(minutes__icontains=q)
            | Q(purpose__icontains=q)
            | Q(decisions__text_en__icontains=q)
            | Q(action_points__description__icontains=q)
        )
        .distinct()[:PER_KIND]
    ):
        hits.append(Hit(_("Meeting"), str(meeting), meeting_url(meeting.pk)))
    for institution in Institution.objects.filter(
        _any_language("name", q) | _any_language("short_name", q) | Q(aliases__icontains=q)
    )[:PER_KIND]:
        hits.append(
            Hit(
                _("Institution"),
                str(institution),
                institution_url(institution.pk),
            )
        )
    return hits
