#!/usr/bin/env bash
# Regenerate subgraphs/demo/supergraph.graphql: start the three demo subgraphs on their
# default ports (4101-4103), compose their _service SDL with tools/compose, stop them.
# Usage: subgraphs/demo/compose.sh [OUTPUT]   (PYTHON=... to choose the interpreter)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
output="${1:-$root/subgraphs/demo/supergraph.graphql}"
python="${PYTHON:-$root/.venv/bin/python}"
[[ -x "$python" ]] || python="$(command -v python3)"

if [[ ! -d "$root/tools/compose/node_modules/@theguild/federation-composition" ]]; then
  npm install --prefix "$root/tools/compose" --no-audit --no-fund --silent
fi

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -f "$output.tmp"
}
trap stop EXIT

args=()
for entry in people=4101 procurement=4102 inventory=4103; do
  name="${entry%%=*}" port="${entry#*=}"
  (cd "$root" && exec "$python" -m subgraphs.demo.serve "$name" --port "$port") &
  pids+=("$!")
  args+=("$name=http://127.0.0.1:$port/graphql")
done

node "$root/tools/compose/compose.mjs" --wait 30000 -o "$output.tmp" "${args[@]}"
for pid in "${pids[@]}"; do  # a subgraph that died (port taken?) was not what we composed
  kill -0 "$pid" 2>/dev/null || { echo "a subgraph exited early; is a port in use?" >&2; exit 1; }
done
mv "$output.tmp" "$output"
echo "wrote $output" >&2
