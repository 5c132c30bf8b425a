#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through Playwright (Playwright cannot
# download its own browsers here). Installs it when missing and we are root.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium from Debian's packages for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
cat >&2 <<'MSG'
The browser tests need Chromium, and it is not installed.
Install it, then run `make test` again:
  Debian/Ubuntu:  sudo apt-get install chromium
  Others:         install Chromium or Chrome and put `chromium` on your PATH.
MSG
exit 1
