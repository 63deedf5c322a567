#!/usr/bin/env bash
# Runs one fuzz target under afl-fuzz for a given time:  tests/Fuzz/run-fuzz.sh TARGET SECONDS [JOBS]
# TARGET: image, mask, model or sidecar. JOBS > 1 adds secondary afl-fuzz instances (one core each).
# Builds Release, instruments the product assemblies with SharpFuzz, fuzzes from tests/Fuzz/corpus/TARGET and keeps
# findings in out/fuzz/TARGET/findings (git-ignored). Installs nothing: missing tools are reported with the fix.
set -euo pipefail
usage() { echo "usage: $0 image|mask|model|sidecar SECONDS [JOBS]" >&2; exit 2; }
[ $# -ge 2 ] || usage
target=$1 seconds=$2 jobs=${3:-1}
case "$target" in image|mask|model|sidecar) ;; *) usage ;; esac
[[ "$seconds" =~ ^[0-9]+$ && "$jobs" =~ ^[1-9][0-9]*$ ]] || usage

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
if ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "afl-fuzz not found. Install AFL++ (Debian: sudo apt-get install afl++) and run again." >&2
  exit 1
fi
if ! dotnet tool run sharpfuzz --help >/dev/null 2>&1; then
  echo "the sharpfuzz tool is not restored. Run 'dotnet tool restore' in $repo (it reads .config/dotnet-tools.json)." >&2
  exit 1
fi

work=${FUZZ_OUT:-$repo/out/fuzz}/$target
bin=$work/bin
findings=$work/findings
mkdir -p "$work"
echo "== building segfuzz (Release) into $bin"
rm -rf "$bin"
dotnet publish tests/Fuzz/SegPlugins.Fuzz.csproj -c Release -o "$bin" -nologo -v q
# Coverage must reach the product's own parsers and the image decoders it wraps.
for dll in SegPlugins.Core.dll SixLabors.ImageSharp.dll; do
  echo "== instrumenting $dll"
  dotnet tool run sharpfuzz "$bin/$dll"
done

export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_TieredPGO=0
# A bounded heap turns an allocation bomb into an OutOfMemoryException (a crash) instead of eating the machine.
export DOTNET_GCHeapHardLimit=${FUZZ_HEAP_LIMIT:-0x40000000}
timeout_ms=${FUZZ_TIMEOUT_MS:-5000}

# Resume an earlier session of this target when there is one, otherwise start from the seed corpus.
input=tests/Fuzz/corpus/$target
if [ -d "$findings/main/queue" ]; then input=-; fi

cmd=(dotnet "$bin/segfuzz.dll" "$target")
echo "== afl-fuzz $target for ${seconds}s, $jobs job(s); findings in $findings"
pids=()
for ((j = 1; j < jobs; j++)); do
  afl-fuzz -i "$input" -o "$findings" -S "sec$j" -m none -t "$timeout_ms" -V "$seconds" -- "${cmd[@]}" >"$work/sec$j.log" 2>&1 &
  pids+=($!)
done
afl-fuzz -i "$input" -o "$findings" -M main -m none -t "$timeout_ms" -V "$seconds" -- "${cmd[@]}" >"$work/main.log" 2>&1 || {
  echo "afl-fuzz failed; the end of its log ($work/main.log):" >&2; tail -30 "$work/main.log" >&2; }
for p in "${pids[@]}"; do wait "$p" || true; done

echo "== results for $target"
for stats in "$findings"/*/fuzzer_stats; do
  [ -f "$stats" ] || continue
  echo "-- $(basename "$(dirname "$stats")")"
  awk -F' *: *' '$1 ~ /^(run_time|execs_done|execs_per_sec|corpus_count|edges_found|total_edges|bitmap_cvg|saved_crashes|saved_hangs|unique_crashes|unique_hangs)$/ { printf "   %-14s %s\n", $1, $2 }' "$stats"
done
crashes=$(find "$findings" -path '*/crashes/id:*' -type f 2>/dev/null | wc -l)
hangs=$(find "$findings" -path '*/hangs/id:*' -type f 2>/dev/null | wc -l)
echo "crash files: $crashes, hang files: $hangs"
[ "$crashes" -eq 0 ] || echo "triage (uninstrumented build): dotnet run --project tests/Fuzz -c Release -- $target FILE...; then tests/Fuzz/add-regressions.sh $target"
