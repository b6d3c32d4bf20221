"""Calendar entries written as iCalendar (RFC 5545) with the icalendar library."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.utils.translation import get_language
from icalendar import Calendar, Event, Timezone, vDuration

from calendars.choices import PRODID, REFRESH_INTERVAL, TIME_ZONE
from calendars.selectors import CalendarEntry

CONTENT_TYPE = "text/calendar; charset=utf-8"


@lru_cache(maxsize=1)
def _vtimezone() -> bytes:
    """The programme's time zone as a VTIMEZONE; computing its transitions takes a while, so
    it is worked out once per process."""
    zone = Timezone.from_tzinfo(
        ZoneInfo(TIME_ZONE), tzid=TIME_ZONE, first_date=date(2000, 1, 1), last_date=date(2040, 1, 1)
    )
    return bytes(zone.to_ical())


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _event(entry: CalendarEntry, language: str) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    changed = _utc(entry.changed)
    event.add("dtstamp", changed)
    event.add("last-modified", changed)
    # The records have days, not times: all-day events, with DATE values.
    event.add("dtstart", entry.start)
    event.add("dtend", entry.end)
    event.add("summary", entry.summary, parameters={"LANGUAGE": language})
    if entry.description:
        event.add("description", entry.description, parameters={"LANGUAGE": language})
    if entry.location:
        event.add("location", entry.location)
    if entry.url:
        event.add("url", entry.url)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE" if entry.busy else "TRANSPARENT")
    return event


def calendar_ical(*, name: str, entries: Iterable[CalendarEntry]) -> bytes:
    """A whole calendar in the active language: its name, the programme's time zone and the
    events."""
    language = get_language() or "en"
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", TIME_ZONE)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    # The older name of the same hint, which Outlook reads.
    calendar.add("x-published-ttl", vDuration(REFRESH_INTERVAL).to_ical().decode())
    calendar.add_component(Timezone.from_ical(_vtimezone()))
    for entry in entries:
        calendar.add_component(_event(entry, language))
    return bytes(calendar.to_ical())
