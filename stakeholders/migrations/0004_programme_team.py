"""The programme team is a permission granted deliberately (stakeholders.roles), no longer
implied by a staff account."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("stakeholders", "0003_history")]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={
                "permissions": [("programme_team", "Acts as the programme team in the portal")],
                "verbose_name": "user",
                "verbose_name_plural": "users",
            },
        ),
    ]
