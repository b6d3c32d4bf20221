"""Every portal URL × every persona: who may read, who may write, and what a refusal leaves.

The URLs come from the URL conf itself, every pattern named or not (an unnamed one is known
by its route, "/some/<int:pk>/"), so a new URL without a rule here fails the suite.
The records are ones only Demo CSO B (and the readers of everything) may see, or shared
records only their owner may change. For every refused request the whole database is
compared before and after: a refusal changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, cast

import openpyxl
import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path, resolve, reverse

from imports.choices import ImportKind, ImportStatus
from imports.models import ImportBatch
from programme.choices import IndicatorKind
from programme.models import (
    Action,
    ActionPoint,
    Indicator,
    IndicatorEvidence,
    IndicatorValue,
    Meeting,
    Outcome,
    ReportingPeriod,
)
from programme.services import (
    action_point_share,
    indicator_evidence_add,
    indicator_value_save,
    indicator_value_submit,
)
from recommendations.choices import UpdateState
from recommendations.models import Evidence, ProgressUpdate, Recommendation
from recommendations.services import evidence_add
from reports.choices import ReportKind, ReportStatus
from reports.models import Report
from reports.permissions import report_scope
from research.choices import LanguageVersion
from research.models import Study, StudyVersion
from stakeholders.choices import MembershipRole
from stakeholders.models import Institution, Membership, User
from stakeholders.services import membership_set
from tests.factories import ImportBatchFactory
from trainings.models import Attendance, Participant, Topic, Training
from trainings.services import training_create

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "demo-cso-a", "demo-cso-b", "demo-ministry", "demo-observer", "demo-admin"]
OK, LOGIN = "ok", "login"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# --- The records the matrix reaches for ---------------------------------------------------


@dataclass
class World:
    """Records owned by Demo CSO B, plus shared records, built through the services."""

    users: dict[str, User]
    cso_b: Institution
    update: ProgressUpdate  # CSO B's returned update: hidden from CSO A and the ministry
    evidence: Evidence  # a file on that update
    rec_for_b: Recommendation  # CSO B and the ministry report on it; CSO A does not
    training: Training  # organised by CSO B alone
    action_point: ActionPoint  # owned by CSO B, on a meeting everyone reads
    meeting: Meeting
    study: Study
    version: StudyVersion
    member_b: Membership  # a second member of CSO B
    period: ReportingPeriod
    batch: ImportBatch  # a spreadsheet CSO B uploaded, checked and ready to import
    report: Report  # a recommendation report CSO B asked for, finished
    value_draft: IndicatorValue  # CSO B's draft value of an indicator it reports on
    value_submitted: IndicatorValue  # the same indicator's next value, waiting for review
    value_evidence: IndicatorEvidence  # a file on the submitted value


@pytest.fixture
def world(demo: dict[str, User], settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path
    cso_b_user = demo["demo-cso-b"]
    cso_b = Institution.objects.get(code="demo-cso-b")
    update = ProgressUpdate.objects.get(institution=cso_b, state=UpdateState.RETURNED)
    evidence = evidence_add(
        update=update,
        by=cso_b_user,
        title="Attendance sheets",
        file=SimpleUploadedFile("sheets.pdf", PDF),
    )
    training = training_create(
        by=cso_b_user,
        action=Action.objects.get(),
        title="Peer educators on safe online job searching",
        organiser=cso_b,
        topics=[Topic.objects.order_by("pk")[0]],
        start_date=date(2026, 4, 2),
        end_date=date(2026, 4, 2),
        city="Kumanovo",
    )
    meeting = Meeting.objects.get(number=3)
    action_point = ActionPoint.objects.create(
        meeting=meeting,
        owner=cso_b,
        description="Map the schools for the peer-educator sessions",
        due_date=date(2026, 6, 30),
        is_demo=True,
    )
    action_point_share(action_point=action_point)
    study = Study.objects.order_by("pk").first()
    assert study is not None
    version = StudyVersion.objects.create(
        study=study, language=LanguageVersion.ENGLISH, file=SimpleUploadedFile("draft.pdf", PDF)
    )
    colleague = User.objects.create_user("cso-b-colleague", email="colleague@example.org")
    member_b = membership_set(user=colleague, institution=cso_b, role=MembershipRole.EDITOR)
    batch = cast(
        ImportBatch,
        ImportBatchFactory(
            kind=ImportKind.PROGRESS_UPDATES, status=ImportStatus.CHECKED, created_by=cso_b_user
        ),
    )
    report = Report.objects.create(
        kind=ReportKind.RECOMMENDATION,
        language="en",
        recommendation=Recommendation.objects.get(number=10),
        requested_by=cso_b_user,
        # As the report job records it: made with CSO B's view (reports/permissions.py).
        parameters={"scope": report_scope(cso_b_user)},
        status=ReportStatus.DONE,
        version=1,
        series="recommendation-10-en",
        file=SimpleUploadedFile("report.pdf", PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        size=len(PDF),
        pages=1,
    )
    return World(
        users=demo,
        cso_b=cso_b,
        update=update,
        evidence=evidence,
        rec_for_b=Recommendation.objects.get(number=10),
        training=training,
        action_point=action_point,
        meeting=meeting,
        study=study,
        version=version,
        member_b=member_b,
        period=ReportingPeriod.objects.get(name="2026 H1"),
        batch=batch,
        report=report,
        **_cso_b_values(cso_b_user, cso_b),
    )


def _cso_b_values(user: User, cso_b: Institution) -> dict[str, Any]:
    """A reported indicator Demo CSO B answers for: a draft value and a submitted one."""
    outcome = Outcome.objects.create(action=Action.objects.get(), code="B", title="Shelters")
    indicator = Indicator.objects.create(
        outcome=outcome,
        code="B.1",
        title="Shelters applying the referral standard",
        unit="shelters",
        baseline=0,
        kind=IndicatorKind.REPORTED,
        responsible=cso_b,
    )

    def value(period: str, actual: int) -> IndicatorValue:
        return indicator_value_save(
            indicator=indicator,
            period=ReportingPeriod.objects.get(name=period),
            by=user,
            actual=Decimal(actual),
        )

    submitted = value("2026 H2", 3)
    evidence = indicator_evidence_add(
        value=submitted, by=user, title="Visit reports", file=SimpleUploadedFile("v.pdf", PDF)
    )
    return {
        "value_draft": value("2026 H1", 2),
        "value_submitted": indicator_value_submit(value=submitted, by=user),
        "value_evidence": evidence,
    }


# --- The rules ------------------------------------------------------------------------------

Expect = dict[str, Any]  # persona -> OK | LOGIN | a status code


def _expect(default: Any, anonymous: Any = LOGIN, **by_persona: Any) -> Expect:
    names = {key.replace("_", "-"): value for key, value in by_persona.items()}
    return {p: names.get(p, default) for p in PERSONAS} | {"anonymous": anonymous}


EVERYONE = _expect(OK)
READ_ONLY_PAGE = _expect(405)  # a page that only shows: POST is refused for every role
# A record only CSO B and the readers of everything see; the observer only reads.
B_READS = _expect(OK, demo_cso_a=404, demo_ministry=404)
B_WRITES = _expect(OK, demo_cso_a=404, demo_ministry=404, demo_observer=403)
# A record everyone reads; only CSO B (its owner) and the programme team change it.
OWNER_WRITES = _expect(403, demo_cso_b=OK, demo_admin=OK)
TEAM_ONLY = _expect(403, demo_admin=OK)


@dataclass(frozen=True)
class Rule:
    kwargs: Callable[[World], dict[str, Any]] = lambda w: {}
    get: Expect = field(default_factory=lambda: READ_ONLY_PAGE)
    post: Expect = field(default_factory=lambda: READ_ONLY_PAGE)
    # What a write would change if the gate failed: refused requests must leave no trace.
    data: Callable[[World], dict[str, Any]] = lambda w: {}


def _update(w: World) -> dict[str, Any]:
    return {"pk": w.update.pk}


def _training(w: World) -> dict[str, Any]:
    return {"pk": w.training.pk}


def _attendance(w: World) -> dict[str, Any]:
    """Someone listed at CSO B's training."""
    person = Participant.objects.create(
        full_name="Listed Person", sex="F", registered_by_institution=w.cso_b
    )
    return {"pk": Attendance.objects.create(training=w.training, participant=person).pk}


