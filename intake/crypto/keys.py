"""Recipient key pairs, the HPKE suite and the format every ciphertext starts with."""

import hashlib
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

# Bumped when the format of sealed items or wraps changes; the first byte of every ciphertext.
FORMAT_VERSION = 1
DOMAIN = b"survivor-portal/v1"

CASE_KEY_BYTES = 32
NONCE_BYTES = 12
SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)

# Private keys are stored as the ML-KEM-768 seed (64 bytes) followed by the X25519 private key
# (32 bytes); public keys as the ML-KEM-768 encapsulation key (1184) then the X25519 key (32).
_MLKEM_SEED_BYTES = 64
_X25519_BYTES = 32
PRIVATE_KEY_BYTES = _MLKEM_SEED_BYTES + _X25519_BYTES
PUBLIC_KEY_BYTES = 1184 + _X25519_BYTES


class DecryptionError(Exception):
    """A ciphertext could not be opened: wrong key, tampered, or moved to another case or item."""


@dataclass(frozen=True, repr=False)
class KeyPair:
    """A recipient key pair in its stored form. repr() never shows the private half."""

    private: bytes
    public: bytes

    def __repr__(self) -> str:
        return f"KeyPair(public={fingerprint(self.public)})"


def fingerprint(public_key: bytes) -> str:
    """A short, stable name for a public key, for key ids and audit entries."""
    return hashlib.sha256(public_key).hexdigest()[:16]


# --- Recipient keys -----------------------------------------------------------------------------


def key_pair_from_seed(seed: bytes) -> KeyPair:
    """The key pair determined by 96 bytes of seed (random, or derived from a receipt)."""
    if len(seed) != PRIVATE_KEY_BYTES:
        raise ValueError(f"a key seed is {PRIVATE_KEY_BYTES} bytes")
    kem_key = mlkem.MLKEM768PrivateKey.from_seed_bytes(seed[:_MLKEM_SEED_BYTES])
    dh_key = x25519.X25519PrivateKey.from_private_bytes(seed[_MLKEM_SEED_BYTES:])
    public = kem_key.public_key().public_bytes_raw() + dh_key.public_key().public_bytes_raw()
    return KeyPair(private=bytes(seed), public=public)


def generate_key_pair() -> KeyPair:
    return key_pair_from_seed(os.urandom(PRIVATE_KEY_BYTES))


def _private_key(private: bytes) -> hpke.MLKEM768X25519PrivateKey:
    if len(private) != PRIVATE_KEY_BYTES:
        raise DecryptionError("malformed private key")
    return hpke.MLKEM768X25519PrivateKey(
        mlkem.MLKEM768PrivateKey.from_seed_bytes(private[:_MLKEM_SEED_BYTES]),
        x25519.X25519PrivateKey.from_private_bytes(private[_MLKEM_SEED_BYTES:]),
    )


def load_private_key(private: bytes) -> hpke.MLKEM768X25519PrivateKey:
    """The private key parsed once, for opening many wraps with it (routing opens a batch of
    cases): parsing takes about as long as opening a wrap."""
    return _private_key(private)


def public_key(public: bytes) -> hpke.MLKEM768X25519PublicKey:
    if len(public) != PUBLIC_KEY_BYTES:
        raise ValueError("malformed public key")
    return hpke.MLKEM768X25519PublicKey(
        mlkem.MLKEM768PublicKey.from_public_bytes(public[:-_X25519_BYTES]),
        x25519.X25519PublicKey.from_public_bytes(public[-_X25519_BYTES:]),
    )


def wrap_info(case_id: str, recipient: str, key_id: str) -> bytes:
    """The HPKE info of a wrap of a case key: names the case, the recipient and the key."""
    return DOMAIN + f"/wrap|case:{case_id}|recipient:{recipient}|key:{key_id}".encode()


def share_info(recipient: str, key_id: str) -> bytes:
    """The HPKE info of a share of the coordinators' key."""
    return DOMAIN + f"/key-share|recipient:{recipient}|key:{key_id}".encode()
