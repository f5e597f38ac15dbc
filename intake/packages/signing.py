"""The organisation's Ed25519 key that signs documentation packages.

`manage.py init_package_key` writes both halves to PACKAGE_SIGNING_KEY_FILE and
PACKAGE_SIGNING_PUBLIC_KEY_FILE. Web holds the private half (a caseworker prepares a package
there): whoever takes over a web server can sign with it, so a signature says "made with this
organisation's key", not "made by an honest server" (docs/packages.md). The public half is given
to recipients by a channel of its own; its fingerprint is shown on the signing key page and
written in every manifest.
"""

import hashlib
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings


class SigningKeyMissing(Exception):
    """The signing key is not set up (or not readable): packaging pages say so plainly."""


def new_key_pair() -> tuple[bytes, bytes]:
    """(private key, public key), PEM (PKCS#8 and SubjectPublicKeyInfo)."""
    private = Ed25519PrivateKey.generate()
    return (
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        public_pem(private.public_key()),
    )


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, in hex groups of four (scripts/verify_package.py
    computes the same, so a recipient can compare it with what we told them)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def load_signing_key() -> Ed25519PrivateKey:
    """The private key from PACKAGE_SIGNING_KEY_FILE, or SigningKeyMissing."""
    path = settings.PACKAGE_SIGNING_KEY_FILE
    if not path:
        raise SigningKeyMissing("PACKAGE_SIGNING_KEY_FILE is not set")
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise SigningKeyMissing(f"the package signing key cannot be read: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyMissing("the package signing key is not an Ed25519 key")
    return key


def load_public_key() -> Ed25519PublicKey:
    """The public half: from PACKAGE_SIGNING_PUBLIC_KEY_FILE if set, else from the private key
    (the page that shows it works wherever packages can be signed)."""
    path = settings.PACKAGE_SIGNING_PUBLIC_KEY_FILE
    if not path:
        return load_signing_key().public_key()
    try:
        return parse_public_pem(Path(path).read_bytes())
    except OSError as error:
        raise SigningKeyMissing(f"the package public key cannot be read: {error}") from None


def parse_public_pem(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as error:
        raise SigningKeyMissing(f"the package public key cannot be read: {error}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyMissing("the package public key is not an Ed25519 key")
    return key