# People CSO B registered, in its register only (and the programme team's).
REGISTER_B = _expect(OK, demo_cso_a=404, demo_ministry=404, demo_observer=404)


def _person(w: World) -> dict[str, Any]:
    """Someone CSO B registered at its training, and a second record of them."""
    person = Participant.objects.create(
        full_name="Registered Person", sex="F", registered_by_institution=w.cso_b
    )
    Attendance.objects.create(training=w.training, participant=person)
    Participant.objects.create(
        full_name="Регистрирана Личност", sex="F", registered_by_institution=w.cso_b
    )
    return {"pk": person.pk}


def _second_record(w: World) -> dict[str, Any]:
    return {"other": Participant.objects.get(full_name="Регистрирана Личност").pk}


def _batch(w: World) -> dict[str, Any]:
    return {"pk": w.batch.pk}


# CSO B's own uploads: only CSO B and the programme team know they exist.
B_UPLOAD = _expect(404, demo_cso_b=OK, demo_admin=OK)
# What the institutions that report may import; the observer only reads.
IMPORTERS = _expect(OK, demo_observer=403)
# CSO B's draft: only CSO B and the programme team know it exists (the observer reads no drafts).
B_DRAFT = _expect(OK, demo_cso_a=404, demo_ministry=404, demo_observer=404)


def _value_draft(w: World) -> dict[str, Any]:
    return {"pk": w.value_draft.pk}


def _value_submitted(w: World) -> dict[str, Any]:
    return {"pk": w.value_submitted.pk}


