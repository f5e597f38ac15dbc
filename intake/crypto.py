"""Encryption of survivor accounts: the only place that touches key material.

Built on the `cryptography` package only (DESIGN.md, "Cryptography"):

- Each case has a random 256-bit **case key**. Every item of the case (answers, narrative, each
  attachment chunk, each message, each note) is sealed with AES-256-GCM under a subkey derived from
  the case key with HKDF-SHA256 for that item, and with associated data naming the case and the
  item. A ciphertext moved to another case or item, or altered by one bit, fails to open.
- The case key is **wrapped** for each recipient (the routing key, a caseworker, the coordinators,
  the survivor) with HPKE (RFC 9180), suite ML-KEM-768+X25519 / HKDF-SHA256 / AES-256-GCM: hybrid
  post-quantum, since these accounts must stay secret for decades. The HPKE `info` names the case,
  the recipient and the key version, so a wrap cannot be replayed for another case or recipient.
- A **receipt** goes through one Argon2id derivation (`receipt_secrets`), with a salt derived from
  the server secret RECEIPT_LOOKUP_KEY; HKDF splits the result into the lookup value that finds
  the case in the database and the seed of the survivor's key pair, which opens the survivor's
  wrap. Nothing stored is a fast hash of the receipt: whoever holds the database and every
  setting still pays one memory-hard derivation per guessed receipt (docs/security.md, "Guessing
  a receipt"), and a survivor's return costs that one derivation, not two.

Every function that opens a ciphertext raises DecryptionError on any failure (wrong key, tampering,
wrong case or item), never returns partial plaintext: callers fail closed.
"""

import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Bumped when the format of sealed items or wraps changes; the first byte of every ciphertext.
FORMAT_VERSION = 1
_DOMAIN = b"survivor-portal/v1"

CASE_KEY_BYTES = 32
NONCE_BYTES = 12
SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)

# Private keys are stored as the ML-KEM-768 seed (64 bytes) followed by the X25519 private key
# (32 bytes); public keys as the ML-KEM-768 encapsulation key (1184) then the X25519 key (32).
_MLKEM_SEED_BYTES = 64
_X25519_BYTES = 32
PRIVATE_KEY_BYTES = _MLKEM_SEED_BYTES + _X25519_BYTES
PUBLIC_KEY_BYTES = 1184 + _X25519_BYTES

# Argon2id for receipts and staff passwords (RFC 9106, section 4, second recommended option: 3
# passes, 64 MiB, 4 lanes). With 66 bits of receipt this makes guessing infeasible even with the
# database and every setting in hand; it costs a few hundred milliseconds per submission or return
# visit (bench/ measures it).
ARGON2_ITERATIONS = 3
ARGON2_MEMORY_KIB = 64 * 1024
ARGON2_LANES = 4
ARGON2_SALT_BYTES = 16
# One Argon2id derivation at a time in a process. Its lanes run on OpenSSL's process-wide thread
# pool (cryptography sizes it to the CPU count); two derivations at once in threads of one process
# (gunicorn's threads: two survivors sending at the same moment) fail with "Not enough memory to
# derive key" or wait for each other forever. Serialised, each still uses every lane's thread.
_ARGON2_LOCK = threading.Lock()

# Receipts: 20 random decimal digits (66.4 bits), shown in five groups of four.
RECEIPT_DIGITS = 20
_EASTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# Characters a survivor may type between groups: spaces (any kind), dashes, dots.
_RECEIPT_SEPARATORS = " \u00a0\u202f\t-\u2010\u2011\u2012\u2013\u2014\u2212._"

# Attachments are sealed in chunks of this size as they stream in.
CHUNK_BYTES = 64 * 1024


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


def _public_key(public: bytes) -> hpke.MLKEM768X25519PublicKey:
    if len(public) != PUBLIC_KEY_BYTES:
        raise ValueError("malformed public key")
    return hpke.MLKEM768X25519PublicKey(
        mlkem.MLKEM768PublicKey.from_public_bytes(public[:-_X25519_BYTES]),
        x25519.X25519PublicKey.from_public_bytes(public[-_X25519_BYTES:]),
    )


# --- Case keys and sealed items -----------------------------------------------------------------


def new_case_key() -> bytes:
    return os.urandom(CASE_KEY_BYTES)


def _item_key(case_key: bytes, item: str) -> AESGCM:
    if len(case_key) != CASE_KEY_BYTES:
        raise DecryptionError("malformed case key")
    subkey = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=_DOMAIN + b"/item-key|" + item.encode(),
    ).derive(case_key)
    return AESGCM(subkey)


def _associated_data(case_id: str, item: str) -> bytes:
    return _DOMAIN + f"|case:{case_id}|item:{item}".encode()


