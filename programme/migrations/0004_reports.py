# The PDF reports: each generation of a report, its job status and its frozen file.

import django.core.serializers.json
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models



def report_upload_to(instance, filename):
    # Stands for the model's own upload_to, which moved with the model; the path is not stored.
    raise NotImplementedError


class Migration(migrations.Migration):

    dependencies = [
        ('programme', '0003_object_permissions'),
        ('recommendations', '0004_comments'),
        ('trainings', '0002_object_permissions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Report',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('kind', models.CharField(choices=[('committee', 'Steering-committee progress report'), ('recommendation', 'Recommendation implementation report'), ('training', 'Training report'), ('meeting', 'Meeting record')], max_length=20, verbose_name='kind')),
                ('language', models.CharField(choices=[('en', 'English'), ('mk', 'Macedonian'), ('sq', 'Albanian')], max_length=8, verbose_name='language')),
                ('pdfa', models.BooleanField(default=False, help_text='A PDF/A-2u file, for long-term archiving.', verbose_name='archival PDF/A')),
                ('parameters', models.JSONField(blank=True, default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder, help_text='What was asked for, kept as it was when the report was requested.', verbose_name='parameters')),
                ('series', models.CharField(db_index=True, editable=False, help_text='Generations of the same report in the same language share a series.', max_length=120, verbose_name='series')),
                ('version', models.PositiveIntegerField(blank=True, null=True, verbose_name='version')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='queued', max_length=20, verbose_name='status')),
                ('failure_reason', models.TextField(blank=True, verbose_name='reason for the failure')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started at')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                ('file', models.FileField(blank=True, upload_to=report_upload_to, verbose_name='file')),
                ('sha256', models.CharField(blank=True, max_length=64, verbose_name='SHA-256')),
                ('size', models.PositiveIntegerField(blank=True, null=True, verbose_name='size in bytes')),
                ('pages', models.PositiveIntegerField(blank=True, null=True, verbose_name='pages')),
                ('meeting', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reports', to='programme.meeting', verbose_name='meeting')),
                ('period', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reports', to='programme.reportingperiod', verbose_name='reporting period')),
                ('recommendation', models.ForeignKey(blank=True, help_text='Leave empty for all the recommendations.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reports', to='recommendations.recommendation', verbose_name='recommendation')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reports', to=settings.AUTH_USER_MODEL, verbose_name='requested by')),
                ('training', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reports', to='trainings.training', verbose_name='training')),
            ],
            options={
                'verbose_name': 'report',
                'verbose_name_plural': 'reports',
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(fields=['requested_by', '-created_at'], name='report_by_requester')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('version__isnull', False)), fields=('series', 'version'), name='report_unique_version', violation_error_message='This report already has a generation with this number.'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'done'), _negated=True), models.Q(('version__isnull', False), models.Q(('file', ''), _negated=True), models.Q(('sha256', ''), _negated=True)), _connector='OR'), name='report_done_has_its_file', violation_error_message='A finished report has its file, hash and version.')],
            },
        ),
    ]
