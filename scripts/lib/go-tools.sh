# Sourced by scripts/setup.sh and scripts/release: the Go tools lakesync depends on, pinned, and
# how they are built from the Go module proxy. Needs TOOLS (the project's .tools folder).
S5CMD_VERSION=v2.3.0
S5CMD_COMMIT=991c9fb # the tag's commit, as the module proxy's v2.3.0.info names it
VERSITYGW_VERSION=v1.8.0
# SeaweedFS's S3 gateway: the third S3 implementation of the suites. Its releases are not tagged on
# the module proxy; this pseudo-version is the newest it served on 2026-12-01.
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }

# go install MODULE@VERSION needs the module's version list, which the proxy here may refuse;
# building from a throwaway module that requires the exact version avoids that look-up.
# GOARCH from the environment cross-compiles (CGO off: a static binary runs on any glibc).
go_build() { # name module package version out [ldflags]
  local name=$1 module=$2 pkg=$3 version=$4 out ldflags=${6:-}
  out=$(realpath -m "$5")
  local arch=${GOARCH:-$(go env GOARCH 2>/dev/null || echo host)}
  local stamp="$(dirname "$out")/.$name-$version-$arch-$(printf '%s' "$ldflags" | cksum | cut -d' ' -f1)"
  if [ -x "$out" ] && [ -e "$stamp" ]; then return; fi
  command -v go >/dev/null || { log "go is required to build $name"; exit 1; }
  log "building $name $version for linux-$arch (go, first time only)"
  local dir="$TOOLS/build/$name"
  rm -rf "$dir" && mkdir -p "$dir" "$(dirname "$out")"
  (
    cd "$dir"
    go mod init "lakesync-tools/$name" >/dev/null 2>&1
    printf 'package tools\nimport _ "%s"\n' "$pkg" > tools.go
    GOFLAGS=-mod=mod go get "$pkg@$version" >/dev/null 2>&1 || GOFLAGS=-mod=mod go get "$module@$version"
    CGO_ENABLED=0 GOOS=linux GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$out" "$pkg"
  )
  rm -f "$(dirname "$out")/.$name-"* && touch "$stamp"
}

# s5cmd with its real version stamped, as its own release build does (`s5cmd version` prints
# v2.3.0-991c9fb, not v0.0.0-dev); stripped, as its releases are.
build_s5cmd() { # out
  go_build s5cmd github.com/peak/s5cmd/v2 github.com/peak/s5cmd/v2 "$S5CMD_VERSION" "$1" \
    "-s -w -X github.com/peak/s5cmd/v2/version.Version=$S5CMD_VERSION -X github.com/peak/s5cmd/v2/version.GitCommit=$S5CMD_COMMIT"
}

# SeaweedFS's go.mod has replace directives, which `go get` refuses in another module: it is built
# inside its own module, as the module cache holds it (go build writes nothing there).
build_seaweedfs() { # out
  local out
  out=$(realpath -m "$1")
  local stamp="$(dirname "$out")/.weed-$SEAWEEDFS_VERSION"
  if [ -x "$out" ] && [ -e "$stamp" ]; then return; fi
  command -v go >/dev/null || { log "go is required to build seaweedfs"; exit 1; }
  log "building seaweedfs $SEAWEEDFS_VERSION (go, first time only: a few minutes)"
  local dir
  dir=$(cd / && go mod download -json "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -d "$dir" ] || { log "the Go module proxy did not give seaweedfs $SEAWEEDFS_VERSION"; exit 1; }
  mkdir -p "$(dirname "$out")"
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$out" ./weed)
  rm -f "$(dirname "$out")/.weed-"* && touch "$stamp"
}
