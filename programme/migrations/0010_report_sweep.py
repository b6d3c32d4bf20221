# The periodic job that queues again the reports whose job was lost (Redis down when they were
# asked for, or a worker gone); created once, then the admin's to change (Periodic tasks).

from django.db import migrations

NAME = "Reports: queue the reports left waiting"
TASK = "programme.reports.sweep"


def schedule_create(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    interval, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.create(name=NAME, task=TASK, kwargs="{}", interval=interval)


def schedule_remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("programme", "0009_access_names"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule_create, schedule_remove)]
