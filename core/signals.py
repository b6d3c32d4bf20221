"""Signals the platform sends for what Django's own signals do not cover.

A bulk write (``bulk_create``, ``QuerySet.update``, raw SQL) saves no instance, so
``post_save`` never fires for it. The service that made one sends :data:`rows_changed` once,
with the model as sender, after the write; whatever keeps figures derived from those rows (the
dashboard's glance) listens to it and to Django's signals in one place, so no service needs to
know who keeps what.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with ``sender=<model class>`` after rows of that model were written in bulk.
rows_changed = Signal()

# Sent with ``texts=<list of str>`` after a person's details were erased, so that copies of
# them kept elsewhere (an import batch's stored preview and problems) are erased too.
personal_data_erased = Signal()
