# Account emails (password resets, invitations, membership requests) go through the outbox,
# stored as what to make them from, so that no one-time link is ever kept in the database.

import django.core.serializers.json
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("programme", "0010_report_sweep")]

    operations = [
        migrations.AddField(
            model_name="outboxemail",
            name="build",
            field=models.CharField(
                blank=True,
                help_text="Empty for an email stored whole; else the kind of email made when it is sent.",
                max_length=40,
                verbose_name="made when sent as",
            ),
        ),
        migrations.AddField(
            model_name="outboxemail",
            name="build_args",
            field=models.JSONField(
                blank=True,
                default=dict,
                encoder=django.core.serializers.json.DjangoJSONEncoder,
                verbose_name="made from",
            ),
        ),
        migrations.AlterField(
            model_name="outboxemail",
            name="subject",
            field=models.CharField(blank=True, max_length=255, verbose_name="subject"),
        ),
        migrations.AlterField(
            model_name="outboxemail",
            name="body_text",
            field=models.TextField(blank=True, verbose_name="text"),
        ),
        migrations.AlterField(
            model_name="outboxemail",
            name="body_html",
            field=models.TextField(blank=True, verbose_name="HTML"),
        ),
        migrations.AlterField(
            model_name="outboxemail",
            name="status",
            field=models.CharField(
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
    ]
