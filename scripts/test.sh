#!/usr/bin/env bash
# The test command: installs what is missing (npm deps, s5cmd, versitygw), then runs the unit
# and end-to-end suites. The e2e suites start and stop their own S3 servers on loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
npx tsc --noEmit
node --import tsx --test --test-concurrency=2 test/unit/*.test.ts test/e2e/*.test.ts
