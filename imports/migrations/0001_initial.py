# The import batches' model, moved from the programme app with its table.

import django.db.models.deletion
import imports.models
from django.conf import settings
from django.db import migrations, models


MODELS = ["importbatch"]


def relabel_forward(apps, schema_editor):
    # Permissions and the admin's log keep pointing at the same content types.
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="programme", model__in=MODELS).update(app_label="imports")


def relabel_backward(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="imports", model__in=MODELS).update(app_label="programme")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("programme", "0011_account_emails"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("trainings", "0009_participant_registered_by"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay as they are, under their names; only Django's record of
            # which app holds the models changes.
            state_operations=[
                migrations.CreateModel(
                    name="ImportBatch",
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
                            "kind",
                            models.CharField(
                                choices=[
                                    ("institutions", "Institutions"),
                                    ("trainings", "Trainings"),
                                    ("attendance", "Participants and attendance of a training"),
                                    ("recommendations", "Recommendations and their institutions"),
                                    ("progress_updates", "Progress updates"),
                                    ("action_points", "Meeting action points"),
                                    ("indicator_values", "Indicator values per period"),
                                ],
                                max_length=30,
                                verbose_name="what is imported",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("queued", "Waiting to be checked"),
                                    ("checking", "Being checked"),
                                    ("checked", "Checked: ready to import"),
                                    ("invalid", "Problems found: nothing imported"),
                                    ("applying", "Being imported"),
                                    ("applied", "Imported"),
                                    ("failed", "Failed: nothing imported"),
                                    ("rolled_back", "Rolled back"),
                                    ("discarded", "Discarded"),
                                ],
                                default="queued",
                                max_length=20,
                                verbose_name="status",
                            ),
                        ),
                        (
                            "file",
                            models.FileField(
                                upload_to=imports.models.import_upload_to,
                                verbose_name="original file",
                            ),
                        ),
                        (
                            "original_name",
                            models.CharField(max_length=255, verbose_name="file name"),
                        ),
                        (
                            "size",
                            models.PositiveIntegerField(default=0, verbose_name="size in bytes"),
                        ),
                        (
                            "sha256",
                            models.CharField(db_index=True, max_length=64, verbose_name="SHA-256"),
                        ),
                        (
                            "language",
                            models.CharField(default="en", max_length=8, verbose_name="language"),
                        ),
                        (
                            "encoding",
                            models.CharField(
                                blank=True,
                                help_text="For CSV files: the character encoding chosen, or empty to detect it.",
                                max_length=20,
                                verbose_name="encoding",
                            ),
                        ),
                        (
                            "detected_encoding",
                            models.CharField(
                                blank=True, max_length=20, verbose_name="encoding read"
                            ),
                        ),
                        ("total_rows", models.PositiveIntegerField(default=0, verbose_name="rows")),
                        (
                            "processed_rows",
                            models.PositiveIntegerField(default=0, verbose_name="rows checked"),
                        ),
                        ("new_count", models.PositiveIntegerField(default=0, verbose_name="new")),
                        (
                            "updated_count",
                            models.PositiveIntegerField(default=0, verbose_name="updated"),
                        ),
                        (
                            "unchanged_count",
                            models.PositiveIntegerField(default=0, verbose_name="unchanged"),
                        ),
                        (
                            "error_count",
                            models.PositiveIntegerField(default=0, verbose_name="problems"),
                        ),
                        (
                            "file_error",
                            models.TextField(
                                blank=True,
                                help_text="Why the file could not be read.",
                                verbose_name="problem with the file",
                            ),
                        ),
                        (
                            "encoding_samples",
                            models.JSONField(
                                blank=True, default=dict, verbose_name="encoding samples"
                            ),
                        ),
                        (
                            "errors",
                            models.JSONField(
                                blank=True, default=list, verbose_name="problems by row"
                            ),
                        ),
                        (
                            "preview",
                            models.JSONField(blank=True, default=list, verbose_name="preview"),
                        ),
                        (
                            "changes",
                            models.JSONField(
                                blank=True,
                                default=dict,
                                help_text="What the import created and what it changed, to roll it back.",
                                verbose_name="changes made",
                            ),
                        ),
                        (
                            "checked_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="checked at"),
                        ),
                        (
                            "applied_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="imported at"),
                        ),
                        (
                            "rolled_back_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="rolled back at"
                            ),
                        ),
                        (
                            "failure_reason",
                            models.TextField(blank=True, verbose_name="reason for the failure"),
                        ),
                        (
                            "applied_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="confirmed by",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="import_batches",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="imported by",
                            ),
                        ),
                        (
                            "rolled_back_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="rolled back by",
                            ),
                        ),
                        (
                            "training",
                            models.ForeignKey(
                                blank=True,
                                help_text="For participants and attendance: the training they attended.",
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="import_batches",
                                to="trainings.training",
                                verbose_name="training",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "import batch",
                        "verbose_name_plural": "import batches",
                        "db_table": "programme_importbatch",
                        "ordering": ["-created_at", "-pk"],
                        "indexes": [
                            models.Index(
                                fields=["created_by", "-created_at"], name="import_by_importer"
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(relabel_forward, relabel_backward),
    ]
