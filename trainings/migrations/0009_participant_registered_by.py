# Who registered a participant: only that institution's entries fill in the record. The
# register is unique per registering institution (an institution that cannot see a record
# registers the person anew). Records already kept count as registered by the organiser of
# the first training they were listed at.

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

REGISTERED_BY_HELP = (
    "The institution whose entry created this record. Only its entries fill in the record; "
    "another institution's entry lists the person without changing it."
)


def registered_by_first_organiser(apps, schema_editor):
    Attendance = apps.get_model("trainings", "Attendance")
    Participant = apps.get_model("trainings", "Participant")
    first = (
        Attendance.objects.filter(participant_id=OuterRef("pk"))
        .order_by("created_at", "pk")
        .values("training__organiser_id")[:1]
    )
    Participant.objects.filter(registered_by_institution__isnull=True).update(
        registered_by_institution=Subquery(first)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("stakeholders", "0005_membership_requests"),
        ("trainings", "0008_consent_per_attendance"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="participant", name="participant_unique_name_institution"
        ),
        migrations.RemoveConstraint(model_name="participant", name="participant_unique_email"),
        migrations.AddField(
            model_name="historicalparticipant",
            name="registered_by_institution",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text=REGISTERED_BY_HELP,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="stakeholders.institution",
                verbose_name="registered by",
            ),
        ),
        migrations.AddField(
            model_name="participant",
            name="registered_by_institution",
            field=models.ForeignKey(
                blank=True,
                help_text=REGISTERED_BY_HELP,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="registered_participants",
                to="stakeholders.institution",
                verbose_name="registered by",
            ),
        ),
        migrations.AddConstraint(
            model_name="participant",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("full_name"),
                models.F("institution"),
                models.F("registered_by_institution"),
                condition=models.Q(
                    ("institution__isnull", False), ("registered_by_institution__isnull", False)
                ),
                name="participant_unique_name_institution",
                violation_error_message=(
                    "This participant is already registered for this institution."
                ),
            ),
        ),
        migrations.AddConstraint(
            model_name="participant",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("full_name"),
                models.F("institution"),
                condition=models.Q(
                    ("institution__isnull", False), ("registered_by_institution__isnull", True)
                ),
                name="participant_unique_name_institution_unregistered",
                violation_error_message=(
                    "This participant is already registered for this institution."
                ),
            ),
        ),
        migrations.AddConstraint(
            model_name="participant",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                models.F("registered_by_institution"),
                condition=models.Q(
                    models.Q(("email", ""), _negated=True),
                    ("registered_by_institution__isnull", False),
                ),
                name="participant_unique_email",
                violation_error_message="A participant with this email is already registered.",
            ),
        ),
        migrations.AddConstraint(
            model_name="participant",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                condition=models.Q(
                    models.Q(("email", ""), _negated=True),
                    ("registered_by_institution__isnull", True),
                ),
                name="participant_unique_email_unregistered",
                violation_error_message="A participant with this email is already registered.",
            ),
        ),
        # Last: the rows it fills would otherwise hold up the indexes above in one transaction.
        migrations.RunPython(registered_by_first_organiser, migrations.RunPython.noop),
    ]
