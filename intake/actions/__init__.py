"""Multi-step writes of the intake, and the reads that decrypt a case: one module per family.

A view calls these and nothing else writes cases. The plaintext arrives here in memory, is
sealed with the case key (intake/crypto/), and only ciphertext is handed to the database. Each
write encrypts first, then writes everything in one transaction; tasks it sets off are sent by
name once it commits (intake/enqueue.py), so nothing here imports routing or the tasks.

Every public name is re-exported here, so callers write `actions.submit_account(...)`.
"""

# The caseworker holding a case.
from intake.actions.casework import (
    STATUS_REASONS,
    acknowledge_case,
    add_note,
    change_status,
    record_audit_viewed,
    reply_to_survivor,
    send_message_to_survivor,
)

# Coordinators, hand-over and escalation.
from intake.actions.coordinators import (
    escalate,
    grant_from_coordinators,
    hand_over,
    share_coordinators_key,
)

# Grants: wrapping case keys to staff, and removing wraps.
from intake.actions.grants import (
    Grant,
    GrantRefused,
    cases_to_regrant,
    grant_case,
    grant_cases,
    regrant_cases,
    seal_queue_summary,
)

# The survivor's choices about documentation for justice (issue 17).
from intake.actions.justice import (
    JUSTICE_CONSENT_VERSION,
    NO_CONSENT,
    JusticeConsent,
    JusticePackages,
    PackageLine,
    justice_consent,
    justice_packages,
    set_justice_consent,
    stop_packages,
)

# Documentation packages (issue 17): preparing one, and the coordinators' register.
from intake.actions.packages import (
    ConsentChanged,
    FileAltered,
    NotChosen,
    PackageRefused,
    PreparedPackage,
    RecipientRetired,
    chosen_consent,
    hold_cases,
    prepare_package,
)

# Pattern counts (issue 17): the audit line of reading them (counting is routing's).
from intake.actions.patterns import record_patterns_read

# Reading a case, the queue summary, export.
from intake.actions.read_models import (
    QUEUE_SUMMARY,
    CaseView,
    SealedSummary,
    export_case,
    open_attachment,
    open_queue_summaries,
    open_queue_summary,
    queue_summary,
    read_case,
    read_notes,
    read_referrals,
)

# The coordinators' side of packages: recipients, and recording one as sent.
from intake.actions.recipients import (
    PackageStopped,
    record_package_sent,
    register_recipient,
    retire_recipient,
)

# Referrals.
from intake.actions.referrals import ReferralRefused, record_referral, update_referral_outcome

# Deleting cases: withdrawal and the retention period.
from intake.actions.retention import purge_expired_cases, withdraw_case

# A case's sealed rows, read in one query.
from intake.actions.sealed_items import sealed_items

# JSON sealed with a case key.
from intake.actions.sealed_json import open_json, seal_json

# Staff accounts, keys and vetting.
from intake.actions.staff import (
    VettingRefused,
    accept_invitation,
    enrol_staff_key,
    expire_vetting,
    invite_staff,
    reset_staff_password,
    return_cases_to_coordinators,
    set_availability,
    set_password_link,
    staff_password_changed,
    suspend_staff,
    update_staff_profile,
    vet_staff,
)

# A survivor's account, submitted.
from intake.actions.submission import (
    Submitted,
    active_service_keys,
    routing_hints,
    submit_account,
)

# What a survivor does with her case afterwards.
from intake.actions.survivor import (
    add_information,
    change_contact,
    referral_consented,
    send_survivor_message,
    set_referral_consent,
)

# Transactions someone is told about, and one-time form tokens.
from intake.actions.transactions import (
    Commit,
    DuplicateSubmission,
    SaveUncertain,
    checked_transaction,
    submission_token_used,
)

__all__ = [
    "JUSTICE_CONSENT_VERSION",
    "NO_CONSENT",
    "QUEUE_SUMMARY",
    "STATUS_REASONS",
    "CaseView",
    "Commit",
    "ConsentChanged",
    "DuplicateSubmission",
    "FileAltered",
    "Grant",
    "GrantRefused",
    "JusticeConsent",
    "JusticePackages",
    "NotChosen",
    "PackageLine",
    "PackageRefused",
    "PackageStopped",
    "PreparedPackage",
    "RecipientRetired",
    "ReferralRefused",
    "SaveUncertain",
    "SealedSummary",
    "Submitted",
    "VettingRefused",
    "accept_invitation",
    "acknowledge_case",
    "active_service_keys",
    "add_information",
    "add_note",
    "cases_to_regrant",
    "change_contact",
    "change_status",
    "checked_transaction",
    "chosen_consent",
    "enrol_staff_key",
    "escalate",
    "expire_vetting",
    "export_case",
    "grant_case",
    "grant_cases",
    "grant_from_coordinators",
    "hand_over",
    "hold_cases",
    "invite_staff",
    "justice_consent",
    "justice_packages",
    "open_attachment",
    "open_json",
    "open_queue_summaries",
    "open_queue_summary",
    "prepare_package",
    "purge_expired_cases",
    "queue_summary",
    "read_case",
    "read_notes",
    "read_referrals",
    "record_audit_viewed",
    "record_package_sent",
    "record_patterns_read",
    "record_referral",
    "referral_consented",
    "register_recipient",
    "regrant_cases",
    "reply_to_survivor",
    "reset_staff_password",
    "retire_recipient",
    "return_cases_to_coordinators",
    "routing_hints",
    "seal_json",
    "seal_queue_summary",
    "sealed_items",
    "send_message_to_survivor",
    "send_survivor_message",
    "set_availability",
    "set_justice_consent",
    "set_password_link",
    "set_referral_consent",
    "share_coordinators_key",
    "staff_password_changed",
    "stop_packages",
    "submission_token_used",
    "submit_account",
    "suspend_staff",
    "update_referral_outcome",
    "update_staff_profile",
    "vet_staff",
    "withdraw_case",
]
