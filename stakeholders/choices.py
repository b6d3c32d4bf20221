from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other or not stated")
