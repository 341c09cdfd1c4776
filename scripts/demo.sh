#!/usr/bin/env bash
# The main job on a fresh machine: start wbemd with its embedded defaults
# (a fresh data directory, CIM-XML on 127.0.0.1:5988, WS-Man on :5985, the
# native API on both), wait until it is ready, then make a first method
# call: TestMeth.Echo through ExecMethodAsync over the native protocol, and
# the same call through CIM-XML.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin
go build -o bin/ ./cmd/wbemd ./cmd/wbem
data=${WBEMD_DATA_DIR:-$(mktemp -d)}
bin/wbemd --data-dir "$data" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for _ in $(seq 100); do
  curl -sf http://127.0.0.1:5988/readyz >/dev/null 2>&1 && break
  sleep 0.1
done
echo "== TestMeth.Echo, asynchronous, native protocol"
bin/wbem --url wbem://127.0.0.1:5988 -n root/default invoke TestMeth Echo sInArg=hello --async
echo "== the same call over CIM-XML"
bin/wbem --url http://127.0.0.1:5988 -n root/default invoke TestMeth Echo sInArg=hello
