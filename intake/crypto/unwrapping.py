"""Opening wraps: a case key wrapped to a recipient, and the coordinators' key shared with one
coordinator.

Kept apart from the rest of intake.crypto (and not re-exported by it) so that who opens case
keys shows in the imports: the access door (intake/access.py), grants
(intake/actions/grants.py) and routing placement (intake/routing/placement.py), nothing else.
"""

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke

from intake.crypto import keys
from intake.crypto.keys import (
    CASE_KEY_BYTES,
    FORMAT_VERSION,
    PRIVATE_KEY_BYTES,
    SUITE,
    DecryptionError,
)


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
        recipient_private = keys.load_private_key(recipient_private)
    try:
        case_key = SUITE.decrypt(
            wrapped[1:],
            recipient_private,
            info=keys.wrap_info(case_id, recipient, key_id),
        )
    except (InvalidTag, ValueError):
        raise DecryptionError("the wrap does not open with this key, case and recipient") from None
    if len(case_key) != CASE_KEY_BYTES:
        raise DecryptionError("the wrap holds no case key")
    return case_key


def unwrap_private_key(
    wrapped: bytes, recipient_private: bytes, *, recipient: str, key_id: str
) -> bytes:
    if not wrapped or wrapped[0] != FORMAT_VERSION:
        raise DecryptionError("not a key share of a known version")
    try:
        private = SUITE.decrypt(
            wrapped[1:],
            keys.load_private_key(recipient_private),
            info=keys.share_info(recipient, key_id),
        )
    except (InvalidTag, ValueError):
        raise DecryptionError("the key share does not open with this key") from None
    if len(private) != PRIVATE_KEY_BYTES:
        raise DecryptionError("the key share holds no private key")
    return private
