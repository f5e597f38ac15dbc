"""Receipts: one Argon2id derivation gives both the lookup value and the survivor's key pair
(intake/crypto.py, receipt_secrets), so the per-case salt goes. Nothing was deployed with the old
format, which kept a fast HMAC of the receipt: it is not kept for compatibility (issue 12)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0010_routing_claimed_by'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='case',
            name='receipt_salt',
        ),
    ]
