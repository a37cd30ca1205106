#!/usr/bin/env bash
# Installs what lakesync's tests, demo and benchmarks need; idempotent and fast when done.
#   npm dependencies, and into .tools/bin (git-ignored): s5cmd, versitygw and SeaweedFS built from
#   the Go module proxy at pinned versions (scripts/lib/go-tools.sh). moto_server comes with the machine image (Python moto).
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools"
BIN="$TOOLS/bin"
mkdir -p "$BIN"

. scripts/lib/go-tools.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  npm ci --no-fund --no-audit --loglevel=error
fi

build_s5cmd "$BIN/s5cmd"
go_build versitygw github.com/versity/versitygw github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION" "$BIN/versitygw"
build_seaweedfs "$BIN/weed"

# The Node the single binary embeds (npm registry): the suites run under it (scripts/test.sh).
node scripts/lib/embedded-node.mjs > "$TOOLS/node-path"
mkdir -p "$TOOLS/node/bin" && ln -sf "$(cat "$TOOLS/node-path")" "$TOOLS/node/bin/node"

# Deno, for the suite that runs the CLI under Deno: a registry package that ships the binary.
DENO_VERSION=2.9.6
if [ ! -x "$TOOLS/deno/node_modules/@deno/linux-x64-glibc/deno" ]; then
  log "installing deno $DENO_VERSION (npm registry)"
  mkdir -p "$TOOLS/deno" && echo '{"private":true}' > "$TOOLS/deno/package.json"
  (cd "$TOOLS/deno" && npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error "@deno/linux-x64-glibc@$DENO_VERSION")
fi
ln -sf "$TOOLS/deno/node_modules/@deno/linux-x64-glibc/deno" "$BIN/deno"

# The suites drive tmux (the terminal suite) and openssl (the TLS test): Debian's packages, installed
# when missing; a suite whose tool is absent fails rather than skip itself.
missing=()
for tool in tmux openssl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing ${missing[*]} (Debian packages)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    log "warning: ${missing[*]} missing and not installable here (not root, or no apt-get): the suites that use them will fail"
  fi
fi

command -v moto_server >/dev/null || log "warning: moto_server not found (pip install 'moto[server]'); the moto half of the suite fails (LAKESYNC_TEST_SERVERS=versitygw runs without it)"
log "ready: $("$BIN/s5cmd" version), versitygw $VERSITYGW_VERSION, seaweedfs $SEAWEEDFS_VERSION"
