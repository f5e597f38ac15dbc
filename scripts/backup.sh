#!/usr/bin/env bash
# An encrypted backup of the running portal, in one file (docs/operations.md, "Backups"):
#
#   scripts/backup.sh [DIRECTORY]          # default: backups/
#
# It holds the database (pg_dump as the owner), the media volume (encrypted attachments), the
# signed audit checkpoints, the secrets/ folder, the settings (deploy/*.env, .env, the checkpoint
# public key) and, with the onion profile, Tor's keys. Each part is encrypted with age to the
# public keys in deploy/backup-recipients.txt as it is read: nothing of it is written to disk
# unencrypted. The private key (age identity) stays off the server; with it and this file,
# scripts/restore.sh rebuilds the portal on an empty stack.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/compose.sh

recipients=deploy/backup-recipients.txt
if [ ! -s "$recipients" ]; then
  echo "$recipients is missing: create a key pair with age-keygen on a computer you control," >&2
  echo "keep the private key there, and put the public key (age1...) in $recipients" >&2
  exit 1
fi
command -v age >/dev/null || { echo "age is missing (apt-get install age)" >&2; exit 1; }

target_dir=${1:-backups}
mkdir -p "$target_dir"
name="portal-$(date -u +%Y%m%dT%H%M%SZ)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
encrypt() { age --encrypt --recipients-file "$recipients" --output "$work/$1"; }

# The audit checkpoints first, then the database: every checkpoint in the backup was then signed
# before the dump began, so it names entries the dump holds, and `verify_audit --checkpoints`
# passes after a restore (a checkpoint signed during the dump is in the off-site copy only).
compose run --rm --no-deps -T web tar -C /app/var/audit -cf - . | encrypt audit-checkpoints.tar.age
# The dump is taken by the owner inside the postgres container: one consistent snapshot, without
# owners or grants (scripts/restore.sh gives them again with migrate and setup_runtime_role).
compose exec -T postgres pg_dump --username=portal --no-owner --no-privileges portal \
  | gzip | encrypt database.sql.gz.age
compose run --rm --no-deps -T web tar -C /app/var/media -cf - . | encrypt media.tar.age
tar -cf - secrets | encrypt secrets.tar.age
settings=(deploy/portal.env deploy/mail.env deploy/audit-checkpoint.pub "$recipients")
[ -e .env ] && settings+=(.env)
# The public half of the package signing key (docs/packages.md), once setup-production.sh made it.
[ -e deploy/package-signing.pub ] && settings+=(deploy/package-signing.pub)
tar -cf - "${settings[@]}" | encrypt settings.tar.age
if [ -n "$(compose ps -q tor 2>/dev/null)" ]; then
  compose exec -T tor tar -C /var/lib/tor/portal -cf - . | encrypt tor-keys.tar.age
fi

# Only encrypted parts go into the file; its name says when it was taken.
tar -C "$work" -cf "$target_dir/$name.tar" .
chmod 600 "$target_dir/$name.tar"
echo "backup: $target_dir/$name.tar ($(du -h "$target_dir/$name.tar" | cut -f1)); copy it off this server"
