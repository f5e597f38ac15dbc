#!/usr/bin/env bash
# Prepare a production server, once (README, "Deployment"; docs/operations.md):
#
#   scripts/setup-production.sh portal.example.org [--trial] [--onion]
#   docker compose up -d
#
# Writes deploy/portal.env and deploy/mail.env (settings that are not secret) and secrets/ (one
# file per secret, fresh random values), builds the image, migrates the database, creates the
# routing and coordinators' keys and the audit checkpoint key pair, and with --onion lets Tor make
# the onion address. Nothing that
# exists already is overwritten, so running it again is safe. --trial: a certificate from Caddy's
# own CA instead of a public one (always so for `localhost`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/compose.sh

domain=""
trial=0
onion=0
for arg in "$@"; do
  case "$arg" in
    --trial) trial=1 ;;
    --onion) onion=1 ;;
    -*) echo "unknown option $arg" >&2; exit 2 ;;
    *) domain=$arg ;;
  esac
done
if [ -z "$domain" ]; then
  echo "usage: scripts/setup-production.sh DOMAIN [--trial] [--onion]" >&2
  exit 2
fi
random() { python3 -c "import secrets; print(secrets.token_urlsafe($1))"; }
say() { printf '== %s\n' "$*"; }

# --- Settings that are not secret ----------------------------------------------------------------
if [ ! -e deploy/portal.env ]; then
  tls=acme
  if [ "$trial" = 1 ] || [ "$domain" = localhost ]; then tls=internal; fi
  sed -e "s|^PORTAL_DOMAIN=.*|PORTAL_DOMAIN=$domain|" \
      -e "s|^PORTAL_TLS=.*|PORTAL_TLS=$tls|" \
      -e "s|^ALLOWED_HOSTS=.*|ALLOWED_HOSTS=$domain|" \
      -e "s|^CSRF_TRUSTED_ORIGINS=.*|CSRF_TRUSTED_ORIGINS=https://$domain|" \
      -e "s|^ADMIN_URL=.*|ADMIN_URL=admin-$(random 12)/|" \
      deploy/portal.env.example > deploy/portal.env
  say "wrote deploy/portal.env for $domain (certificates: $tls)"
fi
if [ ! -e deploy/mail.env ]; then
  cp deploy/mail.env.example deploy/mail.env
  say "wrote deploy/mail.env: set your SMTP server there, its password in secrets/smtp_password"
fi
if [ "$onion" = 1 ] && ! grep -qs '^COMPOSE_PROFILES=.*onion' .env; then
  # Every later `docker compose` command in this folder then includes the tor service.
  echo "COMPOSE_PROFILES=onion" >> .env
fi

# --- Secrets: one file each, mounted only where needed (docker-compose.yml) ---------------------
# The folder is root's alone; the files are readable inside the containers that mount them, whose
# users differ (portal, postgres, redis).
install -d -m 700 secrets
for name in secret_key receipt_lookup_key mfa_secrets_key db_owner_password db_runtime_password \
            redis_password; do
  if [ ! -s "secrets/$name" ]; then
    (umask 0222 && random 48 > "secrets/$name")
  fi
done
# Empty until the administrator writes the SMTP password into it.
[ -e secrets/smtp_password ] || (umask 0222 && : > secrets/smtp_password)

# --- Image, database and keys --------------------------------------------------------------------
say "building the image"
compose build
say "migrating the database"
compose run --rm -T migrate
keys=$(mktemp -d)
trap 'rm -rf "$keys"' EXIT
chown 10001 "$keys"  # the image's user (Dockerfile) writes the keys below
if [ ! -e secrets/routing.key ]; then
  say "creating the routing and coordinators' keys"
  compose run --rm --no-deps -T -v "$keys:/keys" migrate python manage.py init_keys \
    --routing-key-file /keys/routing.key --coordinators-key-file /keys/coordinators.key
  # The worker reads the routing key as the same user; nobody else needs it.
  mv "$keys/routing.key" secrets/routing.key
  mv "$keys/coordinators.key" coordinators.key
  chown root coordinators.key
  say "coordinators.key: give it to the first coordinator (docs/operations.md), then delete it here"
fi
if [ ! -e secrets/audit_checkpoint.key ]; then
  # Signs the audit log's hourly checkpoints (docs/security.md, section 6): the private half for
  # the worker alone, never in the database; the public half for verify_audit.
  say "creating the audit checkpoint key"
  compose run --rm --no-deps -T -v "$keys:/keys" migrate python manage.py init_audit_key \
    --private-key-file /keys/audit_checkpoint.key --public-key-file /keys/audit-checkpoint.pub
  mv "$keys/audit_checkpoint.key" secrets/audit_checkpoint.key
  mv "$keys/audit-checkpoint.pub" deploy/audit-checkpoint.pub
  chown root deploy/audit-checkpoint.pub
  chmod 644 deploy/audit-checkpoint.pub
  say "deploy/audit-checkpoint.pub: keep a copy off this server, where the checkpoints are shipped"
  say "  (docs/operations.md, \"Audit checkpoints\"): verify against that copy"
fi
if [ ! -e secrets/package_signing.key ]; then
  # Signs documentation packages (docs/packages.md): the private half for web, where caseworkers
  # prepare them; the public half for the offices packages go to.
  say "creating the package signing key"
  compose run --rm --no-deps -T -v "$keys:/keys" migrate python manage.py init_package_key \
    --private-key-file /keys/package_signing.key --public-key-file /keys/package-signing.pub
  mv "$keys/package_signing.key" secrets/package_signing.key
  mv "$keys/package-signing.pub" deploy/package-signing.pub
  chown root deploy/package-signing.pub
  chmod 644 deploy/package-signing.pub
  say "deploy/package-signing.pub: give it to each office you send documentation to, by a"
  say "  channel of its own (docs/packages.md); staff see it and its fingerprint in the portal"
fi

# --- The onion address ------------------------------------------------------------------------
if [ "$onion" = 1 ] && ! grep -q '^ONION_HOST=..*' deploy/portal.env; then
  say "starting Tor to make the onion address"
  compose up -d tor
  hostname=""
  for _ in $(seq 1 60); do
    hostname=$(compose exec -T tor cat /var/lib/tor/portal/hostname 2>/dev/null | tr -d '\r\n') || true
    [ -n "$hostname" ] && break
    sleep 1
  done
  if [ -z "$hostname" ]; then echo "Tor made no onion address; see: docker compose logs tor" >&2; exit 1; fi
  sed -i "s|^ONION_HOST=.*|ONION_HOST=$hostname|" deploy/portal.env
  say "onion address: http://$hostname (in deploy/portal.env)"
fi

say "ready: docker compose up -d"
