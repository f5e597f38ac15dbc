#!/usr/bin/env python3
"""Check a documentation package from a survivor-intake portal: its signature and every file.

For the office that receives a package. First decrypt it with your age identity (any age
implementation; https://age-encryption.org):

    age -d -i key.txt documentation-<package id>.age > package.zip
    python verify_package.py package.zip org-public.pem

org-public.pem is the organisation's public key, which they gave you by a channel of its own
(compare its fingerprint, printed below, with the one they read to you). The script needs
Python 3.10+ and the `cryptography` package only (pip install cryptography). It changes
nothing; it prints what is wrong, and exits with 0 only if everything holds:

- manifest.json.sig is a valid Ed25519 signature of manifest.json's exact bytes by that key;
- every file the manifest lists is in the zip, with that SHA-256 and size;
- the zip holds no file the manifest does not list.
"""

import base64
import binascii
import hashlib
import json
import sys
import zipfile
import zlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"


def fingerprint(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def load_key(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} does not hold an Ed25519 public key")
    return key


def problems(package: Path, key: Ed25519PublicKey) -> list[str]:
    """Everything wrong with the package, or [] if it verifies."""
    try:
        archive = zipfile.ZipFile(package)
    except (OSError, zipfile.BadZipFile) as error:
        return [f"not a zip file ({error}): was it decrypted with age first?"]
    try:
        with archive:
            return _problems(archive, key)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        return [f"the zip is damaged ({error}): a byte was changed or the file is cut short"]


def _problems(archive: zipfile.ZipFile, key: Ed25519PublicKey) -> list[str]:
    names = archive.namelist()
    if len(names) != len(set(names)):
        return ["the zip holds two files with the same name"]
    if MANIFEST not in names or SIGNATURE not in names:
        return [f"the zip has no {MANIFEST} or no {SIGNATURE}"]
    manifest = archive.read(MANIFEST)
    try:
        signature = base64.b64decode(archive.read(SIGNATURE).strip(), validate=True)
        key.verify(signature, manifest)
    except (InvalidSignature, binascii.Error, ValueError):
        return [
            "the signature does not match: manifest.json was changed, or the package was "
            "not signed with this key. Trust nothing in it."
        ]
    try:
        listed = json.loads(manifest)["files"]
    except (ValueError, KeyError, TypeError):
        return ["manifest.json is signed but not readable"]
    found = []
    expected = {MANIFEST, SIGNATURE}
    for item in listed:
        name = item["name"]
        expected.add(name)
        if name not in names:
            found.append(f"{name}: listed in the manifest, missing from the zip")
            continue
        data = archive.read(name)
        if hashlib.sha256(data).hexdigest() != item["sha256"]:
            found.append(f"{name}: its SHA-256 is not the one in the manifest (changed)")
        elif len(data) != item["size"]:
            found.append(f"{name}: its size is not the one in the manifest")
    for name in sorted(set(names) - expected):
        found.append(f"{name}: in the zip but not in the signed manifest (added)")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1] if __doc__ else "", file=sys.stderr)
        print("usage: verify_package.py package.zip org-public.pem", file=sys.stderr)
        return 2
    try:
        key = load_key(Path(argv[2]))
    except (OSError, ValueError) as error:
        print(f"cannot read the public key: {error}", file=sys.stderr)
        return 2
    print(f"public key fingerprint: {fingerprint(key)}")
    found = problems(Path(argv[1]), key)
    if found:
        print("NOT VERIFIED:")
        for problem in found:
            print(f"- {problem}")
        return 1
    with zipfile.ZipFile(argv[1]) as archive:
        manifest = json.loads(archive.read(MANIFEST))
    print(
        f"VERIFIED: package {manifest.get('package')} from {manifest.get('organisation')}, "
        f"prepared on {manifest.get('prepared_on')}: the signature and all "
        f"{len(manifest['files'])} files hold."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
