"""What a package holds, as files: for each account account.json and its files, then
custody.json (the chain of custody) and summary.txt (in English, for a person to read first).

Everything here is formatting: intake/actions/packages.py decides what goes in (her choices, the
consent gate, the hash checks) and hands over only that. The package is for the office that
receives it, so it is in English whatever the page's language.
"""

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation

from intake.answers import AGE_GROUPS, HARMS, OTHERS_TARGETED
from intake.packages.manifest import safe_name
from intake.packages.rome_statute import CAUTION, CONTEXT, provisions_for

# The answers that go in: what happened, when, where, to whom. Never her wishes, her reply
# language, her preferences for a caseworker or whether she is in danger now.
ANSWERS_SHARED = ("narrative", "when", "country", "region", "harms", "others_targeted", "age_group")
# Her contact, when she chose "with my name and contact". Never the code word: it is how she
# knows it is the organisation calling, and it stays between her and us.
CONTACT_SHARED = ("channel", "address", "times")


@dataclass(frozen=True)
class PackagedFile:
    name: str
    content_type: str
    sha256: str
    data: bytes
    file_id: str
    added_later: bool

    def path(self, folder: str) -> str:
        return f"{folder}/files/{self.file_id}-{safe_name(self.name)}"


@dataclass(frozen=True)
class Account:
    """One account as she agreed to share it. `contact` is None unless she chose to share her
    name and contact (the action checks that, not this class)."""

    case_ref: str
    received_hour: datetime.datetime
    answers: dict[str, Any]
    additions: list[dict[str, Any]]
    files: list[PackagedFile]
    with_identity: bool
    contact: dict[str, str] | None
    witness_contact: bool
    consent_version: str
    consent_language: str
    audit_entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def folder(self) -> str:
        return f"accounts/{self.case_ref}"


@dataclass(frozen=True)
class Meta:
    package_id: str
    organisation: str
    prepared_on: datetime.date
    prepared_by: str
    recipient_kind: str
    recipient_name: str
    package_audit_entry: dict[str, Any]


def _labels(choices: list[tuple[str, Any]]) -> dict[str, str]:
    with translation.override("en"):
        return {code: str(label) for code, label in choices}


def _period(when: dict[str, Any]) -> dict[str, Any]:
    return {
        "month": int(when["month"]) if when.get("month") else None,
        "year": int(when["year"]) if when.get("year") else None,
        "ongoing": bool(when.get("ongoing")),
    }


def account_document(account: Account, organisation: str) -> dict[str, Any]:
    answers = {name: account.answers.get(name) for name in ANSWERS_SHARED}
    harms = [h for h in answers["harms"] or [] if isinstance(h, str)]
    harm_labels = _labels(HARMS)
    if account.witness_contact:
        through = (
            "directly, at the contact details in this account"
            if account.contact
            else f"only through {organisation}, which passes on the request to her"
        )
    else:
        through = None
    return {
        "case": account.case_ref,
        "received_hour": account.received_hour.isoformat(),
        "her_account": {
            "narrative": answers["narrative"] or "",
            "age_group": _labels(AGE_GROUPS).get(answers["age_group"] or "", ""),
            "others_targeted": _labels(OTHERS_TARGETED).get(answers["others_targeted"] or "", ""),
        },
        "incident": {
            "period": _period(answers["when"] or {}),
            "country": answers["country"] or "",
            "region": answers["region"] or "",
            "kinds_of_harm": [
                {**item, "label": harm_labels.get(str(item["harm"]), str(item["harm"]))}
                for item in provisions_for(harms)
            ],
            "caution": CAUTION,
            "context_required": CONTEXT,
        },
        "added_later": [
            {"hour": a["hour"].isoformat(), "text": a["text"]} for a in account.additions
        ],
        "files": [
            {
                "path": f.path(account.folder),
                "name": f.name,
                "content_type": f.content_type,
                "size": len(f.data),
                "sha256": f.sha256,
                "added_later": f.added_later,
            }
            for f in account.files
        ],
        "identity_and_contact": {
            "shared": account.with_identity,
            "contact": (
                {name: account.contact.get(name, "") for name in CONTACT_SHARED}
                if account.contact
                else None
            ),
        },
        "possible_witness": {
            "agreed_to_be_contacted": account.witness_contact,
            "how": through,
        },
        "her_choice": {
            "wording_version": account.consent_version,
            "language": account.consent_language,
        },
    }