RULES: dict[str, Rule] = {
    # Outside the portal: open to everyone.
    "health": Rule(get=_expect(OK, anonymous=OK), post=_expect(405, anonymous=405)),
    "login": Rule(get=_expect(OK, anonymous=OK), post=_expect(OK, anonymous=OK)),
    "logout": Rule(get=_expect(405, anonymous=405), post=_expect(302, anonymous=302)),
    # Password resets and invitations: anyone may ask, and a link works for whoever holds it.
    "password_reset": Rule(
        get=_expect(OK, anonymous=OK),
        post=_expect(OK, anonymous=OK),
        data=lambda w: {"email": "nobody@example.org"},
    ),
    "password_reset_done": Rule(get=_expect(OK, anonymous=OK), post=_expect(405, anonymous=405)),
    "password_reset_confirm": Rule(
        kwargs=lambda w: {"uidb64": "MQ", "token": "not-a-token"},
        get=_expect(OK, anonymous=OK),
        post=_expect(OK, anonymous=OK),
    ),
    "password_reset_complete": Rule(
        get=_expect(OK, anonymous=OK), post=_expect(405, anonymous=405)
    ),
    "invitation_accept": Rule(
        kwargs=lambda w: {"uidb64": "MQ", "token": "not-a-token"},
        get=_expect(OK, anonymous=OK),
        post=_expect(OK, anonymous=OK),
    ),
    # The admin's second factor: staff only (the others never reach the admin).
    "two_factor_verify": Rule(get=TEAM_ONLY, post=TEAM_ONLY),
    "two_factor_enrol": Rule(get=TEAM_ONLY, post=TEAM_ONLY),
    "set_language": Rule(
        get=_expect(OK, anonymous=OK),
        post=_expect(OK, anonymous=OK),
        data=lambda w: {"language": "mk", "next": "/"},
    ),
    # Read by everyone signed in.
    "dashboard:dashboard": Rule(get=EVERYONE),
    "dashboard:search": Rule(get=EVERYONE),
    "programme:meeting_list": Rule(get=EVERYONE),
    "programme:meeting_detail": Rule(kwargs=lambda w: {"pk": w.meeting.pk}, get=EVERYONE),
    "recommendations:list": Rule(get=EVERYONE),
    "recommendations:detail": Rule(kwargs=lambda w: {"pk": w.rec_for_b.pk}, get=EVERYONE),
    "research:pipeline": Rule(get=EVERYONE),
    "research:detail": Rule(kwargs=lambda w: {"slug": w.study.slug}, get=EVERYONE),
    "research:version_download": Rule(kwargs=lambda w: {"pk": w.version.pk}, get=EVERYONE),
    "stakeholders:institution_list": Rule(get=EVERYONE),
    "stakeholders:institution_detail": Rule(kwargs=lambda w: {"pk": w.cso_b.pk}, get=EVERYONE),
    "trainings:list": Rule(get=EVERYONE),
    # CSO B's own records.
    "recommendations:update_detail": Rule(kwargs=_update, get=B_READS),
    "recommendations:evidence_download": Rule(kwargs=lambda w: {"pk": w.evidence.pk}, get=B_READS),
    "recommendations:update_edit": Rule(
        kwargs=_update,
        get=B_WRITES,
        post=B_WRITES,
        data=lambda w: {
            "status": "completed",
            "narrative": "Rewritten by someone else",
            "seen_at": w.update.updated_at.isoformat(),
        },
    ),
    "recommendations:update_submit": Rule(kwargs=_update, get=_expect(405), post=B_WRITES),
    "recommendations:update_review": Rule(
        kwargs=_update,
        get=_expect(405),
        post=_expect(403, demo_cso_a=404, demo_ministry=404, demo_admin=OK),
        data=lambda w: {"decision": "approve"},
    ),
    "recommendations:update_comment": Rule(
        kwargs=_update,
        get=_expect(405),
        post=B_READS,
        data=lambda w: {"text": "A comment that must not be stored"},
    ),
    "recommendations:evidence_add": Rule(
        kwargs=_update,
        get=B_WRITES,
        post=B_WRITES,
        data=lambda w: {"title": "Planted", "url": "https://example.org/planted"},
    ),
    # Only CSO B's own editors withdraw its update; the programme team removes evidence too.
    "recommendations:update_withdraw": Rule(
        kwargs=_update,
        get=_expect(OK, demo_cso_a=404, demo_ministry=404, demo_observer=403, demo_admin=403),
        post=_expect(OK, demo_cso_a=404, demo_ministry=404, demo_observer=403, demo_admin=403),
    ),
    "recommendations:evidence_remove": Rule(
        kwargs=lambda w: {"pk": w.evidence.pk}, get=B_WRITES, post=B_WRITES
    ),
    "recommendations:evidence_redact": Rule(
        kwargs=lambda w: {"pk": _approved_evidence(w)},
        get=TEAM_ONLY,
        post=TEAM_ONLY,
        data=lambda w: {"reason": "It named a participant."},
    ),
    "recommendations:update_create": Rule(
        kwargs=lambda w: {"pk": w.rec_for_b.pk},
        get=_expect(OK, demo_cso_a=403, demo_observer=403),
        post=_expect(OK, demo_cso_a=403, demo_observer=403),
        data=lambda w: {
            "institution": w.cso_b.pk,
            "period": w.period.pk,
            "status": "in_progress",
            "narrative": "Reported on another institution's behalf",
        },
    ),
    # The review queue is the programme team's; each member follows their institution's updates.
    "recommendations:review_queue": Rule(get=TEAM_ONLY),
    "recommendations:review_next": Rule(get=TEAM_ONLY),
    "recommendations:review_approve": Rule(
        get=TEAM_ONLY,
        post=TEAM_ONLY,
        data=lambda w: {"item": [f"value:{w.value_submitted.pk}"]},
    ),
    "recommendations:my_updates": Rule(get=EVERYONE),
    "trainings:detail": Rule(kwargs=_training, get=B_READS),
    "trainings:edit": Rule(
        kwargs=_training,
        get=B_WRITES,
        post=B_WRITES,
        data=lambda w: {
            "title": "Renamed by someone else",
            "organiser": w.cso_b.pk,
            "topics": [t.pk for t in w.training.topics.all()],
            "status": "cancelled",
            "seen_at": w.training.updated_at.isoformat(),
        },
    ),
    "trainings:participant_add": Rule(
        kwargs=_training,
        get=B_WRITES,
        post=B_WRITES,
        data=lambda w: {"full_name": "Planted Person", "sex": "F", "institution": w.cso_b.pk},
    ),
    "trainings:participants_paste": Rule(
        kwargs=_training,
        get=B_WRITES,
        post=B_WRITES,
        data=lambda w: {"text": "Planted Person\tF\n"},
    ),
    "trainings:attendance_edit": Rule(kwargs=_training, get=B_WRITES, post=B_WRITES),
    "trainings:evaluation_edit": Rule(
        kwargs=_training,
        get=B_WRITES,
        post=B_WRITES,
        data=lambda w: {"respondents": "9", "summary": "Planted evaluation"},
    ),
    "trainings:cancel": Rule(
        kwargs=_training,
        get=B_WRITES,
        post=B_WRITES,
        data=lambda w: {"reason": "Cancelled by someone else"},
    ),
    "trainings:delete": Rule(kwargs=_training, get=B_WRITES, post=B_WRITES),
    "trainings:attendance_remove": Rule(kwargs=_attendance, get=B_WRITES, post=B_WRITES),
    # The participant register: the programme team's and each institution's editors'.
    "trainings:people": Rule(get=_expect(OK, demo_observer=403)),
    "trainings:person": Rule(kwargs=_person, get=REGISTER_B),
    "trainings:person_edit": Rule(
        kwargs=_person,
        get=REGISTER_B,
        post=REGISTER_B,
        data=lambda w: {"full_name": "Renamed by someone else", "sex": "M", "email": ""},
    ),
    "trainings:person_merge": Rule(
        kwargs=_person, get=REGISTER_B, post=REGISTER_B, data=_second_record
    ),
    "trainings:person_erase": Rule(kwargs=_person, get=REGISTER_B, post=REGISTER_B),
    "trainings:create": Rule(
        get=_expect(OK, demo_observer=403),
        post=_expect(OK, demo_observer=403),
        data=lambda w: {"title": "Planted training", "organiser": w.cso_b.pk},
    ),
    # Shared records that only their owner changes.
    "programme:action_point_edit": Rule(
        kwargs=lambda w: {"pk": w.action_point.pk},
        get=OWNER_WRITES,
        post=OWNER_WRITES,
        data=lambda w: {
            "status": "done",
            "progress_note": "Closed by someone else",
            "closed_on": "2026-01-01",
            "seen_at": w.action_point.updated_at.isoformat(),
        },
    ),
    "research:advance": Rule(
        kwargs=lambda w: {"slug": w.study.slug},
        get=_expect(405),
        post=TEAM_ONLY,
        data=lambda w: {"to_status": "terms_of_reference", "note": "Moved by someone else"},
    ),
    "stakeholders:member_invite": Rule(
        kwargs=lambda w: {"pk": w.cso_b.pk},
        get=OWNER_WRITES,
        post=OWNER_WRITES,
        data=lambda w: {
            "email": "planted@example.org",
            "first_name": "Planted",
            "last_name": "Member",
            "role": "focal_point",
        },
    ),
    "stakeholders:member_remove": Rule(
        kwargs=lambda w: {"pk": w.member_b.pk}, get=_expect(405), post=OWNER_WRITES
    ),
    # Everyone's own membership requests; only the person asked answers one (others: 404).
    "stakeholders:membership_request_list": Rule(get=EVERYONE),
    "stakeholders:membership_request_accept": Rule(
        kwargs=lambda w: {"pk": _request_to_cso_b(w)},
        get=_expect(405),
        post=_expect(404, demo_cso_b=OK),
    ),
    "stakeholders:membership_request_decline": Rule(
        kwargs=lambda w: {"pk": _request_to_cso_b(w)},
        get=_expect(405),
        post=_expect(404, demo_cso_b=OK),
    ),
    # Everyone's own notifications and email preference; another's notification answers 404.
    "notifications:notification_list": Rule(get=EVERYONE, post=EVERYONE),
    "notifications:notification_preferences": Rule(
        get=EVERYONE, post=EVERYONE, data=lambda w: {"frequency": "weekly"}
    ),
    "notifications:notification_open": Rule(
        kwargs=lambda w: {"pk": _notification_of_cso_b(w)},
        get=_expect(404, demo_cso_b=OK),
        post=_expect(405),
    ),
    # Spreadsheets: everyone lists their own uploads and exports what they see.
    "imports:import_list": Rule(get=EVERYONE),
    "imports:import_start": Rule(
        kwargs=lambda w: {"kind": ImportKind.PROGRESS_UPDATES}, get=IMPORTERS, post=IMPORTERS
    ),
    "imports:import_template": Rule(
        kwargs=lambda w: {"kind": ImportKind.PROGRESS_UPDATES, "language": "mk"}, get=IMPORTERS
    ),
    "imports:import_detail": Rule(kwargs=_batch, get=B_UPLOAD),
    "imports:import_status": Rule(kwargs=_batch, get=B_UPLOAD),
    "imports:import_file": Rule(kwargs=_batch, get=B_UPLOAD),
    "imports:import_confirm": Rule(kwargs=_batch, get=_expect(405), post=B_UPLOAD),
    "imports:import_recheck": Rule(
        kwargs=_batch, get=_expect(405), post=B_UPLOAD, data=lambda w: {"encoding": "cp1251"}
    ),
    "imports:import_read_names": Rule(
        kwargs=_batch, get=_expect(405), post=B_UPLOAD, data=lambda w: {"name-0": "1"}
    ),
    "imports:import_read_fractions": Rule(kwargs=_batch, get=_expect(405), post=B_UPLOAD),
    "imports:import_discard": Rule(kwargs=_batch, get=_expect(405), post=B_UPLOAD),
    "imports:import_rollback": Rule(
        kwargs=_batch, get=_expect(405), post=_expect(404, demo_cso_b=403, demo_admin=OK)
    ),
    "imports:export": Rule(kwargs=lambda w: {"kind": "trainings", "fmt": "csv"}, get=EVERYONE),
    "imports:attendance_export": Rule(
        kwargs=lambda w: {"pk": w.training.pk, "fmt": "xlsx"}, get=B_READS
    ),
    # PDF reports: a recommendation report is its requester's and the programme team's.
    "reports:report_list": Rule(get=EVERYONE),
    "reports:report_request": Rule(
        get=EVERYONE,
        post=EVERYONE,
        data=lambda w: {"kind": ReportKind.RECOMMENDATION, "language": "en"},
    ),
    "reports:report_detail": Rule(kwargs=lambda w: {"pk": w.report.pk}, get=B_UPLOAD),
    "reports:report_download": Rule(kwargs=lambda w: {"pk": w.report.pk}, get=B_UPLOAD),
    # Reported indicator values: CSO B enters its indicator's, the programme team reviews.
    "programme:value_mine": Rule(get=EVERYONE),
    "programme:value_report": Rule(
        kwargs=lambda w: {"pk": w.value_draft.indicator_id, "period_pk": w.value_draft.period_id},
        get=OWNER_WRITES,
        post=OWNER_WRITES,
        data=lambda w: {"actual": "7", "seen_at": w.value_draft.updated_at.isoformat()},
    ),
    "programme:value_detail": Rule(kwargs=_value_submitted, get=B_READS),
    "programme:value_submit": Rule(kwargs=_value_draft, get=_expect(405), post=B_DRAFT),
    "programme:value_withdraw": Rule(kwargs=_value_submitted, get=B_WRITES, post=B_WRITES),
    "programme:value_review": Rule(
        kwargs=_value_submitted,
        get=_expect(403, demo_cso_a=404, demo_ministry=404, demo_admin=OK),
        post=_expect(403, demo_cso_a=404, demo_ministry=404, demo_admin=OK),
        data=lambda w: {"decision": "approve"},
    ),
    "programme:value_evidence_add": Rule(
        kwargs=_value_draft,
        get=B_DRAFT,
        post=B_DRAFT,
        data=lambda w: {"title": "Planted", "url": "https://example.org/planted"},
    ),
    "programme:value_evidence_download": Rule(
        kwargs=lambda w: {"pk": w.value_evidence.pk}, get=B_READS
    ),
    "programme:value_evidence_remove": Rule(
        kwargs=lambda w: {"pk": w.value_evidence.pk}, get=B_WRITES, post=B_WRITES
    ),
    # The results framework: everyone signed in reads it; the programme team alone changes
    # an indicator's settings and closes or reopens a period.
    "programme:results_framework": Rule(get=EVERYONE),
    "programme:results_iptt": Rule(get=EVERYONE),
    "programme:results_iptt_xlsx": Rule(get=EVERYONE),
    "programme:results_iptt_csv": Rule(get=EVERYONE),
    "programme:results_indicator": Rule(
        kwargs=lambda w: {"pk": w.value_draft.indicator_id}, get=EVERYONE
    ),
    "programme:results_indicator_settings": Rule(
        kwargs=lambda w: {"pk": w.value_draft.indicator_id},
        get=TEAM_ONLY,
        post=TEAM_ONLY,
        data=lambda w: {
            "kind": "reported",
            "responsible": w.cso_b.pk,
            "baseline": "5",
            "target_end": "40",
            "direction": "decrease",
            "aggregation": "latest",
        },
    ),
    # The steering committee's meetings: everyone signed in reads them and their minutes;
    # only the programme team records them and prepares the next one.
    "programme:meeting_minutes_download": Rule(
        kwargs=lambda w: _meeting_with_minutes(w), get=EVERYONE
    ),
    "programme:meeting_create": Rule(
        get=TEAM_ONLY,
        post=TEAM_ONLY,
        data=lambda w: {"number": "9", "status": "planned", "format": "online"},
    ),
    "programme:meeting_prepare": Rule(get=TEAM_ONLY, post=TEAM_ONLY),
    "programme:meeting_edit": Rule(
        kwargs=lambda w: {"pk": w.meeting.pk},
        get=TEAM_ONLY,
        post=TEAM_ONLY,
        data=lambda w: {
            "number": "3",
            "status": "held",
            "date": "2024-03-01",
            "place": "Planted",
            "format": "online",
        },
    ),
    "programme:meeting_attendance": Rule(
        kwargs=lambda w: {"pk": w.meeting.pk},
        get=TEAM_ONLY,
        post=TEAM_ONLY,
        data=lambda w: {
            "attendance-TOTAL_FORMS": "1",
            "attendance-INITIAL_FORMS": "0",
            "attendance-0-institution": str(w.cso_b.pk),
        },
    ),
    "programme:meeting_decision_add": Rule(
        kwargs=lambda w: {"pk": w.meeting.pk},
        get=TEAM_ONLY,
        post=TEAM_ONLY,
        data=lambda w: {"number": "9", "text": "Planted decision"},
    ),
    "programme:meeting_decision_edit": Rule(
        kwargs=lambda w: _decision(w),
        get=TEAM_ONLY,
        post=TEAM_ONLY,
        data=lambda w: {"number": "9", "text": "Planted decision"},
    ),
    "programme:meeting_decision_remove": Rule(
        kwargs=lambda w: _decision(w), get=TEAM_ONLY, post=TEAM_ONLY
    ),
    "programme:action_point_add": Rule(
        kwargs=lambda w: {"pk": w.meeting.pk},
        get=TEAM_ONLY,
        post=TEAM_ONLY,
        data=lambda w: {"description": "Planted", "owner": str(w.cso_b.pk)},
    ),
    # The owner reports progress (action_point_edit); what was asked is the team's.
    "programme:action_point_revise": Rule(
        kwargs=lambda w: {"pk": w.action_point.pk},
        get=TEAM_ONLY,
        post=TEAM_ONLY,
        data=lambda w: {"description": "Planted", "owner": str(w.cso_b.pk)},
    ),
    "programme:action_point_remove": Rule(
        kwargs=lambda w: {"pk": w.action_point.pk}, get=TEAM_ONLY, post=TEAM_ONLY
    ),
    "programme:results_period_close": Rule(
        kwargs=lambda w: {"pk": w.period.pk}, get=TEAM_ONLY, post=TEAM_ONLY
    ),
    "programme:results_period_reopen": Rule(
        kwargs=lambda w: {"pk": _period_closed(w)}, get=TEAM_ONLY, post=TEAM_ONLY
    ),
    # Content translations (core.translation_work): the programme team's task.
    "core:translations": Rule(get=TEAM_ONLY, post=TEAM_ONLY),
    "core:translations_export": Rule(get=TEAM_ONLY),
    # (narrative rules)
    # The period narrative (programme/narrative_views.py): the programme team's pages alone.
    "programme:narrative_period": Rule(kwargs=lambda w: {"pk": w.period.pk}, get=TEAM_ONLY),
    "programme:narrative_part_edit": Rule(
        kwargs=lambda w: {"pk": w.period.pk, "part": "executive-summary"},
        get=TEAM_ONLY,
        post=TEAM_ONLY,
        data=lambda w: {
            "executive_summary_en": "Planted",
            "executive_summary_origin_mk": "working",
        },
    ),
    "programme:narrative_outcome_edit": Rule(
        kwargs=lambda w: {"pk": w.period.pk, "outcome": w.value_draft.indicator.outcome_id},
        get=TEAM_ONLY,
        post=TEAM_ONLY,
        data=lambda w: {"text_en": "Planted", "text_origin_mk": "working"},
    ),
    "programme:narrative_risk_add": Rule(
        kwargs=lambda w: {"pk": w.period.pk},
        get=TEAM_ONLY,
        post=TEAM_ONLY,
        data=lambda w: {"description_en": "Planted", "order": "1"},
    ),
    "programme:narrative_risk_edit": Rule(
        kwargs=lambda w: _narrative_risk(w),
        get=TEAM_ONLY,
        post=TEAM_ONLY,
        data=lambda w: {"description_en": "Planted", "order": "1"},
    ),
    "programme:narrative_risk_remove": Rule(
        kwargs=lambda w: _narrative_risk(w), get=TEAM_ONLY, post=TEAM_ONLY
    ),
    "programme:narrative_undo": Rule(
        kwargs=lambda w: {
            "pk": w.period.pk,
            "kind": "risk",
            "record": _narrative_risk(w)["risk"],
        },
        get=_expect(405),
        post=TEAM_ONLY,
    ),
    # (narrative rules end)
    # The REST API (api/): the same gates as the portal's pages, signed in through the session
    # here (tokens in tests/api/). JSON answers 401 without credentials, 405 to any write.
    # Its answers are expected as 200, not OK: JSON and YAML, not pages for the page walkers.
    "api:schema": Rule(get=_expect(200, anonymous=200), post=_expect(405, anonymous=405)),
    "api:docs": Rule(get=EVERYONE),
    "api:tokens": Rule(get=EVERYONE, post=EVERYONE, data=lambda w: {"name": "Matrix"}),
    "api:token_revoke": Rule(
        kwargs=lambda w: {
            "pk": w.users["demo-cso-b"]
            .api_tokens.get_or_create(name="Matrix", defaults={"digest": "0" * 64})[0]
            .pk
        },
        get=_expect(404, demo_cso_b=OK),
        post=_expect(404, demo_cso_b=OK),
    ),
    **{
        f"api:{basename}-list": Rule(
            get=_expect(200, anonymous=401), post=_expect(405, anonymous=401)
        )
        for basename in (
            "institution",
            "action",
            "period",
            "outcome",
            "indicator",
            "indicator-value",
            "recommendation",
            "update",
            "training",
            "meeting",
            "decision",
            "action-point",
            "study",
        )
    },
    **{
        f"api:{basename}-detail": Rule(
            kwargs=kwargs,
            get=_expect(200, anonymous=401, **refused),
            post=_expect(405, anonymous=401),
        )
        for basename, kwargs, refused in (
            ("institution", lambda w: {"pk": w.cso_b.pk}, {}),
            ("action", lambda w: {"pk": Action.objects.get().pk}, {}),
            ("period", lambda w: {"pk": w.period.pk}, {}),
            ("outcome", lambda w: {"pk": w.value_draft.indicator.outcome_id}, {}),
            ("indicator", lambda w: {"pk": w.value_draft.indicator_id}, {}),
            (
                "indicator-value",
                _value_draft,
                {"demo_cso_a": 404, "demo_ministry": 404, "demo_observer": 404},
            ),
            ("recommendation", lambda w: {"pk": w.rec_for_b.pk}, {}),
            ("update", _update, {"demo_cso_a": 404, "demo_ministry": 404}),
            ("training", _training, {"demo_cso_a": 404, "demo_ministry": 404}),
            ("meeting", lambda w: {"pk": w.meeting.pk}, {}),
            ("decision", lambda w: _decision(w), {}),
            ("action-point", lambda w: {"pk": w.action_point.pk}, {}),
            ("study", lambda w: {"pk": w.study.pk}, {}),
        )
    },
    # (api rules end)
    # Calendar feeds (calendars/).
    # Everyone signed in manages their own address; the address is the key to its feed.
    "calendars:settings": Rule(get=EVERYONE),
    "calendars:address_create": Rule(get=EVERYONE, post=EVERYONE),
    "calendars:address_revoke": Rule(get=EVERYONE, post=EVERYONE),
    "calendars:feed": Rule(
        kwargs=lambda w: {"token": _calendar_token(w)},
        get=_expect(OK, anonymous=OK),
        post=_expect(405, anonymous=405),
    ),
    "calendars:public": Rule(get=_expect(OK, anonymous=OK), post=_expect(405, anonymous=405)),
    # One event, behind the gate of its page.
    "calendars:meeting_ics": Rule(
        kwargs=lambda w: {"pk": Meeting.objects.exclude(date=None).order_by("pk")[0].pk},
        get=EVERYONE,
    ),
    "calendars:training_ics": Rule(kwargs=_training, get=B_READS),
    # (calendars rules end)
    # The public site and the IATI export (public/): anonymous readers welcome.
    **{
        f"public:{page}": Rule(get=_expect(OK, anonymous=OK), post=_expect(405, anonymous=405))
        for page in ("home", "results", "trainings", "research", "recommendations", "meetings")
    },
    # The same pages in the language their address names.
    **{
        f"public:{page}_in": Rule(
            kwargs=lambda w: {"language": "mk"},
            get=_expect(OK, anonymous=OK),
            post=_expect(405, anonymous=405),
        )
        for page in ("home", "results", "trainings", "research", "recommendations", "meetings")
    },
    "public:sitemap": Rule(get=_expect(OK, anonymous=OK), post=_expect(405, anonymous=405)),
    "public:robots": Rule(get=_expect(OK, anonymous=OK), post=_expect(405, anonymous=405)),
    # A published study's file, once its study is public.
    "public:study_file": Rule(
        kwargs=lambda w: {
            "pk": StudyVersion.objects.create(
                study=Study.objects.create(
                    action=Action.objects.get(),
                    slug="published-for-everyone",
                    title_en="Published for everyone",
                    status="published",
                    published_on=date(2025, 1, 10),
                    is_public=True,
                ),
                language=LanguageVersion.ENGLISH,
                file=SimpleUploadedFile("published.pdf", PDF),
            ).pk
        },
        get=_expect(OK, anonymous=OK),
        post=_expect(405, anonymous=405),
    ),
    "public:iati_activities": Rule(get=_expect(OK, anonymous=OK), post=_expect(405, anonymous=405)),
    # (public rules end)
}


