"""Documentation packages (issue 17): the file a caseworker prepares for an office the survivor
chose (the ICC Office of the Prosecutor, a UN investigation, a national war-crimes unit).

A package is a zip holding, for each account, what she agreed to share (account.json), the files
she sent (decrypted, each checked against the SHA-256 sealed with it), the incident facts mapped
to the Rome Statute provisions they MAY fall under (rome_statute.py), a chain-of-custody record
and a summary in English (summary.txt). manifest.json lists every other file with its SHA-256
and is signed with the organisation's Ed25519 key (signing.py, manifest.json.sig); the whole zip
is then encrypted to the recipient's age public key (encryption.py). Recipients check it with
scripts/verify_package.py (docs/packages.md).

This package only formats, signs and encrypts: what goes in, the consent gate and the register
are intake/actions/packages.py.
"""
