"""Encrypting a package to a recipient's age public key (pyrage: rage's implementation of age,
https://age-encryption.org/v1). The recipient decrypts with any age implementation:
`age -d -i key.txt documentation-<id>.age > package.zip`."""

import pyrage  # type: ignore[import-untyped]  # no type information shipped


class BadRecipient(ValueError):
    """Not an age X25519 public key ("age1...")."""


def check_recipient(text: str) -> str:
    """The key as given, if it is an age X25519 public key; BadRecipient otherwise."""
    text = text.strip()
    try:
        pyrage.x25519.Recipient.from_str(text)
    except pyrage.RecipientError:
        raise BadRecipient(text) from None
    return text


def encrypt_to(recipient: str, plaintext: bytes) -> bytes:
    """The age file (binary format) that only the holder of `recipient`'s identity opens."""
    key = pyrage.x25519.Recipient.from_str(check_recipient(recipient))
    return bytes(pyrage.encrypt(plaintext, [key]))


def new_identity() -> tuple[str, str]:
    """A fresh age identity ("AGE-SECRET-KEY-1...") and its public key ("age1..."): for the
    demo site's recipient (manage.py setup_dev_site); a real recipient makes their own with
    age-keygen and gives the portal only the public key."""
    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())
