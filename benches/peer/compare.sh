#!/usr/bin/env bash
# Runs the same long runbooks in `runbook` and in the peer simulator of ../shared/peers
# (@cdklabs/cdk-ssm-documents), one after the other in this command, and prints the time per
# step of each. The peer needs Node.js and, once, `npm install` in a copy of the peers folder:
#
#   benches/peer/compare.sh [PEERS_DIR]      # default: a scratch copy of ../shared/peers
#
# The in-process figures are the fair comparison: the peer's `simulateMs` against `runbook`'s
# own run time (`cargo bench --bench run -- api_chain`); whole-process times are shown too.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
peers="${1:-${TMPDIR:-/tmp}/runbook-peers}"
if [ ! -d "$peers/node_modules/@cdklabs/cdk-ssm-documents" ]; then
  mkdir -p "$peers"
  cp -r "$here/../shared/peers/." "$peers/"
  (cd "$peers" && npm install --silent @cdklabs/cdk-ssm-documents@0.0.74 aws-cdk-lib constructs)
fi
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
runbook="$here/target/release/runbook"
mocks="$peers/e_long.mocks.json"
# The peer's canned answers, in the mock file format (`response` is `returns` here).
python3 -c "
import json, sys
rules = json.load(open('$peers/responses/e_long.json'))['aws']
for rule in rules:
    if 'response' in rule:
        rule['returns'] = rule.pop('response')
json.dump({'aws': rules}, open('$mocks', 'w'))
"
printf '%-12s %14s %14s %16s %16s\n' steps "peer ms/step" "runbook µs/step" "peer process s" "runbook process s"
for steps in 100 1000; do
  book="$peers/runbooks/e_long$steps.yaml"
  python3 "$peers/runbooks/gen_long.py" "$steps" > "$book"
  start=$(date +%s.%N)
  peer_ms=$(node "$peers/harness/cdk-ssm-sim.js" "$book" --params "$peers/params/empty.json" \
      --responses "$peers/responses/e_long.json" --mode strict \
    | python3 -c "import json,sys; print(json.load(sys.stdin)['timing']['simulateMsMedian'])")
  peer_s=$(echo "$(date +%s.%N) - $start" | bc)
  start=$(date +%s.%N)
  "$runbook" run "$book" --mocks "$mocks" --output json > /dev/null 2>&1
  ours_s=$(echo "$(date +%s.%N) - $start" | bc)
  ours_us=$(echo "$ours_s * 1000000 / $steps" | bc)
  printf '%-12s %14.3f %14s %16.2f %16.3f\n' "$steps" "$(echo "$peer_ms / $steps" | bc -l)" "$ours_us" "$peer_s" "$ours_s"
done
