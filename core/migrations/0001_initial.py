# The email outbox's model, moved from the programme app with its table.

import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MODELS = ["outboxemail"]


def relabel_forward(apps, schema_editor):
    # Permissions and the admin's log keep pointing at the same content types.
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="programme", model__in=MODELS).update(app_label="core")


def relabel_backward(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="core", model__in=MODELS).update(app_label="programme")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("programme", "0011_account_emails"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay as they are, under their names; only Django's record of
            # which app holds the models changes.
            state_operations=[
                migrations.CreateModel(
                    name="OutboxEmail",
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
                        ("to", models.EmailField(max_length=254, verbose_name="to")),
                        (
                            "key",
                            models.CharField(
                                help_text="What the email is; an email with the same key is never made twice.",
                                max_length=200,
                                unique=True,
                                verbose_name="key",
                            ),
                        ),
                        (
                            "language",
                            models.CharField(
                                choices=[
                                    ("en", "English"),
                                    ("mk", "Macedonian"),
                                    ("sq", "Albanian"),
                                ],
                                max_length=8,
                                verbose_name="language",
                            ),
                        ),
                        (
                            "subject",
                            models.CharField(blank=True, max_length=255, verbose_name="subject"),
                        ),
                        ("body_text", models.TextField(blank=True, verbose_name="text")),
                        ("body_html", models.TextField(blank=True, verbose_name="HTML")),
                        (
                            "build",
                            models.CharField(
                                blank=True,
                                help_text="Empty for an email stored whole; else the kind of email made when it is sent.",
                                max_length=40,
                                verbose_name="made when sent as",
                            ),
                        ),
                        (
                            "build_args",
                            models.JSONField(
                                blank=True,
                                default=dict,
                                encoder=django.core.serializers.json.DjangoJSONEncoder,
                                verbose_name="made from",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Waiting to be sent"),
                                    ("sent", "Sent"),
                                    ("failed", "Failed: no more tries"),
                                    ("closed", "Closed: nothing to send"),
                                ],
                                default="pending",
                                max_length=20,
                                verbose_name="status",
                            ),
                        ),
                        (
                            "attempts",
                            models.PositiveSmallIntegerField(default=0, verbose_name="tries"),
                        ),
                        (
                            "next_attempt_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="next try"
                            ),
                        ),
                        ("last_error", models.TextField(blank=True, verbose_name="last error")),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="created"),
                        ),
                        (
                            "sent_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="sent at"),
                        ),
                        (
                            "recipient",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="outbox_emails",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="recipient",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "outgoing email",
                        "verbose_name_plural": "outgoing emails",
                        "db_table": "programme_outboxemail",
                        "ordering": ["-created_at", "-pk"],
                        "indexes": [
                            models.Index(fields=["status", "next_attempt_at"], name="outbox_due")
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(relabel_forward, relabel_backward),
    ]
