"""Encryption of survivor accounts: the only place that touches key material or AES-GCM.

Built on the `cryptography` package only (docs/security.md, sections 1 and 2):

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

The modules: keys.py (key pairs, the HPKE suite, the format version), kdf.py (Argon2id, HKDF),
items.py (sealed items, chunks, wrapping case keys, items sealed to one recipient and resealed by
them), unwrapping.py
(opening wraps), receipts.py, staff_keys.py (staff private keys, the coordinators' key share) and
sessions.py (a login's key halves and the staff's second-factor secrets, with a version byte too).
unwrapping.py is not re-exported here: only the access door (intake/access.py), grants
(intake/actions/grants.py) and routing placement (intake/routing/placement.py) import it, so who
opens case keys shows in the imports.

Every function that opens a ciphertext raises DecryptionError on any failure (wrong key, tampering,
wrong case or item), never returns partial plaintext: callers fail closed.
"""

# Keys, the suite and the format.
# Sealed items, chunks, wraps.
from intake.crypto.items import (
    CHUNK_BYTES,
    RESEALED_VERSION,
    chunk_item,
    is_resealed,
    new_case_key,
    open_chunks,
    open_resealed,
    open_sealed,
    open_sealed_to_recipient,
    reseal_for_recipient,
    resealing_key,
    seal,
    seal_chunks,
    seal_to_recipient,
    wrap_case_key,
)

# Argon2id.
from intake.crypto.kdf import ARGON2_ITERATIONS, ARGON2_MEMORY_KIB, ARGON2_SALT_BYTES, new_salt
from intake.crypto.keys import (
    CASE_KEY_BYTES,
    DOMAIN,
    FORMAT_VERSION,
    NONCE_BYTES,
    PRIVATE_KEY_BYTES,
    PUBLIC_KEY_BYTES,
    SUITE,
    DecryptionError,
    KeyPair,
    fingerprint,
    generate_key_pair,
    key_pair_from_seed,
    load_private_key,
)

# Receipts.
from intake.crypto.receipts import (
    RECEIPT_DIGITS,
    ReceiptSecrets,
    format_receipt,
    new_receipt,
    normalise_receipt,
    receipt_salt,
    receipt_secrets,
)

# A login's key halves, and second-factor secrets.
from intake.crypto.sessions import (
    new_session_key,
    open_mfa_secret,
    open_session_half,
    seal_mfa_secret,
    seal_session_half,
)

# Staff keys.
from intake.crypto.staff_keys import open_private_key, seal_private_key, wrap_private_key

__all__ = [
    "ARGON2_ITERATIONS",
    "ARGON2_MEMORY_KIB",
    "ARGON2_SALT_BYTES",
    "CASE_KEY_BYTES",
    "CHUNK_BYTES",
    "DOMAIN",
    "FORMAT_VERSION",
    "NONCE_BYTES",
    "PRIVATE_KEY_BYTES",
    "PUBLIC_KEY_BYTES",
    "RECEIPT_DIGITS",
    "RESEALED_VERSION",
    "SUITE",
    "DecryptionError",
    "KeyPair",
    "ReceiptSecrets",
    "chunk_item",
    "fingerprint",
    "format_receipt",
    "generate_key_pair",
    "is_resealed",
    "key_pair_from_seed",
    "load_private_key",
    "new_case_key",
    "new_receipt",
    "new_salt",
    "new_session_key",
    "normalise_receipt",
    "open_chunks",
    "open_mfa_secret",
    "open_private_key",
    "open_resealed",
    "open_sealed",
    "open_sealed_to_recipient",
    "open_session_half",
    "receipt_salt",
    "receipt_secrets",
    "reseal_for_recipient",
    "resealing_key",
    "seal",
    "seal_chunks",
    "seal_mfa_secret",
    "seal_private_key",
    "seal_session_half",
    "seal_to_recipient",
    "wrap_case_key",
    "wrap_private_key",
]
