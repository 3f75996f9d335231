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
# PDF is a default report format: WeasyPrint (the [pdf] extra) needs Debian's pango, and the
# Chinese reports need a CJK font. Only missing packages are installed; PATROL_NO_PDF=1 skips.
pdf_packages=(libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk)
if [ -z "${PATROL_NO_PDF:-}" ] && command -v dpkg-query >/dev/null; then
  missing=()
  for pkg in "${pdf_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian packages for PDF reports: ${missing[*]}" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
extras="${PATROL_EXTRAS:-}"
if [ -z "$extras" ] && [ -z "${PATROL_NO_PDF:-}" ]; then
  extras="[pdf]"
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extras}"
if [ -z "${PATROL_NO_PDF:-}" ] && ! .venv/bin/python -c "import weasyprint" 2>/dev/null; then
  echo "warning: PDF reports will not work: WeasyPrint cannot load pango (install libpango-1.0-0)" >&2
fi
echo "Patrol installed: $(.venv/bin/patrol --version)" >&2