def _narrative_risk(w: World) -> dict[str, Any]:
    """A risk the programme team named for the world's period (made once, then reused)."""
    from programme.models import PeriodRisk

    risk = PeriodRisk.objects.filter(period=w.period).order_by("pk").first()
    if risk is None:
        risk = PeriodRisk.objects.create(
            period=w.period, description_en="Staff turnover in the referral units", order=1
        )
    return {"pk": w.period.pk, "risk": risk.pk}


def _meeting_with_minutes(w: World) -> dict[str, Any]:
    """The world's meeting, with its minutes as a file."""
    if not w.meeting.minutes_file:
        w.meeting.minutes_file.save("minutes.pdf", SimpleUploadedFile("minutes.pdf", PDF))
    return {"pk": w.meeting.pk}


def _decision(w: World) -> dict[str, Any]:
    decision = w.meeting.decisions.order_by("number").first()
    assert decision is not None
    return {"pk": decision.pk}


def _period_closed(w: World) -> int:
    """The action's first period, closed by the programme team."""
    from programme.services import reporting_period_close

    period = ReportingPeriod.objects.order_by("start_date")[0]
    if not period.is_closed:
        reporting_period_close(period=period, by=w.users["demo-admin"])
    return period.pk


def _approved_evidence(w: World) -> int:
    """A file on an approved update, which everyone reads and only the programme team redacts."""
    approved = ProgressUpdate.objects.filter(state=UpdateState.APPROVED).order_by("pk")[0]
    evidence = Evidence.objects.create(
        update=approved, title="Forum minutes", file=SimpleUploadedFile("minutes.pdf", PDF)
    )
    return evidence.pk


