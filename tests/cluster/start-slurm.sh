#!/usr/bin/env bash
# Starts a one-node Slurm (munged, slurmctld, slurmd) on this machine for the cluster test, installing Debian's
# slurm-wlm and munge first when they are missing. Everything Slurm keeps lives in $SEGPLUG_SLURM_DIR
# (default /tmp/segplug-slurm); clients find the cluster through $SEGPLUG_SLURM_DIR/slurm.conf (SLURM_CONF).
# Needs root (as CI runs). Stop it with tests/cluster/stop-slurm.sh.
set -euo pipefail
dir=${SEGPLUG_SLURM_DIR:-/tmp/segplug-slurm}

if ! command -v sbatch >/dev/null 2>&1 || ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  echo "start-slurm: installing slurm-wlm and munge from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

mkdir -p "$dir"/state "$dir"/spool "$dir"/log "$dir"/run

# munge: a 1024-byte key owned by the munge user, its socket folder, the daemon run as that user.
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  # munged runs as the munge user, so its pid file goes in a folder that user owns (stop-slurm.sh reads it).
  mkdir -p "$dir/munge" && chown munge:munge "$dir/munge"
  runuser -u munge -- /usr/sbin/munged --pid-file="$dir/munge/munged.pid"
  for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi

host=$(hostname -s)
cpus=$(nproc)
cat >"$dir/slurm.conf" <<CONF
ClusterName=segplug-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"

# A controller or node daemon left from an earlier run is stopped first: the configuration may have changed.
for d in slurmd slurmctld; do
  if [ -s "$dir/run/$d.pid" ] && kill -0 "$(cat "$dir/run/$d.pid")" 2>/dev/null; then
    kill "$(cat "$dir/run/$d.pid")"; sleep 1
  fi
done
/usr/sbin/slurmctld -f "$SLURM_CONF" -c   # -c: start with a clean job state
/usr/sbin/slurmd -f "$SLURM_CONF"

for _ in $(seq 60); do
  state=$(sinfo -h -N -o %T 2>/dev/null | head -1 || true)
  case "$state" in
    idle*|mix*|alloc*) echo "start-slurm: node $host $state (SLURM_CONF=$SLURM_CONF)"; exit 0 ;;
    down*|drain*) scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true ;;
  esac
  sleep 0.5
done
echo "start-slurm: the node did not become idle; see $dir/log" >&2
exit 1
