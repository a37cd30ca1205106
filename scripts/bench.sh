#!/usr/bin/env bash
# `npm run bench`: the figures of docs/BENCHMARKS.md.
#   1. lakesync (the single binary, as users run it) vs raw s5cmd vs aws s3 sync on 2,000 small
#      objects (scripts/bench-direct.ts)
#   2. `lakesync bench --local` on 200 × 5 MB, reached directly and behind a simulated WAN link
#   3. the transport's choices: CPU per request of lakesync's pool, node:http and undici, and of
#      the two signers (scripts/bench-transport.ts)
# Everything runs under the Node the single binary embeds (setup fetches it). Reports land in docs/bench/; pass --quick for a short smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node scripts/build.mjs
node scripts/build-binary.mjs
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true PATH="$PWD/.tools/node/bin:$PWD/.tools/bin:$PATH"
if [ "${1:-}" = "--quick" ]; then objects=20; rounds=1; small=200; else objects=200; rounds=3; small=2000; fi
npx tsx scripts/bench-direct.ts --objects "$small" --rounds "$rounds"
node dist/lib/lakesync.mjs bench --local --objects "$objects" --size 5MB --rounds "$rounds" --out docs/bench/loopback
node dist/lib/lakesync.mjs bench --local --objects "$objects" --size 5MB --rounds "$rounds" --latency 20 --bandwidth 200 --out docs/bench/wan
if [ "${1:-}" = "--quick" ]; then npx tsx scripts/bench-transport.ts --requests 2000 --rounds 1; else npx tsx scripts/bench-transport.ts; fi
