#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through Playwright (Playwright cannot
# download its own browsers here). Installs it when missing and we are root.
set -euo pipefail
# Noto Sans Devanagari, as Android phones have it: the Hindi pages' screenshots
# and Lighthouse runs show Devanagari, not empty boxes.
devanagari_font() { fc-list 2>/dev/null | grep -qi "Noto Sans Devanagari"; }
if command -v chromium >/dev/null 2>&1 && devanagari_font; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium and the Noto fonts from Debian's packages for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core >/dev/null
  exit 0
fi
if command -v chromium >/dev/null 2>&1; then
  echo "Note: no Devanagari font (fonts-noto-core); Hindi screenshots will show boxes." >&2
  exit 0
fi
cat >&2 <<'MSG'
The browser tests need Chromium, and it is not installed.
Install it, then run `make test` again:
  Debian/Ubuntu:  sudo apt-get install chromium
  Others:         install Chromium or Chrome and put `chromium` on your PATH.
MSG
exit 1
