#!/usr/bin/env bash
# Label Studio for the learning loop, in its own virtual environment (.venv-labelstudio): it
# pins its own Django and friends (about 1 GB), so it stays apart from the project's .venv.
#
#   scripts/labelstudio.sh install   make .venv-labelstudio if missing, then exit
#   scripts/labelstudio.sh [start]   install if missing, then serve on 127.0.0.1 (the default)
#
# Settings (environment):
#   LABEL_STUDIO_PORT      default 8080          LABEL_STUDIO_DATA  default var/labelstudio
#   LABEL_STUDIO_USERNAME  the first account (an email), created on the first start
#   LABEL_STUDIO_PASSWORD  its password (asked for when unset on the first start)
# It listens on loopback only and sends nothing out (no version check, no analytics, no
# Sentry). Pupils' words go into it: run it on the school's or trust's own machine.
# Then sign in, open Account & Settings, create a Personal Access Token and export it as
# LABEL_STUDIO_API_KEY for `safeguard-train labelstudio push|pull|sync`.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-labelstudio
BIN="$VENV/bin/label-studio"

install() {
  if [ -x "$BIN" ]; then
    return
  fi
  echo "installing Label Studio into $VENV (about 1 GB, a few minutes)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q "label-studio==${LABEL_STUDIO_VERSION:-1.23.2}"
  "$BIN" version 2>/dev/null | grep -i "label-studio" | head -n 1 || true
}

start() {
  install
  local data="${LABEL_STUDIO_DATA:-var/labelstudio}"
  local port="${LABEL_STUDIO_PORT:-8080}"
  mkdir -p "$data"
  if [ ! -f "$data/label_studio.sqlite3" ]; then
    : "${LABEL_STUDIO_USERNAME:?set LABEL_STUDIO_USERNAME (an email) for the first account}"
    if [ -z "${LABEL_STUDIO_PASSWORD:-}" ]; then
      read -rsp "Password for $LABEL_STUDIO_USERNAME: " LABEL_STUDIO_PASSWORD
      echo
    fi
    export LABEL_STUDIO_USERNAME LABEL_STUDIO_PASSWORD
  fi
  export LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK=true LATEST_VERSION_CHECK=false \
         COLLECT_ANALYTICS=false SENTRY_DSN= FRONTEND_SENTRY_DSN=
  echo "Label Studio on http://127.0.0.1:$port (data in $data)"
  # --internal-host is the bind address; --host is only the URL Label Studio prints.
  exec "$BIN" start --internal-host 127.0.0.1 --port "$port" --no-browser --data-dir "$data"
}

case "${1:-start}" in
  install) install ;;
  start) start ;;
  *) echo "usage: $0 [install|start]" >&2; exit 2 ;;
esac
