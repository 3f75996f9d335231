#!/usr/bin/env bash
# Install everything the tests need (Debian packages of the real servers the tests start,
# the Python test extras) and run the whole test suite. `.ci/run` runs exactly this.
# Extra arguments go to pytest (e.g. scripts/test.sh tests/core -x).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages: only the missing ones, so a second run costs nothing.
list=scripts/apt-test-packages.txt
[ -s "$list" ] || { echo "$list is missing or empty" >&2; exit 1; }
mapfile -t wanted < <(grep -vE '^\s*(#|$)' "$list")
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}" >&2
  # RT must not try to create its database at install time: the tests create their own.
  echo 'request-tracker5 request-tracker5/dbconfig-install boolean false' | as_root debconf-set-selections
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. Patrol and its test dependencies in ./.venv.
PATROL_EXTRAS="[test]" scripts/install.sh

# 3. The tests. pytest exits 5 when it collected nothing: that is a failure here, not a pass.
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ $rc -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit $rc
