# The notifications' models, moved from the programme app with their tables.

import django.core.serializers.json
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MODELS = ["notification", "notificationpreference"]


def relabel_forward(apps, schema_editor):
    # Permissions and the admin's log keep pointing at the same content types.
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="programme", model__in=MODELS).update(
        app_label="notifications"
    )


def relabel_backward(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="notifications", model__in=MODELS).update(
        app_label="programme"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("programme", "0011_account_emails"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay as they are, under their names; only Django's record of
            # which app holds the models changes.
            state_operations=[
                migrations.CreateModel(
                    name="NotificationPreference",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="created"),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                        (
                            "frequency",
                            models.CharField(
                                choices=[
                                    ("immediately", "Immediately: one email for each notification"),
                                    ("daily", "Once a day: one digest email"),
                                    ("weekly", "Once a week: one digest email on Monday"),
                                    ("off", "Never: only on the notifications page"),
                                ],
                                default="daily",
                                max_length=20,
                                verbose_name="email",
                            ),
                        ),
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notification_preference",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="user",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "notification preference",
                        "verbose_name_plural": "notification preferences",
                        "db_table": "programme_notificationpreference",
                    },
                ),
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("update_due", "Progress updates due"),
                                    ("update_submitted", "Progress update to review"),
                                    ("update_returned", "Progress update returned"),
                                    ("update_approved", "Progress update approved"),
                                    ("action_point_due", "Action point due"),
                                    ("training_starts", "Training about to start"),
                                    ("training_record", "Training record to complete"),
                                    ("study_due", "Research milestone"),
                                    ("report_finished", "Report finished"),
                                ],
                                max_length=30,
                                verbose_name="kind",
                            ),
                        ),
                        (
                            "stage",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("before", "Due soon"),
                                    ("due", "Due today"),
                                    ("overdue", "Overdue"),
                                    ("escalated", "Overdue: escalated to the programme team"),
                                ],
                                max_length=20,
                                verbose_name="stage",
                            ),
                        ),
                        (
                            "key",
                            models.CharField(
                                help_text="What the notification is about; nobody is told the same thing twice.",
                                max_length=200,
                                verbose_name="key",
                            ),
                        ),
                        (
                            "params",
                            models.JSONField(
                                blank=True,
                                default=dict,
                                encoder=django.core.serializers.json.DjangoJSONEncoder,
                                verbose_name="details",
                            ),
                        ),
                        ("url", models.CharField(max_length=500, verbose_name="link")),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="created"),
                        ),
                        (
                            "read_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="read at"),
                        ),
                        (
                            "email_state",
                            models.CharField(
                                choices=[
                                    ("pending", "Waiting for the next digest"),
                                    ("emailed", "Emailed"),
                                    ("skipped", "Not emailed (the recipient's choice)"),
                                ],
                                default="pending",
                                max_length=20,
                                verbose_name="email",
                            ),
                        ),
                        (
                            "email",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="notifications",
                                to="core.outboxemail",
                                verbose_name="sent in",
                            ),
                        ),
                        (
                            "recipient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="recipient",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "notification",
                        "verbose_name_plural": "notifications",
                        "db_table": "programme_notification",
                        "ordering": ["-created_at", "-pk"],
                        "indexes": [
                            models.Index(
                                fields=["recipient", "read_at"], name="notification_unread"
                            ),
                            models.Index(
                                fields=["email_state", "recipient"], name="notification_email_due"
                            ),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("recipient", "key"),
                                name="notification_unique_key",
                                violation_error_message="This person was already told about this.",
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(relabel_forward, relabel_backward),
    ]
