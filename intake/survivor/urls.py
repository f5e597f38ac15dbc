from django.urls import path

from intake.survivor import justice, my_account, returning, sharing

app_name = "intake"

urlpatterns = [
    path("", sharing.start, name="start"),
    path("consent/", sharing.consent, name="consent"),
    path("account/", sharing.account, name="account"),
    path("review/", sharing.review, name="review"),
    path("send/", sharing.submit, name="submit"),
    path("return/", returning.return_with_receipt, name="return"),
    path("my-account/", my_account.case_page, name="case"),
    path("my-account/message/", my_account.send_message, name="message"),
    path("my-account/add/", my_account.add_information, name="add"),
    path("my-account/contact/", my_account.change_contact, name="contact"),
    path("my-account/referral/", my_account.referral_consent, name="referral_consent"),
    path("my-account/justice/", justice.justice, name="justice"),
    path("my-account/withdraw/", my_account.withdraw, name="withdraw"),
    path("leave/", returning.leave, name="leave"),
    path("exit/", returning.quick_exit, name="exit"),
]
