# The periodic jobs under the names of the apps that now hold them, and one sweep for every job
# left waiting (emails due, reports and imports whose queue message was lost) instead of one
# per kind. Schedules an admin changed keep their times.

from django.db import migrations

RENAMED = {
    "programme.notifications.reminders_run": "notifications.reminders_run",
    "programme.notifications.digest_send": "notifications.digest_send",
}
OUTBOX_SWEEP = "programme.notifications.outbox_sweep"
REPORT_SWEEP = "programme.reports.sweep"
SWEEP_NAME = "Jobs: queue again what was left waiting"
SWEEP_TASK = "core.jobs_sweep"


def forward(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    for old, new in RENAMED.items():
        PeriodicTask.objects.filter(task=old).update(task=new)
    PeriodicTask.objects.filter(task__in=[OUTBOX_SWEEP, REPORT_SWEEP]).delete()
    if not PeriodicTask.objects.filter(name=SWEEP_NAME).exists():
        interval, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
        PeriodicTask.objects.create(name=SWEEP_NAME, task=SWEEP_TASK, kwargs="{}", interval=interval)


def backward(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    for old, new in RENAMED.items():
        PeriodicTask.objects.filter(task=new).update(task=old)
    PeriodicTask.objects.filter(task=SWEEP_TASK).delete()
    interval, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    for name, task in (
        ("Notifications: send the outbox", OUTBOX_SWEEP),
        ("Reports: queue the reports left waiting", REPORT_SWEEP),
    ):
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "kwargs": "{}", "interval": interval}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("programme", "0010_report_sweep"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forward, backward)]
