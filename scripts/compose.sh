# shellcheck shell=bash
# Sourced by the deployment scripts: `compose ARGS...` runs Docker Compose in this folder, as
# `docker compose` (the Compose plugin) or `docker-compose` (Debian's package), whichever exists.
# COMPOSE="..." chooses one.
if [ -z "${COMPOSE:-}" ]; then
  if docker compose version >/dev/null 2>&1; then
    COMPOSE="docker compose"
  elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE="docker-compose"
  else
    echo "Docker Compose is missing (apt-get install docker-compose, or the compose plugin)" >&2
    exit 1
  fi
fi
compose() { $COMPOSE "$@"; }
