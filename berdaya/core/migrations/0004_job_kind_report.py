# Issue 7: the evaluation report as a background job (Job.Kind.EVALUATION_REPORT).
# It follows 0004_audit_append_only (written at the same time by another change) so the graph has one
# leaf; renumber when merging if you like, the operations do not depend on each other.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0003_audit_append_only"),
    ]

    operations = [
        migrations.AlterField(
            model_name='job',
            name='kind',
            field=models.CharField(
                choices=[
                    ('dtks_import', 'Impor DTKS'),
                    ('eligibility_screen', 'Penyaringan kelayakan'),
                    ('formation_run', 'Formasi KUBE'),
                    ('evaluation_report', 'Laporan evaluasi'),
                ],
                max_length=30,
            ),
        ),
    ]
