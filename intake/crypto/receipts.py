"""Receipts: what a survivor keeps, and what one derivation of it yields."""

import hmac
import secrets
from dataclasses import dataclass

from intake.crypto import kdf
from intake.crypto.keys import DOMAIN, PRIVATE_KEY_BYTES, KeyPair, key_pair_from_seed

# Receipts: 20 random decimal digits (66.4 bits), shown in five groups of four.
RECEIPT_DIGITS = 20
_EASTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# Characters a survivor may type between groups: spaces (any kind), dashes, dots.
_RECEIPT_SEPARATORS = " \u00a0\u202f\t-\u2010\u2011\u2012\u2013\u2014\u2212._"


def new_receipt() -> str:
    """A fresh receipt: 20 random digits (leading zeros allowed)."""
    return "".join(secrets.choice("0123456789") for _ in range(RECEIPT_DIGITS))


def format_receipt(receipt: str) -> str:
    """Groups of four digits, for showing and printing: '1234 5678 9012 3456 7890'."""
    return " ".join(receipt[i : i + 4] for i in range(0, len(receipt), 4))


def normalise_receipt(typed: str) -> str | None:
    """The digits of a typed receipt, or None if it cannot be one.

    Accepts Western, Eastern Arabic (٠-٩) and Persian (۰-۹) digits, and spaces, dashes and dots
    between them.
    """
    digits = typed.translate(_EASTERN_DIGITS)
    for separator in _RECEIPT_SEPARATORS:
        digits = digits.replace(separator, "")
    if len(digits) != RECEIPT_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


@dataclass(frozen=True, repr=False)
class ReceiptSecrets:
    """What one receipt yields: the value that finds its case, and the survivor's key pair."""

    lookup: str
    survivor: KeyPair

    def __repr__(self) -> str:
        return "ReceiptSecrets(...)"


def receipt_salt(server_secret: bytes) -> bytes:
    """The Argon2id salt of every receipt of this deployment.

    One salt for all receipts, because the case is not known before the derivation: a guess is
    tested against every case at once, but each guess costs a full derivation. Deriving it from
    the server secret means that without RECEIPT_LOOKUP_KEY nobody can even begin to test
    guesses, neither against the lookup values nor against the survivors' public keys.
    """
    digest = hmac.new(server_secret, DOMAIN + b"/receipt-salt", "sha256").digest()
    return digest[: kdf.ARGON2_SALT_BYTES]


def receipt_secrets(receipt: str, server_secret: bytes) -> ReceiptSecrets:
    """One Argon2id derivation of the receipt (parameters above), split by HKDF into the lookup
    value stored with the case and the 96-byte seed of the survivor's key pair."""
    master = kdf.argon2id(
        receipt.encode(), salt=receipt_salt(server_secret), length=32, ad=DOMAIN + b"/receipt"
    )
    lookup = kdf.hkdf(master, length=32, info=DOMAIN + b"/receipt-lookup").hex()
    seed = kdf.hkdf(master, length=PRIVATE_KEY_BYTES, info=DOMAIN + b"/survivor-key")
    return ReceiptSecrets(lookup=lookup, survivor=key_pair_from_seed(seed))
