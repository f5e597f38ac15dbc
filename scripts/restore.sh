#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an empty stack (docs/operations.md, "Restore"):
#
#   scripts/restore.sh backups/portal-20261206T020000Z.tar /path/to/backup-key.txt
#   docker compose up -d
#
# Run it in a checkout of the portal (the version the backup came from, or a newer one) where the
# portal has no database yet. It puts back the settings (those not present already) and the
# secrets, loads the database into the new, empty PostgreSQL, and fills the media volume, the
# audit checkpoints and Tor's keys. `docker compose up -d` then migrates (when this version is
# newer), gives the runtime role its rights again, and starts everything. Then verify the audit
# log against the restored checkpoints (below; docs/operations.md, "Restore", says what to do
# with the off-site copy's newer ones), and remove the private key from this server.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/compose.sh

if [ $# -ne 2 ]; then
  echo "usage: scripts/restore.sh BACKUP.tar AGE-IDENTITY-FILE" >&2
  exit 2
fi
backup=$(realpath "$1")
identity=$(realpath "$2")
command -v age >/dev/null || { echo "age is missing (apt-get install age)" >&2; exit 1; }
say() { printf '== %s\n' "$*"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xf "$backup"
decrypt() { age --decrypt --identity "$identity" "$work/$1"; }

# --- Settings and secrets ---------------------------------------------------------------------
if [ -n "$(ls -A secrets 2>/dev/null)" ]; then
  echo "secrets/ is not empty: restore into an empty stack (see docs/operations.md)" >&2
  exit 1
fi
mkdir "$work/settings"
decrypt settings.tar.age | tar -C "$work/settings" -xf -
for file in deploy/portal.env deploy/mail.env deploy/audit-checkpoint.pub \
            deploy/package-signing.pub deploy/backup-recipients.txt .env; do
  if [ -e "$work/settings/$file" ] && [ ! -e "$file" ]; then
    cp -p "$work/settings/$file" "$file"
    say "restored $file"
  fi
done
# Owners and modes as they were (the routing key belongs to the image's user).
decrypt secrets.tar.age | tar --same-owner -xpf -
say "restored secrets/"

# --- Database --------------------------------------------------------------------------------
say "building the image and starting PostgreSQL"
compose build
compose up -d postgres
for _ in $(seq 1 60); do
  compose exec -T postgres pg_isready --username=portal --dbname=portal >/dev/null 2>&1 && break
  sleep 1
done
tables=$(compose exec -T postgres psql --username=portal --dbname=portal -Atc \
  "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'" | tr -d '\r')
if [ "$tables" != 0 ]; then
  echo "the database has $tables tables already: restore into an empty stack" >&2
  exit 1
fi
decrypt database.sql.gz.age | gunzip \
  | compose exec -T postgres psql --username=portal --dbname=portal --quiet \
      --set ON_ERROR_STOP=1 --single-transaction >/dev/null
say "restored the database"

# --- Files ----------------------------------------------------------------------------------
decrypt media.tar.age | compose run --rm --no-deps -T web tar -C /app/var/media -xf -
say "restored the media volume"
# The checkpoints signed up to the backup: they match the restored database. The worker appends
# to them from now on.
decrypt audit-checkpoints.tar.age | compose run --rm --no-deps -T worker tar -C /app/var/audit -xf -
say "restored the audit checkpoints"
if [ -e "$work/tor-keys.tar.age" ]; then
  # The onion service comes back too: every `docker compose` command here includes Tor.
  grep -qs '^COMPOSE_PROFILES=.*onion' .env || echo "COMPOSE_PROFILES=onion" >> .env
  decrypt tor-keys.tar.age \
    | compose --profile onion run --rm --no-deps -T tor tar -C /var/lib/tor/portal -xf -
  say "restored Tor's keys (the same onion address)"
fi

say "restored: now docker compose up -d, then"
say "  docker compose exec web python manage.py verify_audit --checkpoints /app/var/audit/checkpoints.jsonl"