def _calendar_token(w: World) -> str:
    """CSO B's calendar address: its token opens the feed whoever asks."""
    from calendars.services import calendar_address_create

    return calendar_address_create(user=w.users["demo-cso-b"]).token


def _request_to_cso_b(w: World) -> int:
    """Demo CSO A asks CSO B's focal point to join it."""
    from stakeholders.services import membership_request_make

    request = membership_request_make(
        institution=Institution.objects.get(code="demo-cso-a"),
        user=w.users["demo-cso-b"],
        role=MembershipRole.VIEWER,
        by=w.users["demo-cso-a"],
    )
    return request.pk


def _notification_of_cso_b(w: World) -> int:
    """The demo left CSO B's members a notice: their update was returned."""
    from notifications.models import Notification

    pk: int = Notification.objects.filter(recipient=w.users["demo-cso-b"]).values_list(
        "pk", flat=True
    )[0]
    return pk


def portal_url_keys() -> Iterator[str]:
    """One key for every URL pattern of the URL conf in force, outside the Django admin: its
    name with its namespace, or, for a pattern without a name, its whole route from the root.

    The admin is the programme team's, behind Django's model permissions; test_admin.py walks
    every model's pages there.
    """

    def walk(patterns: list[Any], namespace: str, prefix: str) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                yield from walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                if pattern.name:
                    yield f"{namespace}:{pattern.name}" if namespace else pattern.name
                else:
                    yield "/" + prefix + str(pattern.pattern)

    return walk(get_resolver().url_patterns, "", "")


