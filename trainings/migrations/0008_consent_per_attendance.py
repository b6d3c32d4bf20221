# Consent is given at a training, for that training: it moves from the participant's record
# onto each attendance. Every attendance of a participant who had consented gets the consent
# and its date; going back, a participant consented if any of their attendances had.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

CONSENT_HELP = (
    "The participant agreed, at this training, that their details are kept for the action "
    "and that its report names them."
)


def consent_to_attendance(apps, schema_editor):
    Attendance = apps.get_model("trainings", "Attendance")
    Participant = apps.get_model("trainings", "Participant")
    day = Participant.objects.filter(pk=OuterRef("participant_id")).values("consent_date")[:1]
    Attendance.objects.filter(participant__consent=True).update(
        consent=True, consent_date=Subquery(day)
    )


def consent_to_participant(apps, schema_editor):
    Attendance = apps.get_model("trainings", "Attendance")
    Participant = apps.get_model("trainings", "Participant")
    first = (
        Attendance.objects.filter(participant_id=OuterRef("pk"), consent=True)
        .order_by(models.F("consent_date").asc(nulls_last=True))
        .values("consent_date")[:1]
    )
    consented = Attendance.objects.filter(consent=True).values("participant_id")
    Participant.objects.filter(pk__in=consented).update(consent=True, consent_date=Subquery(first))


class Migration(migrations.Migration):
    dependencies = [
        ("trainings", "0007_retention_schedule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="attendance",
            name="consent",
            field=models.BooleanField(
                default=False, help_text=CONSENT_HELP, verbose_name="consent to processing"
            ),
        ),
        migrations.AddField(
            model_name="attendance",
            name="consent_date",
            field=models.DateField(blank=True, null=True, verbose_name="consent date"),
        ),
        migrations.AddField(
            model_name="attendance",
            name="consent_recorded_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="consent recorded"
            ),
        ),
        migrations.AddField(
            model_name="attendance",
            name="consent_recorded_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="consent recorded by",
            ),
        ),
        migrations.AddField(
            model_name="historicalattendance",
            name="consent",
            field=models.BooleanField(
                default=False, help_text=CONSENT_HELP, verbose_name="consent to processing"
            ),
        ),
        migrations.AddField(
            model_name="historicalattendance",
            name="consent_date",
            field=models.DateField(blank=True, null=True, verbose_name="consent date"),
        ),
        migrations.AddField(
            model_name="historicalattendance",
            name="consent_recorded_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="consent recorded"
            ),
        ),
        migrations.AddField(
            model_name="historicalattendance",
            name="consent_recorded_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="consent recorded by",
            ),
        ),
        migrations.RunPython(consent_to_attendance, consent_to_participant),
        migrations.RemoveField(model_name="historicalparticipant", name="consent"),
        migrations.RemoveField(model_name="historicalparticipant", name="consent_date"),
        migrations.RemoveField(model_name="participant", name="consent"),
        migrations.RemoveField(model_name="participant", name="consent_date"),
    ]
