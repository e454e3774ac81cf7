#!/bin/sh
# Installs Debian's Chromium for the browser tests when it is missing and we may (root, apt).
# Elsewhere it says what to do; the browser tests then skip locally (never in CI).
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "note: Chromium is not installed; browser tests will be skipped. Install it with: sudo apt-get install chromium" >&2
fi
