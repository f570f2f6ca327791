#!/usr/bin/env bash
# Sets up Recueil on a Debian machine and builds the sample edition into output/.
# Safe to run again: every step is idempotent. Python packages go into .venv/, made with
# the system's own Python (Debian's is externally managed: PEP 668 forbids installing
# into it); set PYTHON to use another interpreter.
set -euo pipefail
cd "$(dirname "$0")"

# System libraries WeasyPrint renders with, the tools the tests read PDFs and Word files
# with, the browser the tests drive, and the fonts in case a user's layout names them.
packages=(
  python3 python3-venv
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libjpeg62-turbo libopenjp2-7 libffi-dev
  shared-mime-info fonts-vollkorn fonts-lato poppler-utils libreoffice-writer-nogui
  chromium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python="${PYTHON:-/usr/bin/python3}"
[ -x "$python" ] || python="$(command -v python3)"
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
.venv/bin/python -m generator build "$@"
