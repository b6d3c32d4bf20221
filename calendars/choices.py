"""Constants of the calendar feeds."""

from __future__ import annotations

from datetime import timedelta

# Every event's UID ends with this: the same whatever address the platform answers on, so
# an event keeps its identity when the platform moves and a calendar never shows it twice.
UID_DOMAIN = "calendars.antitrafficking-platform"

# Who made the calendar (RFC 5545 PRODID): never translated.
PRODID = "-//Anti-trafficking platform//Calendars//EN"

# The programme's time zone, given to calendars as its VTIMEZONE.
TIME_ZONE = "Europe/Skopje"

# How often a calendar should fetch a feed again (RFC 7986 REFRESH-INTERVAL).
REFRESH_INTERVAL = timedelta(hours=1)

# A feed's last use is written at most this often, so fetching a feed rarely writes.
LAST_USED_PRECISION = timedelta(hours=1)

# The bytes of randomness behind a calendar address (secrets.token_urlsafe).
TOKEN_BYTES = 32
