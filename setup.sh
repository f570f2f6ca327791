#!/usr/bin/env bash
# Sets up Recueil on a Debian machine and builds the sample edition into output/.
# Safe to run again: every step is idempotent.
set -euo pipefail
cd "$(dirname "$0")"

# System libraries WeasyPrint renders with, the tools the tests read PDFs and Word files
# with, and the fonts in case a user's layout names them.
packages=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libjpeg62-turbo libopenjp2-7 libffi-dev
  shared-mime-info fonts-vollkorn fonts-lato poppler-utils libreoffice-writer-nogui
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

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
python3 -m generator build "$@"
