"""JSON values sealed with a case key (intake.crypto.seal, under the item's name)."""

import json
from typing import Any

from intake import crypto


def seal_json(case_key: bytes, case_id: str, item: str, value: Any) -> bytes:
    return crypto.seal(case_key, case_id=case_id, item=item, plaintext=json.dumps(value).encode())


def open_json(case_key: bytes, case_id: str, item: str, sealed: bytes) -> Any:
    return json.loads(crypto.open_sealed(case_key, case_id=case_id, item=item, sealed=sealed))
