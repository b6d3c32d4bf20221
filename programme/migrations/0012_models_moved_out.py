# The reports, imports, notifications and the email outbox moved to apps of their own; their
# tables stay.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("programme", "0011_account_emails"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay as they are, under their names; only Django's record of
            # which app holds the models changes.
            state_operations=[
                migrations.RemoveField(
                    model_name="notification",
                    name="email",
                ),
                migrations.RemoveField(
                    model_name="notification",
                    name="recipient",
                ),
                migrations.RemoveField(
                    model_name="notificationpreference",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="outboxemail",
                    name="recipient",
                ),
                migrations.RemoveField(
                    model_name="report",
                    name="meeting",
                ),
                migrations.RemoveField(
                    model_name="report",
                    name="period",
                ),
                migrations.RemoveField(
                    model_name="report",
                    name="recommendation",
                ),
                migrations.RemoveField(
                    model_name="report",
                    name="requested_by",
                ),
                migrations.RemoveField(
                    model_name="report",
                    name="training",
                ),
                migrations.DeleteModel(
                    name="ImportBatch",
                ),
                migrations.DeleteModel(
                    name="Notification",
                ),
                migrations.DeleteModel(
                    name="NotificationPreference",
                ),
                migrations.DeleteModel(
                    name="OutboxEmail",
                ),
                migrations.DeleteModel(
                    name="Report",
                ),
            ],
        ),
    ]
