"""Secrets kept for a while under a symmetric key: the halves of a login's keys, and the staff's
second-factor secrets.

A survivor's session keeps the case key in the cache sealed under a random key that only her
cookie holds; a staff login keeps the private key in the server session sealed under a random key
that only the staff cookie holds (intake/key_sessions.py). TOTP secrets and recovery-code seeds
are stored sealed under a key derived from MFA_SECRETS_KEY (the MFA adapter). Each sealed value
is: version byte, random nonce, AES-256-GCM ciphertext and tag, with associated data naming
what it is, so one kind can never be opened as another.
"""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from intake.crypto import kdf
from intake.crypto.keys import DOMAIN, FORMAT_VERSION, NONCE_BYTES, DecryptionError

SESSION_KEY_BYTES = 32


def new_session_key() -> bytes:
    """A random key for one session's half (kept in the cookie)."""
    return AESGCM.generate_key(bit_length=SESSION_KEY_BYTES * 8)


def _seal(key: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, associated_data)
    return bytes([FORMAT_VERSION]) + nonce + ciphertext


def _open(key: bytes, sealed: bytes, associated_data: bytes) -> bytes:
    if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[0] != FORMAT_VERSION:
        raise DecryptionError("not a sealed value of a known version")
    nonce, ciphertext = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, associated_data)
    except (InvalidTag, ValueError):
        raise DecryptionError("the value does not open with this key") from None


def _session_data(kind: str, name: str) -> bytes:
    return DOMAIN + f"/session/{kind}|{name}".encode()


def seal_session_half(session_key: bytes, plaintext: bytes, *, kind: str, name: str) -> bytes:
    """Seal what a session keeps server-side under the key its cookie holds. `kind` ("survivor",
    "staff") and `name` (the cache entry, the user) are bound in, so an entry cannot be moved to
    another session."""
    return _seal(session_key, plaintext, _session_data(kind, name))


def open_session_half(session_key: bytes, sealed: bytes, *, kind: str, name: str) -> bytes:
    """Open what seal_session_half sealed, or raise DecryptionError (a malformed key too)."""
    if len(session_key) != SESSION_KEY_BYTES:
        raise DecryptionError("malformed session key")
    return _open(session_key, sealed, _session_data(kind, name))


def _mfa_key(server_secret: bytes) -> bytes:
    return kdf.hkdf(server_secret, length=32, info=DOMAIN + b"/mfa-secrets")


def seal_mfa_secret(secret: str, server_secret: bytes) -> bytes:
    """A TOTP secret or recovery-code seed, sealed under a key derived from MFA_SECRETS_KEY."""
    return _seal(_mfa_key(server_secret), secret.encode(), DOMAIN + b"/mfa-secret")


def open_mfa_secret(sealed: bytes, server_secret: bytes) -> str:
    """Open what seal_mfa_secret sealed, or raise DecryptionError."""
    return _open(_mfa_key(server_secret), sealed, DOMAIN + b"/mfa-secret").decode()
