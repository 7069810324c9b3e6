#!/usr/bin/env bash
# Regenerate subgraphs/supergraph.graphql, the OA + ERP supergraph that `tandem dev` serves:
# start both subgraphs on scratch ports with scratch SQLite databases and a one-off
# composition credential, compose their _service SDL with tools/compose, stop them.
# The routing URLs are the subgraphs' default ports (OA 4201, ERP 4202).
# Usage: subgraphs/compose.sh [OUTPUT]   (PYTHON=... to choose the interpreter)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
output="${1:-$root/subgraphs/supergraph.graphql}"
python="${PYTHON:-$root/.venv/bin/python}"
[[ -x "$python" ]] || python="$(command -v python3)"

if [[ ! -d "$root/tools/compose/node_modules/@theguild/federation-composition" ]]; then
  npm install --prefix "$root/tools/compose" --no-audit --no-fund --silent
fi

scratch="$(mktemp -d)"
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
  rm -f "$output.tmp"
}
trap stop EXIT

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

export TANDEM_COMPOSITION_SECRET="compose-$RANDOM$RANDOM$RANDOM"
export TANDEM_DATA_DIR="$scratch"
unset TANDEM_OA_DATABASE_URL TANDEM_ERP_DATABASE_URL TANDEM_REDIS_URL TANDEM_ENV
unset TANDEM_GATEWAY_PUBLIC_KEY_FILE TANDEM_OA_SEED TANDEM_ERP_SEED

# a subgraph listens once it has migrated its database; give up early if one exits instead
wait_listening() {
  local name="$1" port="$2" pid="$3"
  for _ in $(seq 1200); do
    kill -0 "$pid" 2>/dev/null || { echo "the $name subgraph exited (see above)" >&2; exit 1; }
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "the $name subgraph did not listen on port $port within 60s" >&2
  exit 1
}

args=()
for entry in oa=4201 erp=4202; do
  name="${entry%%=*}" routed="${entry#*=}" port="$(free_port)"
  (cd "$root" && exec "$python" -m "subgraphs.$name" --port "$port" --log-level warning) &
  pids+=("$!")
  wait_listening "$name" "$port" "$!"  # one at a time: they may share one SQLite folder
  args+=("$name=http://127.0.0.1:$port/graphql" --url "$name=http://127.0.0.1:$routed/graphql")
done

node "$root/tools/compose/compose.mjs" --wait 10000 -o "$output.tmp" \
  --header-env x-tandem-composition-key=TANDEM_COMPOSITION_SECRET "${args[@]}"
for pid in "${pids[@]}"; do  # a subgraph that died (port taken?) was not what we composed
  kill -0 "$pid" 2>/dev/null || { echo "a subgraph exited early; is a port in use?" >&2; exit 1; }
done
mv "$output.tmp" "$output"
echo "wrote $output" >&2
