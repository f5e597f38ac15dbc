from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("", views.start, name="start"),
    path("consent/", views.consent, name="consent"),
    path("account/", views.account, name="account"),
    path("review/", views.review, name="review"),
    path("send/", views.submit, name="submit"),
    path("return/", views.return_with_receipt, name="return"),
    path("my-account/", views.case_page, name="case"),
    path("my-account/message/", views.send_message, name="message"),
    path("my-account/add/", views.add_information, name="add"),
    path("my-account/contact/", views.change_contact, name="contact"),
    path("my-account/referral/", views.referral_consent, name="referral_consent"),
    path("my-account/withdraw/", views.withdraw, name="withdraw"),
    path("leave/", views.leave, name="leave"),
    path("exit/", views.quick_exit, name="exit"),
]
