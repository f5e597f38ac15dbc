"""Routing reasons become codes with parameters (RoutingJob.Reason, reason_params), worded by
intake/templatetags/routing_reasons.py, instead of English prose parsed back by a regex; and the
"withdrawn" status goes: a withdrawn case is deleted, so nothing ever set it.

Rows written before keep their meaning: each fixed phrase becomes its code, and a routed case's
prose ("language ar; specialisms children; same region; 1 needs matched, load 1/10") its
parameters."""

import re

from django.db import migrations, models

PHRASES = {
    "no eligible caseworker": "no_eligible_caseworker",
    "escalated by the caseworker": "escalated",
    "not acknowledged in time": "deadline_missed",
    "caseworker suspended": "caseworker_suspended",
    "caseworker's vetting expired": "vetting_expired",
    "caseworker's password reset": "password_reset",
    "granted by a coordinator": "granted",
}
MATCHED = re.compile(r"(\d+) needs matched, load (\d+)/(\d+)")


def routed_params(prose):
    params = {"language": "any", "gender": "", "specialisms": [], "same_region": False}
    for part in prose.split("; "):
        if part.startswith("language "):
            params["language"] = part.removeprefix("language ")
        elif part.startswith("caseworker gender "):
            params["gender"] = part.removeprefix("caseworker gender ")
        elif part.startswith("specialisms "):
            params["specialisms"] = part.removeprefix("specialisms ").split(", ")
        elif part == "same region":
            params["same_region"] = True
        elif match := MATCHED.fullmatch(part):
            needs, load, capacity = (int(number) for number in match.groups())
            params.update(needs_matched=needs, load=load, capacity=capacity)
    return params


def to_codes(apps, schema_editor):
    RoutingJob = apps.get_model("intake", "RoutingJob")
    for job in RoutingJob.objects.exclude(reason=""):
        if job.reason in PHRASES:
            job.reason, job.reason_params = PHRASES[job.reason], {}
        else:
            job.reason, job.reason_params = "routed", routed_params(job.reason)
        job.save(update_fields=["reason", "reason_params"])


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0013_keywrap_queue_summary'),
    ]

    operations = [
        migrations.AddField(
            model_name='routingjob',
            name='reason_params',
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(to_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='case',
            name='status',
            field=models.CharField(choices=[('received', 'Received'), ('acknowledged', 'With a caseworker'), ('in_progress', 'In progress'), ('referred', 'Referred'), ('closed', 'Closed')], default='received', max_length=20),
        ),
        migrations.AlterField(
            model_name='routingjob',
            name='reason',
            field=models.CharField(blank=True, choices=[('routed', 'Gave the case to a caseworker (routing)'), ('no_eligible_caseworker', 'No caseworker fits yet (language, gender asked for, specialisms), or all who fit are full.'), ('escalated', 'Given back by the caseworker.'), ('deadline_missed', 'Its caseworker did not acknowledge it in time, and routing can no longer open it.'), ('caseworker_suspended', 'Its caseworker was suspended.'), ('vetting_expired', "Its caseworker's vetting expired."), ('password_reset', "Its caseworker's password was reset: grant it to them again from their page once they have chosen a new one."), ('granted', 'Given to a caseworker by a coordinator.')], max_length=30),
        ),
    ]
