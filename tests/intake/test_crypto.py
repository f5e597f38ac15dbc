"""intake/crypto/: known answers, round trips, and failing closed on every kind of tampering."""

import json
from pathlib import Path

import pytest

from intake import crypto
from intake.crypto import DecryptionError, kdf, unwrapping

VECTORS = json.loads((Path(__file__).parent / "crypto_vectors.json").read_text())
CASE_KEY = bytes.fromhex(VECTORS["case_key_hex"])
KEYS = crypto.key_pair_from_seed(bytes.fromhex(VECTORS["key_seed_hex"]))


# --- Known answers: the stored format stays readable across versions --------------------------


def test_a_seed_always_gives_the_same_key_pair() -> None:
    assert crypto.fingerprint(KEYS.public) == VECTORS["public_key_fingerprint"]
    assert len(KEYS.public) == crypto.PUBLIC_KEY_BYTES
    assert len(KEYS.private) == crypto.PRIVATE_KEY_BYTES


def test_a_stored_sealed_item_still_opens() -> None:
    sealed = bytes.fromhex(VECTORS["sealed_hex"])
    opened = crypto.open_sealed(CASE_KEY, case_id="case-1", item="narrative", sealed=sealed)
    assert opened == b"known answer"


def test_a_stored_wrap_still_opens() -> None:
    wrapped = bytes.fromhex(VECTORS["wrap_hex"])
    case_key = unwrapping.unwrap_case_key(
        wrapped, KEYS.private, case_id="case-1", recipient="routing", key_id="routing-v1"
    )
    assert case_key == CASE_KEY


def test_a_stored_resealed_item_still_opens() -> None:
    key = crypto.resealing_key(KEYS.private)
    assert key.hex() == VECTORS["resealing_key_hex"]
    opened = crypto.open_resealed(
        bytes.fromhex(VECTORS["resealed_hex"]),
        key,
        purpose=VECTORS["resealed_purpose"],
        case_id="case-1",
        recipient=VECTORS["resealed_recipient"],
        key_id=VECTORS["resealed_key_id"],
    )
    assert opened == b"known answer"


def test_a_receipt_always_gives_the_same_survivor_key_and_lookup() -> None:
    import hashlib

    server_secret = bytes.fromhex(VECTORS["lookup_secret_hex"])
    assert crypto.receipt_salt(server_secret).hex() == VECTORS["receipt_salt_hex"]
    secrets = crypto.receipt_secrets(VECTORS["receipt"], server_secret)
    assert (
        hashlib.sha256(secrets.survivor.public).hexdigest()
        == (VECTORS["survivor_public_key_sha256"])
    )
    assert secrets.lookup == VECTORS["receipt_lookup"]


def test_the_lookup_is_not_a_fast_hash_of_the_receipt() -> None:
    """Whoever holds the database and RECEIPT_LOOKUP_KEY must pay an Argon2id per guess: the
    stored lookup is no HMAC or hash of the receipt that could be computed without it."""
    import hashlib
    import hmac

    receipt, server_secret = VECTORS["receipt"], bytes.fromhex(VECTORS["lookup_secret_hex"])
    fast = {
        hmac.new(server_secret, message, digest).hexdigest()
        for message in (receipt.encode(), b"survivor-portal/v1/receipt|" + receipt.encode())
        for digest in ("sha256", "sha512", "blake2b")
    } | {hashlib.sha256(server_secret + receipt.encode()).hexdigest()}
    assert VECTORS["receipt_lookup"] not in fast
    # Counted, not timed: the derivation goes through Argon2id exactly once.
    calls = []
    original = kdf.argon2id

    def counting(*args, **kwargs):
        calls.append(kwargs["length"])
        return original(*args, **kwargs)

    kdf.argon2id = counting
    try:
        assert crypto.receipt_secrets(receipt, server_secret).lookup == VECTORS["receipt_lookup"]
    finally:
        kdf.argon2id = original
    assert calls == [32]


