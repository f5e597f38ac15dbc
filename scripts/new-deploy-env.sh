#!/usr/bin/env bash
# Write deploy/portal.env for docker compose with fresh random secrets. Usage:
#   scripts/new-deploy-env.sh portal.example.org
set -euo pipefail
cd "$(dirname "$0")/.."
host=${1:?usage: scripts/new-deploy-env.sh HOSTNAME}
target=deploy/portal.env
if [ -e "$target" ]; then echo "$target exists; not overwriting it" >&2; exit 1; fi
random() { python3 -c "import secrets; print(secrets.token_urlsafe($1))"; }
db_password=$(random 24)
umask 077
sed -e "s|^SECRET_KEY=.*|SECRET_KEY=$(random 50)|" \
    -e "s|^RECEIPT_LOOKUP_KEY=.*|RECEIPT_LOOKUP_KEY=$(random 50)|" \
    -e "s|^MFA_SECRETS_KEY=.*|MFA_SECRETS_KEY=$(random 50)|" \
    -e "s|^ALLOWED_HOSTS=.*|ALLOWED_HOSTS=$host|" \
    -e "s|^CSRF_TRUSTED_ORIGINS=.*|CSRF_TRUSTED_ORIGINS=https://$host|" \
    -e "s|^ADMIN_URL=.*|ADMIN_URL=admin-$(random 12)/|" \
    -e "s|^POSTGRES_PASSWORD=.*|POSTGRES_PASSWORD=$db_password|" \
    -e "s|^DATABASE_URL=.*|DATABASE_URL=postgres://portal:$db_password@postgres:5432/portal|" \
    deploy/portal.env.example > "$target"
echo "wrote $target; set the EMAIL_* values, then: docker compose up -d"
