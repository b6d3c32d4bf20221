"""Reads for the calendars: whose address a token is, and the events each feed holds.

Every event is built in the language active when it is read (the feed's view activates the
reader's), and each feed is read in a fixed number of queries whatever the number of events.
What a person's feed holds follows the rules of the apps that own the records: the trainings
app's gate for trainings, ``updates_owed`` and ``indicator_values_owed`` for what is owed,
the open action points the reminders remind of.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from calendars.choices import UID_DOMAIN
from calendars.models import CalendarAddress, token_hash
from core.places import place_name
from programme.choices import MeetingStatus
from programme.models import ActionPoint, Meeting, MeetingAttendance
from programme.permissions import meetings_visible_to
from programme.selectors import OwedValue, action_points_open_owned, indicator_values_owed
from recommendations.choices import OwedState
from recommendations.selectors import OwedUpdate, updates_owed
from stakeholders.models import User
from stakeholders.selectors import persona_for
from trainings.models import Training
from trainings.permissions import trainings_visible_to

# --- Addresses --------------------------------------------------------------------------------


def calendar_address_active(*, user: User) -> CalendarAddress | None:
    """The user's calendar address in use, if they have one."""
    return CalendarAddress.objects.filter(user=user, revoked_at__isnull=True).first()


def calendar_address_for_token(*, token: str) -> CalendarAddress | None:
    """The address a token opens: in use, of an active account; None for anything else (a
    stopped or replaced address, an unknown token, a deactivated account)."""
    if not token or len(token) > 200:
        return None
    return (
        CalendarAddress.objects.filter(
            token_hash=token_hash(token), revoked_at__isnull=True, user__is_active=True
        )
        .select_related("user")
        .first()
    )


def feed_url(token: str) -> str:
    """The full address a calendar subscribes to."""
    return absolute(reverse("calendars:feed", kwargs={"token": token}))


def absolute(path: str) -> str:
    """A path on the platform as a full link, as the emails write them (``PLATFORM_URL``)."""
    return f"{settings.PLATFORM_URL}{path}"


# --- Events -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarEntry:
    """One event of a feed, in the reader's language; all-day, as the records have no time."""

    uid: str
    summary: str
    start: date
    end: date  # the day after the last day (an all-day event's end is exclusive)
    changed: datetime  # the record's last change: the event's DTSTAMP and LAST-MODIFIED
    description: str = ""
    location: str = ""
    url: str = ""
    cancelled: bool = False
    busy: bool = True  # a due date takes no time in the reader's calendar


def _uid(kind: str, *parts: object) -> str:
    return "-".join([kind, *(str(p) for p in parts)]) + f"@{UID_DOMAIN}"


def _place(name: str) -> str:
    return place_name(name, get_language()) if name else ""