def test_argon2_parameters_are_at_least_rfc_9106_recommendation() -> None:
    assert crypto.ARGON2_ITERATIONS >= 3
    assert crypto.ARGON2_MEMORY_KIB >= 64 * 1024
    assert crypto.ARGON2_SALT_BYTES >= 16


# --- Sealed items ------------------------------------------------------------------------------


def seal(plaintext: bytes = b"what happened", case_id: str = "case-a", item: str = "narrative"):
    return crypto.seal(CASE_KEY, case_id=case_id, item=item, plaintext=plaintext)


def test_an_item_round_trips_and_is_never_the_same_twice() -> None:
    first, second = seal(), seal()
    assert first != second  # fresh nonce every time
    assert b"what happened" not in first
    assert crypto.open_sealed(CASE_KEY, case_id="case-a", item="narrative", sealed=first) == (
        b"what happened"
    )


@pytest.mark.parametrize("position", [0, 1, 12, 13, -17, -1])
def test_a_flipped_byte_anywhere_fails_closed(position: int) -> None:
    sealed = bytearray(seal())
    sealed[position] ^= 0x01
    with pytest.raises(DecryptionError):
        crypto.open_sealed(CASE_KEY, case_id="case-a", item="narrative", sealed=bytes(sealed))


def test_an_item_moved_to_another_case_fails_closed() -> None:
    with pytest.raises(DecryptionError):
        crypto.open_sealed(CASE_KEY, case_id="case-b", item="narrative", sealed=seal())


def test_an_item_moved_to_another_item_fails_closed() -> None:
    with pytest.raises(DecryptionError):
        crypto.open_sealed(CASE_KEY, case_id="case-a", item="answers", sealed=seal())


def test_the_wrong_case_key_fails_closed() -> None:
    with pytest.raises(DecryptionError):
        crypto.open_sealed(crypto.new_case_key(), case_id="case-a", item="narrative", sealed=seal())


def test_a_truncated_item_fails_closed() -> None:
    for length in (0, 1, 12, 28):
        with pytest.raises(DecryptionError):
            crypto.open_sealed(CASE_KEY, case_id="case-a", item="narrative", sealed=seal()[:length])


# --- Attachments in chunks ---------------------------------------------------------------------


def sealed_chunks(*chunks: bytes) -> list[bytes]:
    return list(
        crypto.seal_chunks(CASE_KEY, case_id="case-a", item="attachment:1", chunks=iter(chunks))
    )


def open_all(chunks: list[bytes]) -> bytes:
    return b"".join(
        crypto.open_chunks(CASE_KEY, case_id="case-a", item="attachment:1", sealed_chunks=chunks)
    )


def test_chunks_round_trip_including_an_empty_file() -> None:
    assert open_all(sealed_chunks(b"a" * 10, b"b" * 10, b"c")) == b"a" * 10 + b"b" * 10 + b"c"
    assert open_all(sealed_chunks()) == b""


def test_reordered_chunks_fail_closed() -> None:
    first, second, third = sealed_chunks(b"1", b"2", b"3")
    with pytest.raises(DecryptionError):
        open_all([second, first, third])


def test_a_file_cut_short_fails_closed() -> None:
    chunks = sealed_chunks(b"1", b"2", b"3")
    with pytest.raises(DecryptionError):
        open_all(chunks[:2])


def test_a_chunk_from_another_attachment_fails_closed() -> None:
    other = list(
        crypto.seal_chunks(CASE_KEY, case_id="case-a", item="attachment:2", chunks=iter([b"x"]))
    )
    with pytest.raises(DecryptionError):
        open_all(other)


# --- Wrapping case keys ------------------------------------------------------------------------


def wrap(recipient: str = "caseworker:7", key_id: str = "cw-7-v1", case_id: str = "case-a"):
    return crypto.wrap_case_key(
        CASE_KEY, KEYS.public, case_id=case_id, recipient=recipient, key_id=key_id
    )


