"""Sealed items of a case, attachment chunks, and wrapping the case key to its recipients."""

import os
from collections.abc import Iterable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from intake.crypto import keys
from intake.crypto.keys import (
    CASE_KEY_BYTES,
    DOMAIN,
    FORMAT_VERSION,
    NONCE_BYTES,
    SUITE,
    DecryptionError,
)

# Attachments are sealed in chunks of this size as they stream in.
CHUNK_BYTES = 64 * 1024


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
        info=DOMAIN + b"/item-key|" + item.encode(),
    ).derive(case_key)
    return AESGCM(subkey)


def _associated_data(case_id: str, item: str) -> bytes:
    return DOMAIN + f"|case:{case_id}|item:{item}".encode()


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


def wrap_case_key(
    case_key: bytes, recipient_public: bytes, *, case_id: str, recipient: str, key_id: str
) -> bytes:
    """Encrypt the case key to one recipient with HPKE; `recipient` and `key_id` are bound in."""
    if len(case_key) != CASE_KEY_BYTES:
        raise ValueError("malformed case key")
    wrapped = SUITE.encrypt(
        case_key, keys.public_key(recipient_public), info=keys.wrap_info(case_id, recipient, key_id)
    )
    return bytes([FORMAT_VERSION]) + wrapped


# --- Small items sealed to one recipient -------------------------------------------------------


def _sealed_to_info(purpose: str, case_id: str, recipient: str, key_id: str) -> bytes:
    # "/sealed-to/<purpose>", never "/wrap": a sealed item can never pass for a case key's wrap.
    return (
        DOMAIN + f"/sealed-to/{purpose}|case:{case_id}|recipient:{recipient}|key:{key_id}".encode()
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
    queue summary a caseworker sees without opening the account:
    intake.actions.grants.seal_queue_summary).
    Whoever seals it needs only the public key; only that recipient's private key opens it."""
    sealed = SUITE.encrypt(
        plaintext,
        keys.public_key(recipient_public),
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


# --- Items resealed by their recipient ----------------------------------------------------------
#
# Opening an item sealed to a recipient costs an ML-KEM-768 and an X25519 decapsulation (about
# 0.15 ms); a queue page opens 50 on every view. The recipient, once they have opened it, may
# seal it again under a symmetric key that only their private key gives (HKDF with a label of
# its own), and store that instead: the next views open it with AES-GCM. Only the same private
# key opens either form, and the associated data binds the same case, recipient, key version
# and purpose (docs/security.md, section 6). The first byte tells the forms apart.
RESEALED_VERSION = 2
RESEALING_KEY_BYTES = 32


def resealing_key(recipient_private: bytes) -> bytes:
    """The symmetric key a recipient reseals their items under: derived from their stored private
    key (keys.PRIVATE_KEY_BYTES), so nobody without that key can derive it, and a new key pair
    (a password reset) gives a new one."""
    if len(recipient_private) != keys.PRIVATE_KEY_BYTES:
        raise DecryptionError("malformed private key")
    return HKDF(
        algorithm=hashes.SHA256(),
        length=RESEALING_KEY_BYTES,
        salt=None,
        info=DOMAIN + b"/resealing-key",
    ).derive(recipient_private)


def _resealed_associated_data(purpose: str, case_id: str, recipient: str, key_id: str) -> bytes:
    # "/resealed/<purpose>": never the info of an HPKE item or a wrap.
    binding = f"|case:{case_id}|recipient:{recipient}|key:{key_id}"
    return DOMAIN + f"/resealed/{purpose}{binding}".encode()


def is_resealed(sealed: bytes) -> bool:
    return bool(sealed) and sealed[0] == RESEALED_VERSION


def reseal_for_recipient(
    plaintext: bytes,
    key: bytes,
    *,
    purpose: str,
    case_id: str,
    recipient: str,
    key_id: str,
) -> bytes:
    """An item its recipient has opened (open_sealed_to_recipient), sealed again under their
    resealing_key(): version byte, random nonce, AES-256-GCM ciphertext and tag."""
    if len(key) != RESEALING_KEY_BYTES:
        raise ValueError("malformed resealing key")
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(
        nonce, plaintext, _resealed_associated_data(purpose, case_id, recipient, key_id)
    )
    return bytes([RESEALED_VERSION]) + nonce + ciphertext


def open_resealed(
    sealed: bytes,
    key: bytes,
    *,
    purpose: str,
    case_id: str,
    recipient: str,
    key_id: str,
) -> bytes:
    """Open an item resealed by reseal_for_recipient() for the same case, recipient, key version
    and purpose, or raise DecryptionError."""
    if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[0] != RESEALED_VERSION:
        raise DecryptionError("not a resealed item")
    if len(key) != RESEALING_KEY_BYTES:
        raise DecryptionError("malformed resealing key")
    nonce, ciphertext = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(
            nonce, ciphertext, _resealed_associated_data(purpose, case_id, recipient, key_id)
        )
    except (InvalidTag, ValueError):
        raise DecryptionError("the item does not open with this key, case and recipient") from None
