"""Checks for files people upload as evidence or publications: size, type and content."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# Extension → the first bytes such a file starts with (b"" accepts any plain text).
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".ods": (b"PK\x03\x04",),
    ".txt": (b"",),
    ".csv": (b"",),
}
ALLOWED_EXTENSIONS = tuple(sorted(_SIGNATURES))


def validate_upload(upload: UploadedFile) -> None:
    """Refuse a file that is too big, of a type we do not keep, or not what its name says."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {
                "size": round(upload.size / 1024 / 1024, 1),
                "limit": MAX_UPLOAD_BYTES // 1024 // 1024,
            }
        )
    extension = Path(upload.name or "").suffix.lower()
    if extension not in _SIGNATURES:
        raise ValidationError(
            _("Files of type “%(ext)s” are not accepted. Accepted: %(allowed)s.")
            % {"ext": extension or "?", "allowed": ", ".join(ALLOWED_EXTENSIONS)}
        )
    head = upload.read(16)
    upload.seek(0)
    signatures = _SIGNATURES[extension]
    if extension in (".txt", ".csv"):
        if b"\x00" in head:
            raise ValidationError(_("The file's content does not match its name."))
    elif not any(head.startswith(sig) for sig in signatures):
        raise ValidationError(_("The file's content does not match its name."))


class EvidenceForm(forms.Form):
    """A file (checked by ``validate_upload``) or a link, with a title: evidence of progress."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    file = forms.FileField(label=gettext_lazy("File"), required=False)
    url = forms.URLField(label=gettext_lazy("or a link"), required=False, assume_scheme="https")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Filled in per request: at import time it would be English for everyone.
        self.fields["file"].help_text = _("Up to 10 MB: %(types)s") % {
            "types": ", ".join(ALLOWED_EXTENSIONS)
        }

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload:
            validate_upload(upload)
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not data.get("url") and not self.errors:
            raise ValidationError(_("Attach a file or give a link."))
        return data