def test_a_wrap_round_trips() -> None:
    unwrapped = unwrapping.unwrap_case_key(
        wrap(), KEYS.private, case_id="case-a", recipient="caseworker:7", key_id="cw-7-v1"
    )
    assert unwrapped == CASE_KEY


@pytest.mark.parametrize(
    "changes",
    [
        {"case_id": "case-b"},
        {"recipient": "caseworker:8"},
        {"key_id": "cw-7-v2"},
    ],
)
def test_a_wrap_opened_for_another_case_recipient_or_key_version_fails_closed(changes) -> None:
    arguments = {"case_id": "case-a", "recipient": "caseworker:7", "key_id": "cw-7-v1"} | changes
    with pytest.raises(DecryptionError):
        unwrapping.unwrap_case_key(wrap(), KEYS.private, **arguments)


def test_a_wrap_with_another_private_key_fails_closed() -> None:
    other = crypto.generate_key_pair()
    with pytest.raises(DecryptionError):
        unwrapping.unwrap_case_key(
            wrap(), other.private, case_id="case-a", recipient="caseworker:7", key_id="cw-7-v1"
        )


@pytest.mark.parametrize("position", [0, 1, 500, 1120, -1])
def test_a_flipped_byte_in_a_wrap_fails_closed(position: int) -> None:
    wrapped = bytearray(wrap())
    wrapped[position] ^= 0x80
    with pytest.raises(DecryptionError):
        unwrapping.unwrap_case_key(
            bytes(wrapped),
            KEYS.private,
            case_id="case-a",
            recipient="caseworker:7",
            key_id="cw-7-v1",
        )


def test_key_pairs_never_print_their_private_half() -> None:
    assert KEYS.private.hex()[:16] not in repr(KEYS)
    assert "private" not in repr(KEYS)


# --- Receipts ----------------------------------------------------------------------------------


def test_receipts_have_at_least_64_bits_and_show_in_groups_of_four() -> None:
    receipt = crypto.new_receipt()
    assert len(receipt) == 20
    assert receipt.isdigit()
    assert 10**20 > 2**64
    assert crypto.format_receipt("12345678901234567890") == "1234 5678 9012 3456 7890"


def test_receipts_differ() -> None:
    assert len({crypto.new_receipt() for _ in range(1000)}) == 1000


@pytest.mark.parametrize(
    "typed",
    [
        "1234 5678 9012 3456 7890",
        "1234-5678-9012-3456-7890",
        "12345678901234567890",
        "  1234.5678.9012.3456.7890 ",
        "١٢٣٤ ٥٦٧٨ ٩٠١٢ ٣٤٥٦ ٧٨٩٠",  # Eastern Arabic digits
        "۱۲۳۴-۵۶۷۸-۹۰۱۲-۳۴۵۶-۷۸۹۰",  # Persian digits
        "1234 ٥٦٧٨ ۹۰۱۲ 3456 7890",  # mixed, as a phone keyboard may give
    ],
)
def test_receipts_are_accepted_in_any_script_and_grouping(typed: str) -> None:
    assert crypto.normalise_receipt(typed) == "12345678901234567890"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "1234",
        "1234 5678 9012 3456 789",
        "1234 5678 9012 3456 78901",
        "abcd efgh",
        "1234 5678 9012 3456 789O",
    ],
)
def test_malformed_receipts_are_rejected(typed: str) -> None:
    assert crypto.normalise_receipt(typed) is None


def test_the_receipt_secrets_depend_on_the_receipt_and_the_server_secret() -> None:
    one = crypto.receipt_secrets("11112222333344445555", b"server secret")
    same = crypto.receipt_secrets("11112222333344445555", b"server secret")
    assert (same.lookup, same.survivor) == (one.lookup, one.survivor)
    for other in (
        crypto.receipt_secrets("11112222333344445556", b"server secret"),
        crypto.receipt_secrets("11112222333344445555", b"another server secret"),
    ):
        assert other.lookup != one.lookup
        assert other.survivor != one.survivor
    # Neither half gives the other away: the lookup is not part of the key, nor the reverse.
    assert one.lookup not in one.survivor.private.hex() + one.survivor.public.hex()


