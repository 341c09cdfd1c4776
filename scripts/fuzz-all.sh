#!/usr/bin/env bash
# Runs every Go fuzz target in the module for the given time each
# (default 5s): scripts/fuzz-all.sh 10m for a long run by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-5s}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)\(f \*testing\.F\)' "$dir"/*_test.go 2>/dev/null | sed -E 's/func (Fuzz[A-Za-z0-9_]+).*/\1/' | sort -u); do
    echo "fuzz: $pkg $target ($dur)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$dur" "$pkg" >/tmp/fuzz.$$.log 2>&1 || { cat /tmp/fuzz.$$.log; exit 1; }
  done
done
echo "fuzz: all targets passed"
