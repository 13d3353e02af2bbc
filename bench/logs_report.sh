#!/usr/bin/env bash
# Side by side: `csoc logs report` and GoAccess (Debian's goaccess, C, single-threaded) building a
# full report of the same combined-format access log, on the same machine, in one run. Prints
# lines/s, CPU seconds and peak memory of each and the ratio csoc/GoAccess; also csoc's rate on
# the same requests in Gen3's JSON format, and `cat file > /dev/null` as the I/O floor.
#
# The logs come from csoc's own deterministic generator (`csoc logs generate`: Gen3 paths,
# services, sign-ins, downloads, searches, realistic status codes, 1% malformed lines of every
# kind), so both tools read byte-identical input and every run reads the same bytes.
#
#   bench/logs_report.sh                    # 2M lines for csoc, 500k for GoAccess, 3 rounds
#   bench/logs_report.sh --quick            # 200k / 50k lines, 1 round: checks that it all works
#   bench/logs_report.sh --lines 5000000 --goaccess-lines 1000000 --rounds 5
#
# Options (each also read from the environment variable in brackets):
#   --lines N            lines in the log csoc reads (LINES, default 2000000)
#   --goaccess-lines N   lines GoAccess reads: the first N of the same log (GOACCESS_LINES, default
#                        500000; GoAccess takes ~15 s per 500k lines here, and its rate does not
#                        change with the file's length)
#   --rounds N           runs of each tool; the table gives the median (ROUNDS, default 3)
#   --threads N          csoc's parser threads (THREADS, default 0: one per core)
#   --senders N          Loki push connections at once (SENDERS, default 2)
#   --quick              small files and one round
# Environment: BUILD_DIR (default build/default), KEEP_WORK=1 keeps the generated logs.
#
# Live ingestion is measured too: `csoc serve` follows the gen3 log as a configured source (a fresh
# data directory each round, so it starts at the file's first line) and the script times, from the
# start of the process, how long until /api/v1/logs/sources shows every line read and counted
# (`lines_since_start`; the commit to SQLite follows within its 2 s interval);
# the row is lines / that time (it includes starting csoc, about 0.1 s).
#
# And the Loki push API: `bench/loki_push_load` (a client shaped like Promtail: the same gen3 log cut
# into 1 MiB batches of one stream, protobuf + snappy, encoded before the clock starts, one batch
# in flight per connection) pushes every line to a fresh `csoc serve`; csoc answers each push only
# after the commit that stores it, so the row is lines / the time from the first push to the last
# answer, with csoc's CPU seconds over the pushes and its peak memory. `--senders N` (SENDERS,
# default 2) sets the connections pushing at once.
#
# Both tools are measured with /usr/bin/time: wall-clock seconds, user+system CPU seconds and
# maximum resident memory. The files are read once before measuring, so both read from the page
# cache. Other work on the machine moves the figures: run it on a quiet machine.
set -euo pipefail

LINES=${LINES:-2000000} GOACCESS_LINES=${GOACCESS_LINES:-500000} ROUNDS=${ROUNDS:-3} THREADS=${THREADS:-0} SENDERS=${SENDERS:-2} QUICK=0
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case $1 in
    --lines) LINES=$2; shift 2 ;;
    --goaccess-lines) GOACCESS_LINES=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --senders) SENDERS=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "logs_report.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [[ $QUICK == 1 ]]; then LINES=200000 GOACCESS_LINES=50000 ROUNDS=1; fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/lib.sh"
bench_require goaccess /usr/bin/time curl jq
bench_build csoc loki_push_load
CSOC=$BUILD_DIR/src/csoc