# --- Items resealed by their recipient (the queue summaries, docs/security.md section 6) ------

RESEALED_TO = {
    "purpose": "queue-summary",
    "case_id": "case-1",
    "recipient": "caseworker:1",
    "key_id": "v1",
}


def test_an_item_sealed_to_a_recipient_is_resealed_by_them_and_opens_the_same() -> None:
    sealed = crypto.seal_to_recipient(b"language and harms", KEYS.public, **RESEALED_TO)
    opened = crypto.open_sealed_to_recipient(
        sealed, crypto.load_private_key(KEYS.private), **RESEALED_TO
    )
    key = crypto.resealing_key(KEYS.private)
    resealed = crypto.reseal_for_recipient(opened, key, **RESEALED_TO)
    assert resealed[0] == crypto.RESEALED_VERSION
    assert crypto.is_resealed(resealed)
    assert not crypto.is_resealed(sealed)
    assert b"language" not in resealed
    assert crypto.open_resealed(resealed, key, **RESEALED_TO) == b"language and harms"
    assert resealed != crypto.reseal_for_recipient(opened, key, **RESEALED_TO)  # fresh nonce


def test_the_resealing_key_comes_from_the_private_key_alone() -> None:
    """Derived from the private half, with a label of its own: another key pair gives another
    key, and it is neither the private key nor anything derived from the public half."""
    other = crypto.generate_key_pair()
    key = crypto.resealing_key(KEYS.private)
    assert key != crypto.resealing_key(other.private)
    assert key not in (KEYS.private[:32], KEYS.private[-32:], KEYS.public[:32], KEYS.public[-32:])
    with pytest.raises(DecryptionError):
        crypto.resealing_key(KEYS.private[:-1])


@pytest.mark.parametrize(
    "changes",
    [
        {"case_id": "case-2"},
        {"recipient": "caseworker:2"},
        {"key_id": "v2"},
        {"purpose": "something-else"},
    ],
)
def test_a_resealed_item_moved_to_another_case_recipient_key_or_purpose_fails_closed(
    changes,
) -> None:
    key = crypto.resealing_key(KEYS.private)
    resealed = crypto.reseal_for_recipient(b"x", key, **RESEALED_TO)
    with pytest.raises(DecryptionError):
        crypto.open_resealed(resealed, key, **{**RESEALED_TO, **changes})


def test_a_resealed_item_opens_only_with_its_recipients_key() -> None:
    key = crypto.resealing_key(KEYS.private)
    resealed = crypto.reseal_for_recipient(b"x", key, **RESEALED_TO)
    other = crypto.resealing_key(crypto.generate_key_pair().private)
    with pytest.raises(DecryptionError):
        crypto.open_resealed(resealed, other, **RESEALED_TO)
    # Nor does the HPKE opener take it, nor the resealed opener an HPKE item.
    with pytest.raises(DecryptionError):
        crypto.open_sealed_to_recipient(
            resealed, crypto.load_private_key(KEYS.private), **RESEALED_TO
        )
    sealed = crypto.seal_to_recipient(b"x", KEYS.public, **RESEALED_TO)
    with pytest.raises(DecryptionError):
        crypto.open_resealed(sealed, key, **RESEALED_TO)


@pytest.mark.parametrize("position", [0, 1, 13, -1])
def test_a_flipped_byte_in_a_resealed_item_fails_closed(position: int) -> None:
    key = crypto.resealing_key(KEYS.private)
    resealed = bytearray(crypto.reseal_for_recipient(b"some words", key, **RESEALED_TO))
    resealed[position] ^= 1
    with pytest.raises(DecryptionError):
        crypto.open_resealed(bytes(resealed), key, **RESEALED_TO)
    with pytest.raises(DecryptionError):
        crypto.open_resealed(bytes(resealed[:20]), key, **RESEALED_TO)
