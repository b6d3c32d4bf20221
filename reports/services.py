"""Asking for a report, and the report job: render it, keep it frozen, say how it went."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.jobs import job_enqueue
from notifications.services import notify_report_finished
from programme.models import Meeting, ReportingPeriod
from recommendations.models import Recommendation
from reports.choices import DRAFT, ReportKind, ReportStatus
from reports.documents import ReportUnavailable, report_html
from reports.models import Report
from reports.permissions import may_request_draft, report_scope
from reports.render import RenderedPdf, RenderFailed, render_pdf
from stakeholders.models import User
from trainings.models import Training

logger = logging.getLogger(__name__)


def _subject(
    *,
    kind: str,
    period: ReportingPeriod | None,
    recommendation: Recommendation | None,
    training: Training | None,
    meeting: Meeting | None,
) -> dict[str, Any]:
    """What the report is about, kept with it: its key, a name and a safe file-name part."""
    if kind == ReportKind.COMMITTEE:
        if period is None:
            raise ValidationError({"period": _("Choose the reporting period.")})
        return {
            "key": f"period-{period.pk}",
            "slug": slugify(period.name) or f"period-{period.pk}",
            "subject": period.name,
            "period": {
                "id": period.pk,
                "name": period.name,
                "start": period.start_date,
                "end": period.end_date,
            },
        }
    if kind == ReportKind.RECOMMENDATION:
        if recommendation is None:
            return {"key": "all", "slug": "all", "subject": "1–15", "recommendation": None}
        return {
            "key": f"recommendation-{recommendation.pk}",
            "slug": f"{recommendation.number:02d}",
            "subject": str(recommendation.number),
            "recommendation": {"id": recommendation.pk, "number": recommendation.number},
        }
    if kind == ReportKind.TRAINING:
        if training is None:
            raise ValidationError({"training": _("Choose the training.")})
        return {
            "key": f"training-{training.pk}",
            "slug": f"{training.pk}",
            "subject": training.title,
            "training": {"id": training.pk, "title": training.title},
        }
    if kind == ReportKind.MEETING:
        if meeting is None:
            raise ValidationError({"meeting": _("Choose the meeting.")})
        return {
            "key": f"meeting-{meeting.pk}",
            "slug": f"meeting-{meeting.number}",
            "subject": str(meeting.number),
            "meeting": {"id": meeting.pk, "number": meeting.number, "date": meeting.date},
        }
    raise ValidationError({"kind": _("There is no such kind of report.")})


# Kinds whose content depends on who asked: each requester's generations are a series of
# their own, and a recommendation report keeps the scope it was made with
# (reports/permissions.py checks it again at every download).
PER_REQUESTER = (ReportKind.RECOMMENDATION, ReportKind.TRAINING)


def _with_scope(report: Report, *scopes: dict[str, Any]) -> None:
    """Keep in the report's parameters the widest of the requester's scopes: what the report
    holds was read with one of them."""
    if report.kind != ReportKind.RECOMMENDATION:
        return
    if report.requested_by is not None:
        scopes = (*scopes, report_scope(report.requested_by))
    if not scopes:
        return
    report.parameters = {
        **report.parameters,
        "scope": {
            "programme_team": any(s.get("programme_team", True) for s in scopes),
            "observer": any(s.get("observer", True) for s in scopes),
            "institutions": sorted({i for s in scopes for i in s.get("institutions", [])}),
        },
    }


def report_request(
    *,
    by: User,
    kind: str,
    language: str,
    pdfa: bool = False,
    draft: bool = False,
    period: ReportingPeriod | None = None,
    recommendation: Recommendation | None = None,
    training: Training | None = None,
    meeting: Meeting | None = None,
) -> Report:
    """Queue a report; the report job generates it once this transaction is committed.

    The caller has asked the permission gate whether the user may ask for this kind of
    report about this subject; what the report holds is then what the user may see.
    """
    subject = _subject(
        kind=kind, period=period, recommendation=recommendation, training=training, meeting=meeting
    )
    key = subject.pop("key")
    series = f"{kind}:{key}:{language}"
    if draft:
        # The committee report's draft copy: the programme team's, numbered apart from the
        # final copies the committee reads.
        if kind != ReportKind.COMMITTEE or not may_request_draft(by):
            raise ValidationError(_("Only the programme team asks for a draft copy."))
        subject["copy"] = DRAFT
        series = f"{series}:draft"
    if kind in PER_REQUESTER:
        # Numbered per requester: a version number counted across everyone would tell a
        # requester that someone else (another institution) asked for this report before.
        series = f"{series}:user-{by.pk}"
    if kind == ReportKind.RECOMMENDATION:
        subject["scope"] = report_scope(by)
    report = Report(
        kind=kind,
        language=language,
        pdfa=pdfa,
        period=period if kind == ReportKind.COMMITTEE else None,
        recommendation=recommendation if kind == ReportKind.RECOMMENDATION else None,
        training=training if kind == ReportKind.TRAINING else None,
        meeting=meeting if kind == ReportKind.MEETING else None,
        parameters=subject,
        series=series,
        requested_by=by,
    )
    report.full_clean()
    report.save()
    transaction.on_commit(lambda: _enqueue(report.pk))
    return report


# A report still queued this long after it was asked for (or last queued) has most likely lost
# its job, to Redis being down when it was asked for: the report sweep queues it again.
REQUEUE_AFTER = timedelta(minutes=2)


def job_time_limit() -> timedelta:
    """How long the report job may run before Celery kills it: the render's limit and a margin."""
    return timedelta(seconds=settings.REPORT_RENDER_TIMEOUT + 120)