echo "== generating $LINES lines (combined and gen3 JSON, 1% malformed)"
"$CSOC" logs generate --format combined --lines "$LINES" --malformed 0.01 --seed 42 --out "$WORK/combined.log"
"$CSOC" logs generate --format gen3 --lines "$LINES" --malformed 0.01 --seed 42 --out "$WORK/gen3.log"
head -n "$GOACCESS_LINES" "$WORK/combined.log" > "$WORK/combined-goaccess.log"
cat "$WORK"/*.log > /dev/null  # into the page cache

# run NAME FILE LINES COMMAND...: one measured run; appends "name lines wall cpu rss_kb" to $WORK/runs.
run() {
  local name=$1 lines=$2
  shift 2
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" > /dev/null 2> "$WORK/stderr" || {
    echo "$name failed:" >&2
    cat "$WORK/stderr" >&2
    exit 1
  }
  read -r wall user sys rss < "$WORK/time"
  echo "$name $lines $wall $(echo "$user + $sys" | bc) $rss" >> "$WORK/runs"
}

# live ROUND: csoc serve following gen3.log; appends "csoc-live-gen3 lines wall cpu rss_kb".
live() {
  local dir=$WORK/live$1 port pid start end
  mkdir -p "$dir"
  free_port
  port=$FREE_PORT
  cat > "$dir/fleet.yaml" <<YAML
settings: {listen: "127.0.0.1:$port", data_dir: "$dir/data"}
environments:
  - name: bench
    cluster: local
    services:
      - name: self
        checks: [{name: self, type: tcp, host: 127.0.0.1, port: $port, interval: 60s}]
logs:
  sources:
    - {name: bench, environment: bench, format: gen3, file: $WORK/gen3.log}
YAML
  start=$(date +%s.%N)
  "$CSOC" serve --config "$dir/fleet.yaml" > "$WORK/live.log" 2>&1 &
  pid=$!
  BENCH_PIDS+=("$pid")
  wait_http "http://127.0.0.1:$port/healthz" "$pid" live
  while true; do
    lines=$(curl -sf "http://127.0.0.1:$port/api/v1/logs/sources" | jq '.sources[0].lines_since_start') || lines=0
    [[ $lines -ge $LINES ]] && break
    kill -0 "$pid" 2>/dev/null || { echo "csoc serve exited:" >&2; cat "$WORK/live.log" >&2; exit 1; }
    sleep 0.05
  done
  end=$(date +%s.%N)
  read -r utime stime rss < <(awk '{print $14, $15}' "/proc/$pid/stat" | tr '\n' ' '; awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  local ticks
  ticks=$(getconf CLK_TCK)
  echo "csoc-live-gen3 $LINES $(echo "$end - $start" | bc) $(echo "($utime + $stime) / $ticks" | bc -l) $rss" >> "$WORK/runs"
  stop_pid "$pid"
}

# cpu_of PID: user + system CPU seconds of a process so far.
cpu_of() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$1/stat"; }

# loki ROUND: loki_push_load pushes gen3.log to csoc serve; appends "csoc-loki-push lines wall cpu rss_kb".
loki() {
  local dir=$WORK/loki$1 port pid token cpu0 result
  mkdir -p "$dir/data"
  free_port
  port=$FREE_PORT
  cat > "$dir/fleet.yaml" <<YAML
settings: {listen: "127.0.0.1:$port", data_dir: "$dir/data"}
environments:
  - name: bench
    cluster: local
    services:
      - name: self
        checks: [{name: self, type: tcp, host: 127.0.0.1, port: $port, interval: 60s}]
logs:
  loki: {environment_label: namespace, environments: {bench: bench}, format: gen3}
YAML
  token=$("$CSOC" token create --data-dir "$dir/data" --name bench --scope logs:ingest 2>&1 | grep -o 'csoc_[0-9a-f]\{48\}' | head -n1)
  [[ -n $token ]] || { echo "could not create a token" >&2; exit 1; }
  "$CSOC" serve --config "$dir/fleet.yaml" > "$WORK/loki.log" 2>&1 &
  pid=$!
  BENCH_PIDS+=("$pid")
  wait_http "http://127.0.0.1:$port/healthz" "$pid" loki
  cpu0=$(cpu_of "$pid")
  "$BUILD_DIR/bench/loki_push_load" --url "http://127.0.0.1:$port/loki/api/v1/push" --token "$token" \
    --file "$WORK/gen3.log" --label namespace=bench --senders "$SENDERS" > "$WORK/loki.out" \
    || { cat "$WORK/loki.out" >&2; echo "csoc log:" >&2; cat "$WORK/loki.log" >&2; exit 1; }
  result=$(sed -n 's/^RESULT //p' "$WORK/loki.out")
  echo "csoc-loki-push $(jq -r .lines <<< "$result") $(jq -r .wall_s <<< "$result") \
$(echo "$(cpu_of "$pid") - $cpu0" | bc) $(awk '/VmHWM/ {print $2}' "/proc/$pid/status")" >> "$WORK/runs"
  stop_pid "$pid"
}

: > "$WORK/runs"
for round in $(seq "$ROUNDS"); do
  echo "== round $round of $ROUNDS"
  run cat "$LINES" cat "$WORK/combined.log"
  run csoc-combined "$LINES" "$CSOC" logs report --no-progress --threads "$THREADS" --format combined --json "$WORK/combined.log"
  run csoc-gen3 "$LINES" "$CSOC" logs report --no-progress --threads "$THREADS" --format gen3 --json "$WORK/gen3.log"
  run csoc-combined-1thread "$LINES" "$CSOC" logs report --no-progress --threads 1 --format combined --json "$WORK/combined.log"
  live "$round"
  loki "$round"
  run goaccess "$GOACCESS_LINES" goaccess "$WORK/combined-goaccess.log" --log-format=COMBINED --no-global-config \
    --no-progress -o "$WORK/goaccess.json"
done

# The median of each name's runs, then the table and the ratio.
summary=$(awk '
  { n[$1]++; wall[$1, n[$1]] = $3; cpu[$1, n[$1]] = $4; rss[$1, n[$1]] = $5; lines[$1] = $2 }
  function median(arr, name, count,   i, j, t, v) {
    for (i = 1; i <= count; i++) v[i] = arr[name, i]
    for (i = 1; i <= count; i++) for (j = i + 1; j <= count; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return v[int((count + 1) / 2)]
  }
  END {
    for (name in n) {
      w = median(wall, name, n[name]); c = median(cpu, name, n[name]); r = median(rss, name, n[name])
      printf "%s %d %.3f %.3f %d %.0f\n", name, lines[name], w, c, r, (w > 0 ? lines[name] / w : 0)
    }
  }' "$WORK/runs" | sort)

echo
printf "%-24s %12s %10s %10s %12s %14s\n" tool lines wall_s cpu_s peak_rss_MB lines_per_s
while read -r name lines wall cpu rss rate; do
  printf "%-24s %12d %10.3f %10.3f %12.1f %14.0f\n" "$name" "$lines" "$wall" "$cpu" "$(echo "$rss / 1024" | bc -l)" "$rate"
done <<< "$summary"
rate_of() { awk -v n="$1" '$1 == n { print $6 }' <<< "$summary"; }
csoc_rate=$(rate_of csoc-combined)
goaccess_rate=$(rate_of goaccess)
echo
echo "csoc logs report (combined, all cores) / GoAccess: $(echo "scale=1; $csoc_rate / $goaccess_rate" | bc)x the lines per second"
echo "csoc on one thread / GoAccess:                    $(echo "scale=1; $(rate_of csoc-combined-1thread) / $goaccess_rate" | bc)x"
echo "csoc on Gen3 JSON: $(rate_of csoc-gen3) lines/s; cat (I/O floor): $(rate_of cat) lines/s"
echo "csoc serve following the Gen3 JSON log live: $(rate_of csoc-live-gen3) lines/s ($(echo "scale=1; $(rate_of csoc-live-gen3) / $goaccess_rate" | bc)x GoAccess)"
echo "csoc serve taking Loki pushes (protobuf + snappy, $SENDERS connection(s)): $(rate_of csoc-loki-push) lines/s ($(echo "scale=1; $(rate_of csoc-loki-push) / $goaccess_rate" | bc)x GoAccess)"
echo "($ROUNDS round(s), medians; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ))"