def seal(case_key: bytes, *, case_id: str, item: str, plaintext: bytes) -> bytes:
    """Encrypt one item of a case: version byte, random nonce, AES-256-GCM ciphertext and tag."""
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = _item_key(case_key, item).encrypt(
        nonce, plaintext, _associated_data(case_id, item)
    )
    return bytes([FORMAT_VERSION]) + nonce + ciphertext


def open_sealed(case_key: bytes, *, case_id: str, item: str, sealed: bytes) -> bytes:
    """Decrypt an item sealed by seal() for the same case and item, or raise DecryptionError."""
    if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[0] != FORMAT_VERSION:
        raise DecryptionError("not a sealed item of a known version")
    nonce, ciphertext = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return _item_key(case_key, item).decrypt(nonce, ciphertext, _associated_data(case_id, item))
    except InvalidTag:
        raise DecryptionError("the item does not open with this key, case and item") from None


def chunk_item(item: str, index: int, *, last: bool) -> str:
    """The item name of one attachment chunk. Naming the index and the last chunk in the
    associated data means chunks cannot be reordered, dropped, or the file cut short."""
    return f"{item}/chunk:{index}/{'last' if last else 'more'}"


def seal_chunks(
    case_key: bytes, *, case_id: str, item: str, chunks: Iterator[bytes]
) -> Iterator[bytes]:
    """Seal a stream of chunks; the final one is marked last (an empty stream seals one empty
    last chunk, so even an empty file has an authenticated end)."""
    index = 0
    pending: bytes | None = None
    for chunk in chunks:
        if pending is not None:
            yield seal(
                case_key,
                case_id=case_id,
                item=chunk_item(item, index, last=False),
                plaintext=pending,
            )
            index += 1
        pending = chunk
    yield seal(
        case_key,
        case_id=case_id,
        item=chunk_item(item, index, last=True),
        plaintext=pending or b"",
    )


def open_chunks(
    case_key: bytes, *, case_id: str, item: str, sealed_chunks: Iterable[bytes]
) -> Iterator[bytes]:
    """Decrypt chunks in order as they are read, checking that the last one is marked last.

    It looks one chunk ahead to know which is last, so at most two chunks are in memory.
    """
    chunks = iter(sealed_chunks)
    current = next(chunks, None)
    if current is None:
        raise DecryptionError("an attachment has at least one chunk")
    index = 0
    while current is not None:
        following = next(chunks, None)
        yield open_sealed(
            case_key,
            case_id=case_id,
            item=chunk_item(item, index, last=following is None),
            sealed=current,
        )
        current = following
        index += 1


# --- Wrapping the case key ----------------------------------------------------------------------


def _wrap_info(case_id: str, recipient: str, key_id: str) -> bytes:
    return _DOMAIN + f"/wrap|case:{case_id}|recipient:{recipient}|key:{key_id}".encode()


def wrap_case_key(
    case_key: bytes, recipient_public: bytes, *, case_id: str, recipient: str, key_id: str
) -> bytes:
    """Encrypt the case key to one recipient with HPKE; `recipient` and `key_id` are bound in."""
    if len(case_key) != CASE_KEY_BYTES:
        raise ValueError("malformed case key")
    wrapped = SUITE.encrypt(
        case_key, _public_key(recipient_public), info=_wrap_info(case_id, recipient, key_id)
    )
    return bytes([FORMAT_VERSION]) + wrapped


def unwrap_case_key(
    wrapped: bytes,
    recipient_private: bytes | hpke.MLKEM768X25519PrivateKey,
    *,
    case_id: str,
    recipient: str,
    key_id: str,
) -> bytes:
    if not wrapped or wrapped[0] != FORMAT_VERSION:
        raise DecryptionError("not a wrap of a known version")
    if isinstance(recipient_private, bytes):
        recipient_private = _private_key(recipient_private)
    try:
        case_key = SUITE.decrypt(
            wrapped[1:],
            recipient_private,
            info=_wrap_info(case_id, recipient, key_id),
        )
    except (InvalidTag, ValueError):
        raise DecryptionError("the wrap does not open with this key, case and recipient") from None
    if len(case_key) != CASE_KEY_BYTES:
        raise DecryptionError("the wrap holds no case key")
    return case_key


# --- Small items sealed to one recipient -------------------------------------------------------


def _sealed_to_info(purpose: str, case_id: str, recipient: str, key_id: str) -> bytes:
    # "/sealed-to/<purpose>", never "/wrap": a sealed item can never pass for a case key's wrap.
    return (
        _DOMAIN + f"/sealed-to/{purpose}|case:{case_id}|recipient:{recipient}|key:{key_id}".encode()
    )


def seal_to_recipient(
    plaintext: bytes,
    recipient_public: bytes,
    *,
    purpose: str,
    case_id: str,
    recipient: str,
    key_id: str,
) -> bytes:
    """Encrypt a small item of a case straight to one recipient's public key with HPKE (the
    queue summary a caseworker sees without opening the account: intake.actions.queue_summary).
    Whoever seals it needs only the public key; only that recipient's private key opens it."""
    sealed = SUITE.encrypt(
        plaintext,
        _public_key(recipient_public),
        info=_sealed_to_info(purpose, case_id, recipient, key_id),
    )
    return bytes([FORMAT_VERSION]) + sealed


