"""An index on KeyWrap (recipient, case): the queue finds a staff member's cases by recipient,
and the unique constraint one_wrap_per_recipient is on (case, recipient), so PostgreSQL walked
every wrap of every case for each queue page (docs/performance.md, "Caseworker pages (issue
16)"). With it the queue's cost follows the caseworker's cases, not all the cases."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0014_routing_reason_codes'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='keywrap',
            index=models.Index(fields=['recipient', 'case'], name='wrap_by_recipient'),
        ),
    ]
