"""The seed, the demo set and the generator of large programmes."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoadersConfig(AppConfig):
    name = "loaders"
    verbose_name = _("Seed and demo data")