def _lines(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


def _meeting_title(meeting: Meeting) -> str:
    return _("Steering-committee meeting %(n)s") % {"n": meeting.number}


def meeting_entry(meeting: Meeting, *, public: bool = False) -> CalendarEntry | None:
    """A steering-committee meeting as an event; None while it has no date. The public one
    says only its number, date and place."""
    if meeting.date is None:
        return None
    location = _place(meeting.place)
    if public:
        description = ""
        url = ""
    else:
        description = _lines(
            _("Format: %(format)s") % {"format": meeting.get_format_display()},
            Truncator(meeting.purpose).chars(600),
        )
        url = absolute(reverse("programme:meeting_detail", args=[meeting.pk]))
    return CalendarEntry(
        uid=_uid("meeting", meeting.pk),
        summary=_meeting_title(meeting),
        start=meeting.date,
        end=meeting.date + timedelta(days=1),
        changed=meeting.updated_at,
        description=description,
        location=location,
        url=url,
    )


def training_entry(training: Training, *, public: bool = False) -> CalendarEntry | None:
    """A training as an event, cancelled ones marked so under the same UID; None while it has
    no dates. The public one says only its title, dates and city; the personal one also its
    organiser, venue and why it was cancelled. Neither counts its participants."""
    if training.start_date is None:
        return None
    last = max(training.end_date or training.start_date, training.start_date)
    title = training.title
    if training.is_cancelled:
        title = _("Cancelled: %(title)s") % {"title": title}
    if public:
        location = _place(training.city)
        description = ""
        url = ""
    else:
        location = ", ".join(p for p in (training.venue, _place(training.city)) if p)
        description = _lines(
            _("Organiser: %(organiser)s") % {"organiser": training.organiser.name},
            _("Status: %(status)s") % {"status": training.get_status_display()},
            (
                _("Why it was cancelled: %(reason)s") % {"reason": training.cancellation_reason}
                if training.is_cancelled and training.cancellation_reason
                else ""
            ),
        )
        url = absolute(reverse("trainings:detail", args=[training.pk]))
    return CalendarEntry(
        uid=_uid("training", training.pk),
        summary=title,
        start=training.start_date,
        end=last + timedelta(days=1),
        changed=training.updated_at,
        description=description,
        location=location,
        url=url,
        cancelled=training.is_cancelled,
    )


def _action_point_entry(point: ActionPoint) -> CalendarEntry:
    assert point.due_date is not None  # noqa: S101 - filtered by the query
    return CalendarEntry(
        uid=_uid("action-point", point.pk),
        summary=_("Action point due: %(text)s") % {"text": Truncator(point.description).chars(80)},
        start=point.due_date,
        end=point.due_date + timedelta(days=1),
        changed=point.updated_at,
        description=_lines(
            point.description,
            _("Owner: %(institution)s") % {"institution": point.owner.name},
            _meeting_title(point.meeting),
        ),
        url=absolute(reverse("programme:meeting_detail", args=[point.meeting_id])),
        busy=False,
    )


def _updates_entries(owed_list: list[OwedUpdate]) -> list[CalendarEntry]:
    """One event per institution and period, as the reminders remind of them."""
    grouped: dict[tuple[int, int], list[OwedUpdate]] = defaultdict(list)
    for owed in owed_list:
        grouped[(owed.period.pk, owed.institution.pk)].append(owed)
    entries = []
    for (period_id, institution_id), group in grouped.items():
        period, institution = group[0].period, group[0].institution
        numbers = ", ".join(str(n) for n in sorted({o.recommendation.number for o in group}))
        returned = sorted({o.recommendation.number for o in group if o.state == OwedState.RETURNED})
        changes = [period.updated_at] + [o.update.updated_at for o in group if o.update]
        entries.append(
            CalendarEntry(
                uid=_uid("updates-due", period_id, institution_id),
                summary=_("Progress updates due: %(institution)s")
                % {"institution": institution.label},
                start=period.due_date,
                end=period.due_date + timedelta(days=1),
                changed=max(changes),
                description=_lines(
                    _("Reporting period: %(period)s") % {"period": period.name},
                    _("Recommendations: %(numbers)s") % {"numbers": numbers},
                    (
                        _("Returned for revision: %(numbers)s")
                        % {"numbers": ", ".join(str(n) for n in returned)}
                        if returned
                        else ""
                    ),
                ),
                url=absolute(reverse("dashboard:dashboard")),
                busy=False,
            )
        )
    return entries


def _values_entries(owed_list: list[OwedValue]) -> list[CalendarEntry]:
    """One event per responsible institution (or the programme team) and period."""
    grouped: dict[tuple[int, int | None], list[OwedValue]] = defaultdict(list)
    for owed in owed_list:
        grouped[(owed.period.pk, owed.indicator.responsible_id)].append(owed)
    entries = []
    for (period_id, institution_id), group in grouped.items():
        period, responsible = group[0].period, group[0].indicator.responsible
        who = responsible.label if responsible is not None else _("the programme team")
        changes = [period.updated_at] + [o.value.updated_at for o in group if o.value]
        entries.append(
            CalendarEntry(
                uid=_uid("values-due", period_id, institution_id or "team"),
                summary=_("Indicator values due: %(institution)s") % {"institution": who},
                start=period.due_date,
                end=period.due_date + timedelta(days=1),
                changed=max(changes),
                description=_lines(
                    _("Reporting period: %(period)s") % {"period": period.name},
                    _("Indicators: %(codes)s")
                    % {"codes": ", ".join(o.indicator.code for o in group)},
                ),
                url=absolute(reverse("programme:value_mine")),
                busy=False,
            )
        )
    return entries


def _dated_trainings(queryset: QuerySet[Training]) -> QuerySet[Training]:
    return (
        queryset.filter(start_date__isnull=False)
        .select_related("organiser")
        .order_by("start_date", "pk")
    )


def meetings_attended_by(user: User) -> QuerySet[Meeting]:
    """The meetings in the user's feed: every one for the programme team and the EU
    observers, who follow the whole committee; for anyone else, those their institutions
    attended and the planned ones of a committee their institutions sit on (attendance is
    recorded once a meeting is held)."""
    persona = persona_for(user)
    meetings = meetings_visible_to(user)
    if persona.reads_everything:
        return meetings
    attended = MeetingAttendance.objects.filter(institution_id__in=persona.member_of)
    return meetings.filter(
        Q(pk__in=attended.values("meeting_id"))
        | Q(status=MeetingStatus.PLANNED, action_id__in=attended.values("meeting__action_id"))
    )


def _dated(entries: Iterable[CalendarEntry | None]) -> list[CalendarEntry]:
    return [entry for entry in entries if entry is not None]


def personal_entries(*, user: User, today: date) -> list[CalendarEntry]:
    """Everything in the user's own feed, in a fixed number of queries: the meetings of
    ``meetings_attended_by``, the trainings the portal lists for them, and the due dates of
    what their institutions owe (progress updates, indicator values, open action points)."""
    persona = persona_for(user)
    if not persona.is_authenticated:
        return []
    meetings = meetings_attended_by(user).filter(date__isnull=False).order_by("date", "pk")
    entries = _dated(meeting_entry(m) for m in meetings)
    trainings = _dated_trainings(trainings_visible_to(user))
    entries += _dated(training_entry(t) for t in trainings)
    if persona.member_of:
        points = (
            action_points_open_owned(institution_ids=persona.member_of)
            .filter(due_date__isnull=False)
            .select_related("owner", "meeting")
        )
        entries += [_action_point_entry(p) for p in points.order_by("due_date", "pk")]
        entries += _updates_entries(updates_owed(today=today, institution_ids=persona.member_of))
    if persona.member_of or persona.is_programme_team:
        entries += _values_entries(
            indicator_values_owed(
                today=today,
                institution_ids=persona.member_of,
                programme_team=persona.is_programme_team,
            )
        )
    return sorted(entries, key=lambda e: (e.start, e.uid))


def public_entries() -> list[CalendarEntry]:
    """The public calendar: every dated steering-committee meeting and training, saying
    only what the public may know (number, date and place; title, dates and city)."""
    meetings = Meeting.objects.filter(date__isnull=False).order_by("date", "pk")
    entries = _dated(meeting_entry(m, public=True) for m in meetings)
    trainings = _dated_trainings(Training.objects.all())
    entries += _dated(training_entry(t, public=True) for t in trainings)
    return sorted(entries, key=lambda e: (e.start, e.uid))
