"""The password policy's length rule: a minimum, and the length the help text recommends."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's minimum length, with help that recommends a longer password.

    Nothing caps the length: a passphrase of 64 characters or more is welcome.
    """

    def __init__(self, min_length: int = 8, recommended_length: int = 15) -> None:
        super().__init__(min_length=min_length)
        self.recommended_length = recommended_length

    def get_help_text(self) -> str:
        return _(
            "Your password must contain at least %(min_length)d characters; "
            "%(recommended)d or more is recommended. A few unrelated words make a strong, "
            "memorable password."
        ) % {"min_length": self.min_length, "recommended": self.recommended_length}