def url_for(key: str, kwargs: dict[str, Any]) -> str:
    """The URL a rule's key names: a named URL reversed, an unnamed one's route filled in."""
    if not key.startswith("/"):
        return reverse(key, kwargs=kwargs)
    assert "^" not in key, f"{key}: give this regular-expression URL a name to reverse it by"
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda part: str(kwargs[part.group(1)]), key)


def urls_without_a_rule() -> set[str]:
    return set(portal_url_keys()) - RULES.keys()


def test_every_url_has_a_rule_and_every_rule_a_url() -> None:
    keys = list(portal_url_keys())
    shared = {key for key in keys if keys.count(key) > 1}
    assert shared == set(), "URL patterns sharing a name: only one of each is ever reached"
    assert urls_without_a_rule() == set(), "URLs without a persona rule"
    assert RULES.keys() - set(keys) == set(), "rules for URLs that no longer exist"


def _a_view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse()


class UnnamedPatterns:
    """A URL conf with patterns that have no name, one of them inside an include."""

    urlpatterns = [
        path("health/", _a_view, name="health"),
        path("unnamed/<int:pk>/", _a_view),
        path("section/", include(([path("inner/<slug:slug>/", _a_view)], "section"))),
        path("admin/", admin.site.urls),
    ]


@override_settings(ROOT_URLCONF=UnnamedPatterns)
def test_a_url_without_a_name_needs_a_rule_too() -> None:
    assert list(portal_url_keys()) == [
        "health",
        "/unnamed/<int:pk>/",
        "/section/inner/<slug:slug>/",
    ]
    assert urls_without_a_rule() == {"/unnamed/<int:pk>/", "/section/inner/<slug:slug>/"}
    # A rule keyed by the route reaches the pattern it was written for.
    url = url_for("/section/inner/<slug:slug>/", {"slug": "a-study"})
    assert url == "/section/inner/a-study/"
    assert resolve(url).func is _a_view
    assert url_for("/unnamed/<int:pk>/", {"pk": 7}) == "/unnamed/7/"