def _enqueue(report_id: int) -> bool:
    """Queue the report job. Where the queue cannot be reached the report stays queued and the
    report sweep queues it later; the request that asked for it goes on regardless."""
    return job_enqueue(report_generate, report_id, what=f"report {report_id}")


def _left_waiting(now: datetime) -> Q:
    """Reports whose job was lost: one that could not be queued (Redis down) or whose message
    was lost, and one whose worker died and whose job did not come back within its time limit."""
    return Q(status=ReportStatus.QUEUED, updated_at__lte=now - REQUEUE_AFTER) | Q(
        status=ReportStatus.RUNNING, started_at__lte=now - job_time_limit() - REQUEUE_AFTER
    )


def report_waiting_long(report: Report, *, now: datetime | None = None) -> bool:
    """Whether the report is one the report sweep would queue again: waiting past the usual."""
    now = now or timezone.now()
    return Report.objects.filter(_left_waiting(now), pk=report.pk).exists()


def report_sweep(*, now: datetime | None = None) -> int:
    """Queue again every report whose job was lost; returns how many were queued.

    Queuing one twice is harmless: the job claims the report first.
    """
    now = now or timezone.now()
    lost = list(Report.objects.filter(_left_waiting(now)).values_list("pk", flat=True))
    # Touched first, so that the next sweep leaves them alone for a while whatever happens.
    Report.objects.filter(pk__in=lost).update(updated_at=now)
    return sum(_enqueue(report_id) for report_id in lost)


# --- The job ----------------------------------------------------------------------------------


def _claim(report_id: int) -> Report | None:
    """Mark the report running and give it its version; None when it is already finished.

    A report found running is left to the job running it, unless that job has outlived its
    time limit (its worker was lost): then it is run again.
    """
    for _attempt in range(5):
        try:
            with transaction.atomic():
                report = Report.objects.select_for_update().get(pk=report_id)
                if report.is_finished or _running_elsewhere(report):
                    return None
                if report.version is None:
                    latest = Report.objects.filter(
                        series=report.series, version__isnull=False
                    ).aggregate(latest=Max("version"))["latest"]
                    report.version = (latest or 0) + 1
                report.status = ReportStatus.RUNNING
                report.started_at = timezone.now()
                # The content is read now, with the requester's memberships as they are now.
                _with_scope(report)
                report.save(
                    update_fields=["status", "started_at", "version", "parameters", "updated_at"]
                )
                return report
        except IntegrityError:
            continue  # another generation of the series took the number first
    raise RuntimeError(f"Could not number report {report_id}")


