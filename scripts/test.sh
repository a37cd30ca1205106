#!/usr/bin/env bash
# The test command: installs what is missing (npm deps, s5cmd, versitygw, deno), then runs the
# unit and end-to-end suites. The e2e suites start and stop their own S3 servers on loopback
# ports. Afterwards every CLI output and run journal of the suite is searched for the test
# credentials: none may appear.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The suites run under the Node the single binary embeds (setup fetched it), not the machine's.
export PATH="$PWD/.tools/node/bin:$PATH"
[ "$(command -v node)" = "$PWD/.tools/node/bin/node" ] && node --version >/dev/null || { echo "test.sh: the binary's Node is not at .tools/node/bin/node (run npm run setup)"; exit 1; }
echo "node: $(node --version)"
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
npx tsc --noEmit
evidence=$(mktemp -d)
# The suites' temp folders (configs, servers' data, journals) go with the run: apart from the
# evidence, whose sweep would find the test credentials that configs hold by design.
scratch=$(mktemp -d)
trap 'rm -rf "$evidence" "$scratch"' EXIT
export TMPDIR="$scratch"
export LAKESYNC_STATE_DIR="$evidence/state" LAKESYNC_TEST_OUTPUT_LOG="$evidence/outputs.log"
# Every process's command line, sampled while the suites run: no secret may travel on one that
# lakesync starts (s5cmd, shells). Left out: the test servers, whose keys are on their command
# lines by design, and lakesync's own, which carries what a test typed (a bad endpoint, say).
( while [ ! -e "$evidence/stop-sampling" ] && sleep 0.5; do ps -eo args= | grep -v -e versitygw -e moto_server -e src/cli/run.ts >> "$evidence/processes.log" || true; done ) &
sampler=$!
trap 'kill $sampler 2>/dev/null || true; rm -rf "$evidence" "$scratch"' EXIT
# A test that hangs fails after 10 minutes instead of holding CI.
# TAP for the log (its closing lines are read), and each file's time at the end (test/helpers/suite-times.mjs).
run() { node --import tsx --test --test-concurrency=2 --test-timeout=600000 --test-reporter=tap --test-reporter-destination=stdout --test-reporter=./test/helpers/suite-times.mjs --test-reporter-destination=stdout "$@"; }
if [ $# -gt 0 ]; then
  run "$@"
else
  # The --max-rps test measures a rate, so it runs alone, after the rest.
  run $(ls test/unit/*.test.ts test/e2e/*.test.ts | grep -v 'rate.test.ts')
  run test/e2e/rate.test.ts
fi
# The sampler ends after its current sample: a kill could leave a `ps` running that records the
# sweep's own grep below (its pattern names the secrets) and fail a clean run.
touch "$evidence/stop-sampling"
wait $sampler 2>/dev/null || true
# Test servers' secrets all start with lakesync-test-secret-; the errors suite's wrong secret and its
# second account's are the next two; the local server of bench, demo and the binary suites makes
# local-<pid>-<ms> (src/bench/local-server.ts).
secrets='lakesync-test-secret-|wrong-secret-never-printed|lake-user-secret-value|local-[0-9]+-[0-9]{13}'
if grep -rqE "$secrets" "$evidence"; then
  # Where, with the secret itself masked: file, line number and the text around it.
  grep -rnE "$secrets" "$evidence" | sed -E "s/($secrets)[A-Za-z0-9-]*/<SECRET>/g" | cut -c1-300 | head -20
  echo "secrets: FAILED: a test credential appears in the lines above"
  exit 1
fi
echo "secrets: no test credential in $(cat "$evidence/outputs.log" 2>/dev/null | wc -l) lines of CLI output, $(find "$evidence/state" -name '*.jsonl' 2>/dev/null | wc -l) run journals nor $(wc -l < "$evidence/processes.log") sampled process command lines"
