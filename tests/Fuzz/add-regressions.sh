#!/usr/bin/env bash
# Copies the crashing and hanging inputs afl-fuzz saved for TARGET into tests/Fuzz/regressions/TARGET/, named by
# kind and content hash (so re-running adds nothing twice). The Core tests replay every file there.
#   tests/Fuzz/add-regressions.sh TARGET
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 image|mask|model|sidecar" >&2; exit 2; }
target=$1
repo=$(cd "$(dirname "$0")/../.." && pwd)
findings=${FUZZ_OUT:-$repo/out/fuzz}/$target/findings
dest=$repo/tests/Fuzz/regressions/$target
mkdir -p "$dest"
added=0
for kind in crashes hangs; do
  for f in "$findings"/*/"$kind"/id:*; do
    [ -f "$f" ] || continue
    if [ "$kind" = crashes ]; then prefix=crash; else prefix=hang; fi
    name="$prefix-$(sha1sum "$f" | cut -c1-12)"
    [ -e "$dest/$name" ] || { cp "$f" "$dest/$name"; added=$((added + 1)); }
  done
done
echo "$added new input(s) in $dest ($(ls "$dest" | wc -l) in all)"
