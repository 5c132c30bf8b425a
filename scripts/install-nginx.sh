#!/usr/bin/env bash
# The deploy tests, `make bench` and `make loadtest` run deploy/nginx.conf with
# Debian's nginx (and its Brotli module for precompressed static files), and
# make a throwaway certificate with openssl. Installs them when missing and we
# are root.
set -euo pipefail
PATH="$PATH:/usr/sbin:/sbin"
if command -v nginx >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 \
  && [ -e /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing nginx from Debian's packages for the deploy tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx libnginx-mod-http-brotli-static openssl >/dev/null
  exit 0
fi
cat >&2 <<'MSG'
deploy/nginx.conf is tested with Debian's nginx, and it is not installed.
Install it, then run the command again:
  Debian/Ubuntu:  sudo apt-get install nginx libnginx-mod-http-brotli-static openssl
MSG
exit 1
