#!/usr/bin/env bash
# Stops what tests/cluster/start-slurm.sh started, by its pid files.
set -uo pipefail
dir=${SEGPLUG_SLURM_DIR:-/tmp/segplug-slurm}
for f in "$dir/run/slurmd.pid" "$dir/run/slurmctld.pid" "$dir/munge/munged.pid"; do
  if [ -s "$f" ]; then
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null && for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$f"
  fi
done
echo "stop-slurm: stopped"
