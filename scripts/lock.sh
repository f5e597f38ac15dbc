#!/usr/bin/env bash
# Re-pin requirements.txt (runtime) and requirements-dev.txt (tools) from pyproject.toml's ranges,
# resolving each set in a scratch virtual environment so the two files never disagree.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

"$python" -m venv "$scratch/venv"
"$scratch/venv/bin/pip" install --quiet --upgrade pip
"$scratch/venv/bin/pip" install --quiet .
"$scratch/venv/bin/pip" uninstall --quiet --yes survivor-portal
"$scratch/venv/bin/pip" freeze --exclude-editable | grep -v '^survivor-portal' | sort -f > "$scratch/runtime"
"$scratch/venv/bin/pip" install --quiet ".[dev]"
"$scratch/venv/bin/pip" uninstall --quiet --yes survivor-portal
"$scratch/venv/bin/pip" freeze --exclude-editable | grep -v '^survivor-portal' | sort -f > "$scratch/all"

{
  echo "# Exact versions for every install (make run, make test, the Docker image)."
  echo "# Ranges live in pyproject.toml; regenerate with 'make lock'."
  cat "$scratch/runtime"
} > requirements.txt
{
  echo "# Test and lint tools on top of requirements.txt; exact versions (regenerate with 'make lock')."
  echo "-r requirements.txt"
  comm -23 "$scratch/all" "$scratch/runtime"
} > requirements-dev.txt
echo "requirements.txt and requirements-dev.txt re-pinned"