# --- Checking ------------------------------------------------------------------------------


def database_fingerprint() -> str:
    """A digest of every row of every table except the sessions and the record of who signed
    in and out (logging in and out writes those)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN "
            "('django_session', 'stakeholders_usersession', 'axes_accesslog') ORDER BY tablename"
        )
        tables = [row[0] for row in cursor.fetchall()]
        digest = hashlib.sha256()
        for table in tables:
            quoted = connection.ops.quote_name(table)
            cursor.execute(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # noqa: S608
                f"FROM {quoted} t"
            )
            digest.update(f"{table}:{cursor.fetchone()[0]};".encode())
    return digest.hexdigest()


def _client_for(persona: str, world: World) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(world.users[persona])
    return client


def _check(response: Any, expected: Any, url: str, persona: str, method: str) -> None:
    where = f"{method} {url} as {persona}"
    if expected == OK:
        assert response.status_code in (200, 302), f"{where}: {response.status_code}"
        if response.status_code == 302:
            assert not response["Location"].startswith("/accounts/login/"), where
    elif expected == LOGIN:
        assert response.status_code == 302, f"{where}: {response.status_code}"
        assert response["Location"].startswith("/accounts/login/?next="), where
    else:
        assert response.status_code == expected, f"{where}: {response.status_code}"


@pytest.mark.parametrize("name", sorted(RULES))
def test_persona_matrix(name: str, world: World) -> None:
    rule = RULES[name]
    url = url_for(name, rule.kwargs(world))
    for persona in PERSONAS:
        for method, expected in (("GET", rule.get[persona]), ("POST", rule.post[persona])):
            client = _client_for(persona, world)
            before = database_fingerprint()
            # Each request is rolled back afterwards, so one persona's allowed write does
            # not change what the next persona meets.
            with transaction.atomic():
                response = _send(client, method, url, rule.data(world))
                _check(response, expected, url, persona, method)
                if expected != OK:
                    assert database_fingerprint() == before, f"{method} {url} as {persona} wrote"
                transaction.set_rollback(True)


def _send(client: Client, method: str, url: str, data: dict[str, Any]) -> Any:
    response = client.get(url) if method == "GET" else client.post(url, data)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    return response


# --- Forms that name an institution --------------------------------------------------------


def test_cso_a_cannot_log_a_training_for_cso_b(client: Client, world: World) -> None:
    client.force_login(world.users["demo-cso-a"])
    before = Training.objects.count()
    response = client.post(
        reverse("trainings:create"),
        {
            "title": "Logged for another CSO",
            "organiser": world.cso_b.pk,
            "topics": [Topic.objects.order_by("pk")[0].pk],
            "status": "planned",
        },
    )
    assert response.status_code == 200
    assert "organiser" in response.context["form"].errors
    assert Training.objects.count() == before


def test_ministry_cannot_report_on_behalf_of_cso_b(client: Client, world: World) -> None:
    """Both report on recommendation 10; the institution field offers only the user's own."""
    client.force_login(world.users["demo-ministry"])
    before = ProgressUpdate.objects.count()
    response = client.post(
        reverse("recommendations:update_create", kwargs={"pk": world.rec_for_b.pk}),
        {
            "institution": world.cso_b.pk,
            "period": world.period.pk,
            "status": "in_progress",
            "narrative": "Reported on another institution's behalf",
        },
    )
    assert response.status_code == 200
    assert "institution" in response.context["form"].errors
    assert ProgressUpdate.objects.count() == before