def open_sealed_to_recipient(
    sealed: bytes,
    recipient_private: hpke.MLKEM768X25519PrivateKey,
    *,
    purpose: str,
    case_id: str,
    recipient: str,
    key_id: str,
) -> bytes:
    """Open an item sealed by seal_to_recipient() with the private key parsed once by
    load_private_key() (a page opens many), or raise DecryptionError."""
    if not sealed or sealed[0] != FORMAT_VERSION:
        raise DecryptionError("not a sealed item of a known version")
    try:
        return SUITE.decrypt(
            sealed[1:],
            recipient_private,
            info=_sealed_to_info(purpose, case_id, recipient, key_id),
        )
    except (InvalidTag, ValueError):
        raise DecryptionError("the item does not open with this key, case and recipient") from None


# --- Receipts -----------------------------------------------------------------------------------


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


def new_salt() -> bytes:
    """A random salt for an Argon2id derivation (a staff member's password key)."""
    return os.urandom(ARGON2_SALT_BYTES)


def _argon2id(secret: bytes, *, salt: bytes, length: int, ad: bytes) -> bytes:
    kdf = Argon2id(
        salt=salt,
        length=length,
        iterations=ARGON2_ITERATIONS,
        lanes=ARGON2_LANES,
        memory_cost=ARGON2_MEMORY_KIB,
        ad=ad,
    )
    with _ARGON2_LOCK:
        return kdf.derive(secret)


def _hkdf(master: bytes, *, length: int, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(master)


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
    digest = hmac.new(server_secret, _DOMAIN + b"/receipt-salt", "sha256").digest()
    return digest[:ARGON2_SALT_BYTES]


def receipt_secrets(receipt: str, server_secret: bytes) -> ReceiptSecrets:
    """One Argon2id derivation of the receipt (parameters above), split by HKDF into the lookup
    value stored with the case and the 96-byte seed of the survivor's key pair."""
    master = _argon2id(
        receipt.encode(), salt=receipt_salt(server_secret), length=32, ad=_DOMAIN + b"/receipt"
    )
    lookup = _hkdf(master, length=32, info=_DOMAIN + b"/receipt-lookup").hex()
    seed = _hkdf(master, length=PRIVATE_KEY_BYTES, info=_DOMAIN + b"/survivor-key")
    return ReceiptSecrets(lookup=lookup, survivor=key_pair_from_seed(seed))


# --- Staff private keys, sealed under the staff member's password -----------------------------


def _password_key(password: str, salt: bytes) -> AESGCM:
    return AESGCM(
        _argon2id(password.encode(), salt=salt, length=32, ad=_DOMAIN + b"/staff-password")
    )


def seal_private_key(private: bytes, password: str, salt: bytes) -> bytes:
    """A staff private key sealed under Argon2id(password): what the database stores."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _password_key(password, salt).encrypt(nonce, private, _DOMAIN + b"/staff-key")
    return bytes([FORMAT_VERSION]) + nonce + sealed


def open_private_key(sealed: bytes, password: str, salt: bytes) -> bytes:
    if not sealed or sealed[0] != FORMAT_VERSION:
        raise DecryptionError("not a sealed private key of a known version")
    nonce, ciphertext = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return _password_key(password, salt).decrypt(nonce, ciphertext, _DOMAIN + b"/staff-key")
    except InvalidTag:
        raise DecryptionError("the password does not open this private key") from None


# --- The coordinators' key, shared with each coordinator --------------------------------------


def _share_info(recipient: str, key_id: str) -> bytes:
    return _DOMAIN + f"/key-share|recipient:{recipient}|key:{key_id}".encode()


def wrap_private_key(
    private: bytes, recipient_public: bytes, *, recipient: str, key_id: str
) -> bytes:
    """A service private key (the coordinators') encrypted to one person's public key."""
    if len(private) != PRIVATE_KEY_BYTES:
        raise ValueError("malformed private key")
    wrapped = SUITE.encrypt(
        private, _public_key(recipient_public), info=_share_info(recipient, key_id)
    )
    return bytes([FORMAT_VERSION]) + wrapped


def unwrap_private_key(
    wrapped: bytes, recipient_private: bytes, *, recipient: str, key_id: str
) -> bytes:
    if not wrapped or wrapped[0] != FORMAT_VERSION:
        raise DecryptionError("not a key share of a known version")
    try:
        private = SUITE.decrypt(
            wrapped[1:], _private_key(recipient_private), info=_share_info(recipient, key_id)
        )
    except (InvalidTag, ValueError):
        raise DecryptionError("the key share does not open with this key") from None
    if len(private) != PRIVATE_KEY_BYTES:
        raise DecryptionError("the key share holds no private key")
    return private
