"""Staff private keys sealed under their password, and the coordinators' key shared with each
coordinator."""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from intake.crypto import kdf, keys
from intake.crypto.keys import (
    DOMAIN,
    FORMAT_VERSION,
    NONCE_BYTES,
    PRIVATE_KEY_BYTES,
    SUITE,
    DecryptionError,
)

# --- Staff private keys, sealed under the staff member's password -----------------------------


def _password_key(password: str, salt: bytes) -> AESGCM:
    return AESGCM(
        kdf.argon2id(password.encode(), salt=salt, length=32, ad=DOMAIN + b"/staff-password")
    )


def seal_private_key(private: bytes, password: str, salt: bytes) -> bytes:
    """A staff private key sealed under Argon2id(password): what the database stores."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _password_key(password, salt).encrypt(nonce, private, DOMAIN + b"/staff-key")
    return bytes([FORMAT_VERSION]) + nonce + sealed


def open_private_key(sealed: bytes, password: str, salt: bytes) -> bytes:
    if not sealed or sealed[0] != FORMAT_VERSION:
        raise DecryptionError("not a sealed private key of a known version")
    nonce, ciphertext = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return _password_key(password, salt).decrypt(nonce, ciphertext, DOMAIN + b"/staff-key")
    except InvalidTag:
        raise DecryptionError("the password does not open this private key") from None


# --- The coordinators' key, shared with each coordinator --------------------------------------


def wrap_private_key(
    private: bytes, recipient_public: bytes, *, recipient: str, key_id: str
) -> bytes:
    """A service private key (the coordinators') encrypted to one person's public key."""
    if len(private) != PRIVATE_KEY_BYTES:
        raise ValueError("malformed private key")
    wrapped = SUITE.encrypt(
        private, keys.public_key(recipient_public), info=keys.share_info(recipient, key_id)
    )
    return bytes([FORMAT_VERSION]) + wrapped