def test_cso_b_cannot_move_its_training_to_cso_a(client: Client, world: World) -> None:
    client.force_login(world.users["demo-cso-b"])
    cso_a = Institution.objects.get(code="demo-cso-a")
    response = client.post(
        reverse("trainings:edit", kwargs={"pk": world.training.pk}),
        {
            "title": world.training.title,
            "organiser": cso_a.pk,
            "topics": [t.pk for t in world.training.topics.all()],
            "status": "planned",
            "seen_at": world.training.updated_at.isoformat(),
        },
    )
    assert response.status_code == 200
    assert "organiser" in response.context["form"].errors
    world.training.refresh_from_db()
    assert world.training.organiser_id == world.cso_b.pk


def test_an_owner_field_posted_to_an_action_point_is_ignored(client: Client, world: World) -> None:
    client.force_login(world.users["demo-cso-b"])
    cso_a = Institution.objects.get(code="demo-cso-a")
    response = client.post(
        reverse("programme:action_point_edit", kwargs={"pk": world.action_point.pk}),
        {
            "status": "in_progress",
            "progress_note": "Two schools mapped",
            "owner": cso_a.pk,
            "meeting": Meeting.objects.get(number=4).pk,
            "seen_at": world.action_point.updated_at.isoformat(),
        },
    )
    assert response.status_code == 302
    world.action_point.refresh_from_db()
    assert world.action_point.progress_note == "Two schools mapped"
    assert world.action_point.owner_id == world.cso_b.pk
    assert world.action_point.meeting_id == world.meeting.pk


# --- What CSO A's lists and search show ----------------------------------------------------

# Each CSO B record is searched for by the start of its text, and the full text is what must
# not appear: the search box repeats the query, the results would repeat the whole text.
B_ONLY_MARKERS = {
    "training": ("Peer educators", "Peer educators on safe online job searching"),
    "update": ("Schools were", "Schools were contacted."),
}
LIST_PAGES = ["/", "/trainings/", "/recommendations/", "/meetings/", "/research/", "/institutions/"]


@pytest.mark.parametrize("marker", sorted(B_ONLY_MARKERS))
def test_cso_a_lists_and_search_hold_nothing_only_cso_b_may_see(
    client: Client, world: World, marker: str
) -> None:
    query, text = B_ONLY_MARKERS[marker]
    pages = [*LIST_PAGES, *(f"{page}?q={query}" for page in LIST_PAGES[1:]), f"/search/?q={query}"]
    recommendation_page = f"/recommendations/{world.rec_for_b.pk}/"

    client.force_login(world.users["demo-cso-b"])
    seen_by_b = [
        url for url in [*pages, recommendation_page] if text in client.get(url).content.decode()
    ]
    assert seen_by_b, "the marker must be visible to CSO B, or this test proves nothing"

    client.force_login(world.users["demo-cso-a"])
    for url in [*pages, recommendation_page]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert text not in response.content.decode(), f"CSO A sees CSO B's {marker} on {url}"


# --- What CSO A's exports hold --------------------------------------------------------------

EXPORT_KINDS = [kind for kind in ImportKind.values if kind != ImportKind.ATTENDANCE]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cso_a_exports_hold_nothing_only_cso_b_may_see(
    client: Client, world: World, fmt: str
) -> None:
    """Every export CSO A may download, in each format, against every CSO B-only record.

    The xlsx is read back as text with openpyxl, so a marker cannot hide in its zip.
    """

    def exported_text(username: str) -> str:
        client.force_login(world.users[username])
        texts = []
        for kind in EXPORT_KINDS:
            response = client.get(reverse("imports:export", kwargs={"kind": kind, "fmt": fmt}))
            assert response.status_code == 200, (username, kind)
            texts.append(_spreadsheet_text(response.content, fmt))
        return "\n".join(texts)

    markers = [text for _query, text in B_ONLY_MARKERS.values()]
    seen_by_b = exported_text("demo-cso-b")
    assert all(text in seen_by_b for text in markers), "CSO B must see its own records"
    seen_by_a = exported_text("demo-cso-a")
    assert [text for text in markers if text in seen_by_a] == []


def _spreadsheet_text(content: bytes, fmt: str) -> str:
    if fmt == "csv":
        return content.decode("utf-8-sig")
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        "\t".join("" if value is None else str(value) for value in row)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    )
