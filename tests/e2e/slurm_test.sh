#!/usr/bin/env bash
# A sweep scaled out on a real Slurm cluster (docs/sweeps.md): starts a one-node cluster on
# localhost from Debian's slurm-wlm and munge (munged, slurmctld and slurmd with their own key,
# socket, ports, spool and logs in a temp folder), submits scripts/sweep.sbatch as a job array of
# three shards in which one task fails (its output folder is blocked), merges in a job that
# depends on the array (the merge names the missing shard and fails), re-submits the failed task
# alone and merges again: the table must equal one `sweep` of the same spec.
# Exits 77 (skipped), saying why, only where Slurm cannot start here.
# usage: slurm_test.sh SIM
set -euo pipefail
sim=$(realpath "$1")
repo=$(realpath "$(dirname "$0")/../..")
skip() { echo "slurm_test: SKIPPED: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

for b in munged munge slurmctld slurmd sbatch squeue scontrol sinfo; do
  command -v "$b" > /dev/null ||
    skip "$b is not installed (scripts/install-deps.sh installs slurm-wlm and munge)"
done
[ "$(id -u)" -eq 0 ] || skip "slurmd must run as root to start jobs as the submitting user"
id munge > /dev/null 2>&1 || skip "no munge user (the munge package creates it)"

work=$(mktemp -d "${TMPDIR:-/tmp}/conloc-slurm-XXXXXX")
chmod 755 "$work"  # munged's socket must be reachable by every user
pids=()
cleanup() {
  local status=$?
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  [ -f "$work/munge/pid" ] && kill "$(cat "$work/munge/pid")" 2> /dev/null || true
  # slurmctld writes its state files while it shuts down: wait for the daemons before removing
  # their folder (a removal racing the last write failed the test after it had passed).
  for p in "${pids[@]}"; do wait "$p" 2> /dev/null || true; done
  for _ in 1 2 3 4 5; do rm -rf "$work" 2> /dev/null && break; sleep 0.2; done
  exit "$status"
}
trap cleanup EXIT
cd "$work"
logs() { tail -n 20 "$work"/log/*.log "$work"/munge/log 2> /dev/null >&2 || true; }

# munged with its own key and socket (the system's, if any, is left alone).
mkdir -p munge/key state spool log
head -c 1024 /dev/urandom > munge/key/munge.key
chown -R munge:munge munge
chmod 700 munge/key
chmod 400 munge/key/munge.key
runuser -u munge -- munged --key-file="$work/munge/key/munge.key" --socket="$work/munge/sock" \
  --pid-file="$work/munge/pid" --log-file="$work/munge/log" --seed-file="$work/munge/seed" ||
  skip "munged does not start: $(tail -n 3 munge/log 2> /dev/null)"

# Two free TCP ports for slurmctld and slurmd.
read -r ctld_port slurmd_port < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
cat > slurm.conf << EOF
ClusterName=conloc-test
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/sock
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$work/slurm.conf
slurmctld -D -f "$SLURM_CONF" > log/slurmctld.out 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N localhost > log/slurmd.out 2>&1 &
pids+=($!)
for _ in $(seq 60); do
  [ "$(sinfo -h -o %T 2> /dev/null)" = idle ] && break
  sleep 0.5
done
[ "$(sinfo -h -o %T 2> /dev/null)" = idle ] || {
  logs
  skip "the one-node cluster did not come up (node state: $(sinfo -h -o %T 2>&1))"
}

# Waits for job $1 to leave the queue; prints the states of its tasks.
wait_job() {
  while [ -n "$(squeue -h -j "$1" 2> /dev/null)" ]; do sleep 0.3; done
  scontrol show job "$1" | grep -o 'JobState=[A-Z]*' | sort | uniq -c | tr -s ' ' | tr '\n' ' '
}

cat > small.json << 'JSON'
{
  "workloads": ["tinycnn"],
  "designs": ["elp", "fixed"],
  "axes": {"array.rows": [4, 8], "array.cols": [4, 8], "array.dataflow": ["ws", "os"]}
}
JSON
"$sim" sweep small.json --out whole > /dev/null

# The array, with task 3's folder blocked by a file, and the merge as a dependent job.
mkdir -p out
touch out/shard3
jid=$(sbatch --parsable --array=1-3 --cpus-per-task=1 "$repo/scripts/sweep.sbatch" "$sim" \
  small.json "$work/out" 3)
mid=$(sbatch --parsable --dependency="afterany:$jid" --output=merge.out \
  --wrap "'$sim' sweep-merge --out '$work/out/merged' '$work/out/shard1' '$work/out/shard2'")
states=$(wait_job "$jid")
echo "$states" | grep -q '2 JobState=COMPLETED' && echo "$states" | grep -q '1 JobState=FAILED' ||
  { logs; fail "expected two completed tasks and one failed: $states"; }
grep -q 'exists and is not a directory' "conloc-sweep-${jid}_3.out" ||
  fail "task 3 did not fail on its blocked folder: $(cat "conloc-sweep-${jid}_3.out")"
mstate=$(wait_job "$mid")
echo "$mstate" | grep -q FAILED || fail "the merge of an incomplete shard set succeeded: $mstate"
grep -q 'shard 3/3 is missing 2 points (p0002, p0005): no folder of it was given' merge.out ||
  fail "the merge did not name the missing shard: $(cat merge.out)"

# The failed task re-submitted alone (docs/sweeps.md), then the merge of every shard.
rm out/shard3
jid2=$(sbatch --parsable --array=3 --cpus-per-task=1 "$repo/scripts/sweep.sbatch" "$sim" \
  small.json "$work/out" 3)
states=$(wait_job "$jid2")
echo "$states" | grep -q '1 JobState=COMPLETED' ||
  fail "re-submitted task failed: $states $(cat "conloc-sweep-${jid2}_3.out")"
mid2=$(sbatch --parsable --output=merge2.out \
  --wrap "'$sim' sweep-merge --out '$work/out/merged' $(printf "'$work/out/shard%s' " 1 2 3)")
mstate=$(wait_job "$mid2")
echo "$mstate" | grep -q COMPLETED || fail "the merge failed: $(cat merge2.out)"
cmp whole/sweep.csv out/merged/sweep.csv || fail "the merged shards differ from one sweep"
echo "slurm_test: 8 points over 3 Slurm array tasks merged equal to one sweep"
