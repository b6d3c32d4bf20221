from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.choices import NOT_STATED


class InstitutionKind(models.TextChoices):
    EU_BODY = "eu_body", _("EU body")
    MINISTRY = "ministry", _("Ministry")
    PUBLIC_AGENCY = "public_agency", _("Public agency")
    CSO = "cso", _("Civil society organisation")
    INTERNATIONAL = "international", _("International organisation")
    ACADEMIA = "academia", _("Academia")
    MEDIA = "media", _("Media")


class MembershipRole(models.TextChoices):
    FOCAL_POINT = "focal_point", _("Focal point")
    EDITOR = "editor", _("Editor")
    VIEWER = "viewer", _("Viewer")


class MembershipRequestState(models.TextChoices):
    """Where an institution's request that someone join it stands."""

    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# At most one password reset, and one invitation per person and institution, is emailed in
# each window of this many seconds, whoever asks and whether or not the address has an account.
ACCOUNT_EMAIL_WINDOW_SECONDS = 5 * 60


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other or not stated")


class AccountEventKind(models.TextChoices):
    DEVICE_ADDED = "device_added", _("Authenticator app set up")
    DEVICE_REMOVED = "device_removed", _("Authenticator app removed")
    DEACTIVATED = "deactivated", _("Account deactivated, its sessions ended")
    REACTIVATED = "reactivated", _("Account reactivated")


# What a figure by profession calls the people whose profession was not given: the platform's
# one label (core.translations.name_or_not_stated applies it).
PROFESSION_NOT_STATED = NOT_STATED
