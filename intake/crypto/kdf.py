"""Key derivation: Argon2id for receipts and staff passwords, HKDF to split its output."""

import os
import threading

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

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


def new_salt() -> bytes:
    """A random salt for an Argon2id derivation (a staff member's password key)."""
    return os.urandom(ARGON2_SALT_BYTES)


def argon2id(secret: bytes, *, salt: bytes, length: int, ad: bytes) -> bytes:
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


def hkdf(master: bytes, *, length: int, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(master)