def custody_document(accounts: list[Account], meta: Meta) -> dict[str, Any]:
    return {
        "package": meta.package_id,
        "organisation": meta.organisation,
        "prepared_on": meta.prepared_on.isoformat(),
        "prepared_by": meta.prepared_by,
        "recipient": {"kind": meta.recipient_kind, "name": meta.recipient_name},
        "accounts": [
            {
                "case": a.case_ref,
                "received_hour": a.received_hour.isoformat(),
                "files": [
                    {
                        "path": f.path(a.folder),
                        "sha256": f.sha256,
                        "checked_against": "the SHA-256 sealed with the file when it was received",
                    }
                    for f in a.files
                ],
                "audit_entries": a.audit_entries,
            }
            for a in accounts
        ],
        "package_audit_entry": meta.package_audit_entry,
    }


def summary_text(accounts: list[Account], meta: Meta, documents: list[dict[str, Any]]) -> str:
    lines = [
        f"Documentation package {meta.package_id}",
        f"From: {meta.organisation}",
        f"For: {meta.recipient_name}",
        f"Prepared on {meta.prepared_on.isoformat()} by {meta.prepared_by}",
        f"Accounts: {len(accounts)}",
        "",
        CAUTION,
        "",
        CONTEXT,
        "",
        "Each account below was shared with the survivor's consent to send it to this kind of "
        "office. Her own words and the details are in accounts/<case>/account.json; the files "
        "she sent are beside it. custody.json is the chain of custody; manifest.json lists every "
        "file with its SHA-256 and is signed (manifest.json.sig). Check them with "
        "verify_package.py and the organisation's public key.",
    ]
    for number, document in enumerate(documents, start=1):
        incident = document["incident"]
        period = incident["period"]
        when = "/".join(str(period[k]) for k in ("month", "year") if period[k]) or "not said"
        if period["ongoing"]:
            when += " (still happening)"
        witness = document["possible_witness"]
        lines += [
            "",
            f"--- Account {number}: {document['case']} ---",
            f"Received (hour): {document['received_hour']}",
            f"When: {when}",
            f"Where: {incident['country'] or 'not said'}"
            + (f", {incident['region']}" if incident["region"] else ""),
            f"Age group: {document['her_account']['age_group'] or 'not said'}",
            f"Others targeted: {document['her_account']['others_targeted'] or 'not said'}",
            "Kinds of harm, and the provisions they MAY fall under (not a legal qualification):",
        ]
        for harm in incident["kinds_of_harm"] or [{"label": "not said", "may_fall_under": []}]:
            citations = "; ".join(p["citation"] for p in harm["may_fall_under"]) or "none listed"
            lines.append(f"  - {harm['label']}: {citations}")
        lines += [
            "Her name and contact: "
            + (
                "shared (see account.json)"
                if document["identity_and_contact"]["shared"]
                else "not shared"
            ),
            "Contact as a possible witness: "
            + (f"agreed, {witness['how']}" if witness["agreed_to_be_contacted"] else "not agreed"),
            f"Files: {len(document['files'])}; added later: {len(document['added_later'])}",
            "",
            "Her account, in her words:",
            document["her_account"]["narrative"] or "(no narrative)",
        ]
        for addition in document["added_later"]:
            lines += ["", f"Added later ({addition['hour']}):", addition["text"]]
    return "\n".join(lines) + "\n"


def package_files(accounts: list[Account], meta: Meta) -> dict[str, bytes]:
    """Every file of the package but the manifest and its signature."""
    files: dict[str, bytes] = {}
    documents = [account_document(a, meta.organisation) for a in accounts]
    for account, document in zip(accounts, documents, strict=True):
        files[f"{account.folder}/account.json"] = _json(document)
        for packaged in account.files:
            files[packaged.path(account.folder)] = packaged.data
    files["custody.json"] = _json(custody_document(accounts, meta))
    files["summary.txt"] = summary_text(accounts, meta, documents).encode()
    return files


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode() + b"\n"
