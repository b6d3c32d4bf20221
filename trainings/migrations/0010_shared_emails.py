# Colleagues may share an email (info@...): it no longer has to be unique per institution.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('trainings', '0009_participant_registered_by'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='participant',
            name='participant_unique_email',
        ),
        migrations.RemoveConstraint(
            model_name='participant',
            name='participant_unique_email_unregistered',
        ),
    ]