def _running_elsewhere(report: Report) -> bool:
    started = report.started_at
    return (
        report.status == ReportStatus.RUNNING
        and started is not None
        and started > timezone.now() - job_time_limit()
    )


def _failure_message(report: Report, exc: RenderFailed) -> str:
    with translation.override(report.language):
        if exc.reason == "timeout":
            return _(
                "The report took longer than %(seconds)s seconds to render and was stopped. "
                "Ask for a shorter one, or ask the programme team to raise the limit."
            ) % {"seconds": settings.REPORT_RENDER_TIMEOUT}
        if exc.reason == "memory":
            return _(
                "The report needed more than %(mb)s MB of memory to render and was stopped."
            ) % {"mb": settings.REPORT_RENDER_MEMORY_MB}
        return _("The report could not be rendered.")


def _fail(report: Report, *, reason: str) -> None:
    Report.objects.filter(pk=report.pk, status=ReportStatus.RUNNING).update(
        status=ReportStatus.FAILED,
        failure_reason=reason,
        version=None,  # a failed generation is no version of the report
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    report.refresh_from_db()


def _store(report: Report, rendered: RenderedPdf) -> None:
    """Keep the PDF once: a second run of the same job finds the report done and stops."""
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.status != ReportStatus.RUNNING:
            return
        # Memberships may have changed while it rendered: keep the wider scope of the two.
        scope = locked.parameters.get("scope")
        _with_scope(locked, *([scope] if isinstance(scope, dict) else []))
        locked.file.save("report.pdf", ContentFile(rendered.pdf), save=False)
        try:
            locked.sha256 = hashlib.sha256(rendered.pdf).hexdigest()
            locked.size = len(rendered.pdf)
            locked.pages = rendered.pages
            locked.status = ReportStatus.DONE
            locked.failure_reason = ""
            locked.finished_at = timezone.now()
            locked.save()
        except Exception:
            locked.file.delete(save=False)
            raise
    report.refresh_from_db()


def report_run(*, report_id: int) -> Report:
    """Generate a queued report: idempotent, and it never raises for a report that fails."""
    report = _claim(report_id)
    if report is None:
        return Report.objects.get(pk=report_id)
    try:
        # The HTML is made once the render's children are starting (render_pdf).
        rendered = render_pdf(html=lambda: report_html(report=report), pdfa=report.pdfa)
    except RenderFailed as exc:
        logger.warning("Report %s was stopped: %s", report.pk, exc)
        _fail(report, reason=_failure_message(report, exc))
    except ReportUnavailable as exc:
        _fail(report, reason=exc.message)
    except Exception:
        logger.exception("Report %s failed", report.pk)
        with translation.override(report.language):
            reason = _("The report could not be generated because of an unexpected error.")
        _fail(report, reason=reason)
    else:
        if rendered.refused:
            logger.warning("Report %s: refused to load %s", report.pk, rendered.refused)
        _store(report, rendered)
    report_notify(report=report)
    return report


def report_notify(*, report: Report) -> None:
    """Tell the requester their report is done, or why it failed, with a link to it.

    The notification (and its email, as the requester chose) is made once per report and
    status, so a repeated job tells nobody twice.
    """
    logger.info(
        "Report %s for %s is %s", report.pk, report.requested_by_id or "nobody", report.status
    )
    notify_report_finished(report=report)


@shared_task(
    name="reports.generate",
    acks_late=True,
    # The render is stopped by its own limit first; this only guards the job around it.
    soft_time_limit=settings.REPORT_RENDER_TIMEOUT + 60,
    time_limit=int(job_time_limit().total_seconds()),
)
def report_generate(report_id: int) -> None:
    """Generate one report. Safe to run twice: a finished report is left as it is."""
    report_run(report_id=report_id)
