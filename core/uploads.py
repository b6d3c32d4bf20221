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

# The old Office formats are OLE2 compound files: a little file system inside the file.
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The stream each must hold; another compound file (an installer package, say) renamed .doc
# is not what its name says.
_OLE2_STREAMS: dict[str, frozenset[str]] = {
    ".doc": frozenset({"worddocument"}),
    ".xls": frozenset({"workbook", "book"}),
    ".ppt": frozenset({"powerpoint document"}),
}
# Storages that hold Word's and Excel's macros: refused, as the macro-enabled formats
# (.docm, .xlsm) are, by not being accepted at all.
_OLE2_MACROS = frozenset({"macros", "_vba_project_cur", "_vba_project", "vba"})

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
    ".doc": (_OLE2,),
    ".xls": (_OLE2,),
    ".ppt": (_OLE2,),
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
    if extension in _OLE2_STREAMS:
        _check_ole2(upload, extension)


def _ole2_names(data: bytes) -> set[str]:
    """The names of the streams and storages in a compound file, lower case.

    Directory entries are 128 bytes and every sector starts on a multiple of 128 after the
    512-byte header, so reading each 128-byte slot finds every entry the directory can hold
    (stale ones too, which only makes the check stricter) without following its chains.
    An entry: the name in UTF-16 (64 bytes), its length in bytes with the terminator, and
    its type (1 storage, 2 stream, 5 root).
    """
    names = set()
    for offset in range(512, len(data) - 127, 128):
        entry = data[offset : offset + 128]
        length = int.from_bytes(entry[64:66], "little")
        if entry[66] not in (1, 2, 5) or not 4 <= length <= 64 or length % 2:
            continue
        if entry[length - 2 : length] != b"\x00\x00":
            continue
        try:
            names.add(entry[: length - 2].decode("utf-16-le").lower())
        except UnicodeDecodeError:
            continue
    return names


def _check_ole2(upload: UploadedFile, extension: str) -> None:
    """An old Office file must hold its kind's main stream and no macros."""
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    upload.seek(0)
    names = _ole2_names(data)
    if not names & _OLE2_STREAMS[extension]:
        raise ValidationError(_("The file's content does not match its name."))
    if names & _OLE2_MACROS:
        raise ValidationError(
            _(
                "Files with macros are not accepted. Save the document without macros, "
                "for example as .docx, .xlsx or .pptx, and upload that."
            )
        )


class EvidenceForm(forms.Form):
    """A file (checked by ``validate_upload``), a link or both, with a title: evidence of
    progress."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    file = forms.FileField(label=gettext_lazy("File"), required=False)
    url = forms.URLField(
        label=gettext_lazy("Link"),
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("A file, a link, or both: each is kept."),
    )

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
