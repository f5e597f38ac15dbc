from django.urls import path

from intake.caseworker import (
    cases,
    coordinators,
    joining,
    packages,
    patterns,
    queue,
    register,
    team,
)

app_name = "caseworker"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("conduct/", joining.conduct, name="conduct"),
    path("cases/<uuid:public_id>/", cases.case_page, name="case"),
    path("cases/<uuid:public_id>/acknowledge/", cases.acknowledge, name="acknowledge"),
    path("cases/<uuid:public_id>/reply/", cases.reply, name="reply"),
    path("cases/<uuid:public_id>/status/", cases.change_status, name="status"),
    path(
        "cases/<uuid:public_id>/files/<uuid:file_id>/",
        cases.download,
        name="download",
    ),
    path("cases/<uuid:public_id>/colleague/", cases.choose_colleague, name="choose_colleague"),
    path("cases/<uuid:public_id>/hand-over/", cases.hand_over, name="hand_over"),
    path("cases/<uuid:public_id>/escalate/", cases.escalate, name="escalate"),
    path("cases/<uuid:public_id>/notes/", cases.add_note, name="add_note"),
    path("cases/<uuid:public_id>/referrals/", cases.add_referral, name="add_referral"),
    path(
        "cases/<uuid:public_id>/referrals/<uuid:referral_id>/",
        cases.referral_outcome,
        name="referral_outcome",
    ),
    path("cases/<uuid:public_id>/export/", cases.export, name="export"),
    path(
        "cases/<uuid:public_id>/documentation/<uuid:recipient_id>/",
        packages.prepare_for_case,
        name="prepare_package",
    ),
    path("documentation/", packages.choose_cases, name="choose_cases"),
    path(
        "documentation/<uuid:recipient_id>/",
        packages.prepare_for_cases,
        name="prepare_packages",
    ),
    path("documentation/signing-key/", packages.signing_key, name="signing_key"),
    path("documentation/recipients/", register.recipients, name="recipients"),
    path("documentation/recipients/add/", register.add_recipient, name="add_recipient"),
    path(
        "documentation/recipients/<uuid:public_id>/retire/",
        register.retire_recipient,
        name="retire_recipient",
    ),
    path("documentation/register/", register.register, name="register"),
    path(
        "documentation/register/<uuid:public_id>/sent/",
        register.record_sent,
        name="record_sent",
    ),
    path("unassigned/", coordinators.unassigned, name="unassigned"),
    path("deadlines/", coordinators.deadlines, name="deadlines"),
    path("team/invite/", team.invite, name="invite"),
    path("team/<int:user_id>/", team.member, name="member"),
    path("team/<int:user_id>/profile/", team.edit_member, name="edit_member"),
    path("availability/", queue.availability, name="availability"),
    path(
        "team/<int:user_id>/reset-password/",
        team.reset_password,
        name="reset_password",
    ),
    path("team/<int:user_id>/regrant/", team.regrant, name="regrant"),
    path("audit/", coordinators.audit_log, name="audit"),
    path("patterns/", patterns.patterns, name="patterns"),
    path("patterns.csv", patterns.patterns_csv, name="patterns_csv"),
    path(
        "unassigned/<uuid:public_id>/",
        coordinators.unassigned_case,
        name="unassigned_case",
    ),
    path("team/", team.team, name="team"),
    path("team/<int:user_id>/vet/", team.vet, name="vet"),
    path("team/<int:user_id>/suspend/", team.suspend, name="suspend"),
    path("invitation/<str:uidb64>/<str:token>/", joining.invitation, name="invitation"),
]
