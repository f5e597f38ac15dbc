from django.urls import path

from intake import caseworker_views

app_name = "caseworker"

urlpatterns = [
    path("", caseworker_views.queue, name="queue"),
    path("conduct/", caseworker_views.conduct, name="conduct"),
    path("cases/<uuid:public_id>/", caseworker_views.case_page, name="case"),
    path("cases/<uuid:public_id>/acknowledge/", caseworker_views.acknowledge, name="acknowledge"),
    path("cases/<uuid:public_id>/reply/", caseworker_views.reply, name="reply"),
    path("cases/<uuid:public_id>/status/", caseworker_views.change_status, name="status"),
    path(
        "cases/<uuid:public_id>/files/<uuid:file_id>/",
        caseworker_views.download,
        name="download",
    ),
    path("cases/<uuid:public_id>/hand-over/", caseworker_views.hand_over, name="hand_over"),
    path("cases/<uuid:public_id>/escalate/", caseworker_views.escalate, name="escalate"),
    path("cases/<uuid:public_id>/notes/", caseworker_views.add_note, name="add_note"),
    path("cases/<uuid:public_id>/referrals/", caseworker_views.add_referral, name="add_referral"),
    path(
        "cases/<uuid:public_id>/referrals/<uuid:referral_id>/",
        caseworker_views.referral_outcome,
        name="referral_outcome",
    ),
    path("cases/<uuid:public_id>/export/", caseworker_views.export, name="export"),
    path("unassigned/", caseworker_views.unassigned, name="unassigned"),
    path("deadlines/", caseworker_views.deadlines, name="deadlines"),
    path("team/invite/", caseworker_views.invite, name="invite"),
    path("team/<int:user_id>/", caseworker_views.member, name="member"),
    path("team/<int:user_id>/profile/", caseworker_views.edit_member, name="edit_member"),
    path("availability/", caseworker_views.availability, name="availability"),
    path(
        "team/<int:user_id>/reset-password/",
        caseworker_views.reset_password,
        name="reset_password",
    ),
    path("team/<int:user_id>/regrant/", caseworker_views.regrant, name="regrant"),
    path("audit/", caseworker_views.audit_log, name="audit"),
    path(
        "unassigned/<uuid:public_id>/",
        caseworker_views.unassigned_case,
        name="unassigned_case",
    ),
    path("team/", caseworker_views.team, name="team"),
    path("team/<int:user_id>/vet/", caseworker_views.vet, name="vet"),
    path("team/<int:user_id>/suspend/", caseworker_views.suspend, name="suspend"),
    path("invitation/<str:uidb64>/<str:token>/", caseworker_views.invitation, name="invitation"),
]
