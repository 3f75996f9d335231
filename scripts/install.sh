#!/usr/bin/env bash
# Install Patrol into ./.venv on a fresh Debian/Ubuntu machine with Python 3.11+.
# Debian's Python refuses `pip install` outside a virtual environment (PEP 668), and
# `python3 -m venv` needs the python3-venv package, which a fresh Debian does not have.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Patrol needs Python 3.11 or newer; this is $(python3 --version 2>&1)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! python3 -m venv .venv 2>/dev/null; then
    rm -rf .venv
    echo "installing python3-venv (needed to create the virtual environment)" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv python3-pip >/dev/null
    python3 -m venv .venv
  fi
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${PATROL_EXTRAS:-}"
echo "Patrol installed: $(.venv/bin/patrol --version)" >&2
