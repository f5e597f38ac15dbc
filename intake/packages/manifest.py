"""The signed zip: manifest.json lists every other file with its SHA-256 and size, and
manifest.json.sig holds the organisation's Ed25519 signature of manifest.json's exact bytes
(base64, one line). scripts/verify_package.py checks both with the public key alone.

The zip is built in memory and never written to disk; its entries carry the date the package
was prepared, not the time.
"""

import base64
import datetime
import hashlib
import io
import json
import re
import zipfile

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from intake.packages.signing import fingerprint

FORMAT = "survivor-portal-documentation-package/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"


def safe_name(name: str, limit: int = 80) -> str:
    """A file name that is one path segment of plain characters (the survivor chose the name:
    no "..", no slashes, no control characters in the zip)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return cleaned[:limit] or "file"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_bytes(
    files: dict[str, bytes],
    *,
    package_id: str,
    organisation: str,
    prepared_on: datetime.date,
    key: Ed25519PrivateKey,
) -> bytes:
    document = {
        "format": FORMAT,
        "package": package_id,
        "organisation": organisation,
        "prepared_on": prepared_on.isoformat(),
        "signature": {
            "algorithm": "Ed25519",
            "file": SIGNATURE,
            "covers": f"the exact bytes of {MANIFEST}",
            "public_key_fingerprint": fingerprint(key.public_key()),
        },
        "files": [
            {"name": name, "sha256": sha256(data), "size": len(data)}
            for name, data in sorted(files.items())
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode() + b"\n"


def signed_zip(
    files: dict[str, bytes],
    *,
    package_id: str,
    organisation: str,
    prepared_on: datetime.date,
    key: Ed25519PrivateKey,
) -> tuple[bytes, bytes]:
    """(the zip, its manifest): `files` (path in the zip -> bytes), the manifest listing them,
    and the signature of the manifest."""
    if MANIFEST in files or SIGNATURE in files:
        raise ValueError("the manifest and its signature are written here")
    manifest = manifest_bytes(
        files, package_id=package_id, organisation=organisation, prepared_on=prepared_on, key=key
    )
    signature = base64.b64encode(key.sign(manifest)) + b"\n"
    stamp = (prepared_on.year, prepared_on.month, prepared_on.day, 0, 0, 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in [(MANIFEST, manifest), (SIGNATURE, signature), *sorted(files.items())]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, data)
    return buffer.getvalue(), manifest
