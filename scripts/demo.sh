#!/usr/bin/env bash
# The main job on a fresh machine: start wbemd with its embedded defaults
# (a fresh data directory, CIM-XML on 127.0.0.1:5988, WS-Man on :5985, the
# native API on both and on a Unix socket), wait until it is ready, then
# make a first method call: TestMeth.Echo through ExecMethodAsync over the
# local socket (the kernel identifies the caller), then the same call over
# CIM-XML with HTTP Basic as a user added for the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin
go build -o bin/ ./cmd/wbemd ./cmd/wbem
data=${WBEMD_DATA_DIR:-$(mktemp -d)}
echo demo-password | bin/wbem user add demo --password-file "$data/passwd" --password-stdin --local-account "$(id -un)" >/dev/null
bin/wbemd --data-dir "$data" --allow-basic-over-http 2>"$data/wbemd.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf http://127.0.0.1:5988/readyz >/dev/null 2>&1 && break
  sleep 0.1
done
echo "== TestMeth.Echo, asynchronous, native protocol over the local socket"
bin/wbem --url "wbem+unix://$data/wbemd.sock" -n root/default invoke TestMeth Echo sInArg=hello --async
echo "== grant the demo user execute rights on root/default (as the local administrator, over the socket)"
printf 'allow Administrators 0x6003F inherit\nallow user:demo Enable,MethodExecute,RemoteAccess\n' |
  bin/wbem --url "wbem+unix://$data/wbemd.sock" -n root/default security set -
echo "== the same call over CIM-XML (HTTP Basic, loopback)"
bin/wbem --url http://127.0.0.1:5988 --user demo --password demo-password -n root/default invoke TestMeth Echo sInArg=hello
