#!/usr/bin/env bash
# Installs what lakesync's tests, demo and benchmarks need; idempotent and fast when done.
#   npm dependencies, and into .tools/bin (git-ignored): s5cmd and versitygw built from the
#   Go module proxy at pinned versions. moto_server comes with the machine image (Python moto).
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools"
BIN="$TOOLS/bin"
mkdir -p "$BIN"

S5CMD_VERSION=v2.3.0
VERSITYGW_VERSION=v1.8.0

log() { printf 'setup: %s\n' "$*" >&2; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  npm ci --no-fund --no-audit --loglevel=error
fi

# go install MODULE@VERSION needs the module's version list, which the proxy here may refuse;
# building from a throwaway module that requires the exact version avoids that look-up.
go_build() { # name module package version
  local name=$1 module=$2 pkg=$3 version=$4 stamp="$BIN/.$1-$4"
  if [ -x "$BIN/$name" ] && [ -e "$stamp" ]; then return; fi
  command -v go >/dev/null || { log "go is required to build $name"; exit 1; }
  log "building $name $version (go, first time only)"
  local dir="$TOOLS/build/$name"
  rm -rf "$dir" && mkdir -p "$dir"
  (
    cd "$dir"
    go mod init "lakesync-tools/$name" >/dev/null 2>&1
    printf 'package tools\nimport _ "%s"\n' "$pkg" > tools.go
    GOFLAGS=-mod=mod go get "$pkg@$version" >/dev/null 2>&1 || GOFLAGS=-mod=mod go get "$module@$version"
    GOFLAGS=-mod=mod go build -o "$BIN/$name" "$pkg"
  )
  rm -f "$BIN/.$name-"* && touch "$stamp"
}

go_build s5cmd github.com/peak/s5cmd/v2 github.com/peak/s5cmd/v2 "$S5CMD_VERSION"
go_build versitygw github.com/versity/versitygw github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION"


# Deno, for the suite that runs the CLI under Deno: a registry package that ships the binary.
DENO_VERSION=2.9.6
if [ ! -x "$TOOLS/deno/node_modules/@deno/linux-x64-glibc/deno" ]; then
  log "installing deno $DENO_VERSION (npm registry)"
  mkdir -p "$TOOLS/deno" && echo '{"private":true}' > "$TOOLS/deno/package.json"
  (cd "$TOOLS/deno" && npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error "@deno/linux-x64-glibc@$DENO_VERSION")
fi
ln -sf "$TOOLS/deno/node_modules/@deno/linux-x64-glibc/deno" "$BIN/deno"

command -v moto_server >/dev/null || log "warning: moto_server not found (pip install 'moto[server]'); the moto half of the suite will be skipped"
log "ready: $("$BIN/s5cmd" version), versitygw $VERSITYGW_VERSION"
