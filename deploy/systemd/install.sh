#!/usr/bin/env bash
# Installs the Tollgate gateway as a systemd service from this checkout: builds it, puts dist and production
# dependencies in $PREFIX, the config in /etc/tollgate (kept if present), the unit in /etc/systemd/system, and
# starts it. DESTDIR stages everything under another root instead (packaging, tests); nothing is started then.
#   sudo deploy/systemd/install.sh            # build, install, enable and start
#   DESTDIR=/tmp/stage deploy/systemd/install.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PREFIX="${PREFIX:-/opt/tollgate}"
DESTDIR="${DESTDIR:-}"
UNIT_DIR="$DESTDIR/etc/systemd/system"
CONFIG_DIR="$DESTDIR/etc/tollgate"

if [ -z "$DESTDIR" ] && [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (or set DESTDIR to stage the files elsewhere)" >&2
  exit 1
fi
command -v pnpm >/dev/null || { echo "install.sh: needs pnpm (npm install -g pnpm@10.34.8)" >&2; exit 1; }

pnpm install --frozen-lockfile --filter "@tollgate/gateway..." # the app and what it needs, not the whole workspace
pnpm build
case "$PREFIX" in /?*) ;; *) echo "install.sh: PREFIX must be an absolute path, got '$PREFIX'" >&2; exit 1 ;; esac
rm -rf "$DESTDIR$PREFIX" # pnpm deploy wants an empty target; a running service keeps what it has loaded
# dist and production dependencies only (no tsx, no TypeScript), with @tollgate/core copied in, not linked.
pnpm --filter @tollgate/gateway deploy --legacy --prod "$DESTDIR$PREFIX"

install -d -m 0755 "$CONFIG_DIR" "$UNIT_DIR"
[ -e "$CONFIG_DIR/tollgate.json" ] || install -m 0644 deploy/systemd/tollgate.json "$CONFIG_DIR/tollgate.json"
sed "s#/opt/tollgate#$PREFIX#g" deploy/systemd/tollgate.service >"$UNIT_DIR/tollgate.service"
chmod 0644 "$UNIT_DIR/tollgate.service"

if [ -z "$DESTDIR" ]; then
  systemctl daemon-reload
  systemctl enable tollgate.service
  systemctl restart tollgate.service # starts it, or picks up the new build
  systemctl --no-pager status tollgate.service || true
else
  echo "install.sh: staged under $DESTDIR"
fi
