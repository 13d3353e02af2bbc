#!/usr/bin/env bash
# Side by side: the 90-day history of one environment, asked of csoc's API and of Prometheus.
#
# csoc runs `serve` with 10,000 HTTP checks configured (ENVS environments of SERVICES services,
# probing local nginx every 10 s, so the server is busy while it answers), and a database that
# holds DAYS days of history for the SERVICES checks of the first environment (bench/history_fill,
# compacted as csoc's writer would). The question is one request:
#   GET /api/v1/environments/<env>/history?from=<now-90d>&to=<now>     (day resolution)
# which gives, per day, count, failures, uptime and latency p50/p95/p99 merged over the checks.
#
# Prometheus gets the same samples (history_fill --openmetrics, then `promtool tsdb
# create-blocks-from openmetrics`) and the closest PromQL, one query_range per figure, 1d step:
#   avg(avg_over_time(probe_success{check=~"<env>/.*"}[1d]))
#   max(quantile_over_time(Q, probe_duration_seconds{check=~"<env>/.*"}[1d]))  for Q = 0.5, 0.95, 0.99
# (PromQL has no merge of raw samples across series; the max of per-check quantiles is the usual
# stand-in). Prometheus is asked once it has finished compacting the imported blocks.
#
#   bench/history_api.sh                 # 10,000 checks, 90 days of one result per 5 min per check
#   QUICK=1 bench/history_api.sh         # 1,000 checks, 30 days: checks that it all works
#
# The 5 min sample interval is for Prometheus' sake: promtool 2.42 reads the whole import file once
# per 2 h block (1,080 blocks for 90 days), so 60 s samples take well over ten minutes to import,
# and fewer samples also make Prometheus' queries cheaper. csoc answers from its day rollups either
# way.
#
# Environment: ENVS, SERVICES, DAYS, SAMPLE_INTERVAL (between stored results), REQUESTS (per
# side), BUILD_DIR (default build/default), KEEP_WORK=1 keeps the work directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/bench/lib.sh"
if [[ ${QUICK:-0} == 1 ]]; then
  ENVS=${ENVS:-50} DAYS=${DAYS:-30} SAMPLE_INTERVAL=${SAMPLE_INTERVAL:-5m} REQUESTS=${REQUESTS:-20}
else
  ENVS=${ENVS:-500} DAYS=${DAYS:-90} SAMPLE_INTERVAL=${SAMPLE_INTERVAL:-5m} REQUESTS=${REQUESTS:-50}
fi
SERVICES=${SERVICES:-20}
PROMETHEUS=/usr/bin/prometheus
PROMTOOL=/usr/bin/promtool

bench_require "$NGINX" "$PROMETHEUS" "$PROMTOOL" jq curl ss bc
bench_build csoc history_fill
CSOC=$BUILD_DIR/src/csoc
HISTORY_FILL=$BUILD_DIR/bench/history_fill
ulimit -n "$(ulimit -Hn)"

bench_machine
start_nginx 4
TARGET_ENV=bench-0000

# The fleet: one file per environment, as an operator would keep it.
mkdir -p "$WORK/fleet" "$WORK/data"
cat >"$WORK/fleet/settings.yaml" <<EOF
settings:
  title: "history benchmark"
  data_dir: "$WORK/data"
defaults:
  interval: 10s
  timeout: 5s
EOF
for ((e = 0; e < ENVS; e++)); do
  env=$(printf 'bench-%04d' "$e")
  {
    echo "environments:"
    echo "  - name: $env"
    echo "    cluster: cluster-$((e % 4))"
    echo "    services:"
    for ((s = 0; s < SERVICES; s++)); do
      port=${NGINX_PORTS_LIST[$(((e * SERVICES + s) % ${#NGINX_PORTS_LIST[@]}))]}
      printf '      - name: svc-%02d\n        checks:\n          - name: http\n            url: http://127.0.0.1:%s/t/%s-%02d\n' \
        "$s" "$port" "$env" "$s"
    done
  } >"$WORK/fleet/$env.yaml"
done
checks=$(for ((s = 0; s < SERVICES; s++)); do printf '%s/svc-%02d/http,' "$TARGET_ENV" "$s"; done)
echo "fleet: $ENVS environments x $SERVICES checks = $((ENVS * SERVICES)) checks every 10s against nginx"
"$CSOC" check-config "$WORK/fleet" | tail -1

echo "filling $DAYS days of history for the $SERVICES checks of $TARGET_ENV, one result per $SAMPLE_INTERVAL each"
"$HISTORY_FILL" --db "$WORK/data/csoc.db" --checks "${checks%,}" --days "$DAYS" --interval "$SAMPLE_INTERVAL" \
  --openmetrics "$WORK/samples.om"
"$PROMTOOL" tsdb create-blocks-from openmetrics --quiet "$WORK/samples.om" "$WORK/prometheus" >/dev/null
rm -f "$WORK/samples.om"
# Blocks are directories named by ULID; compaction renames and removes them while we look.
count_blocks() { { find "$WORK/prometheus" -maxdepth 1 -type d -name '01*' ! -name '*.tmp*' 2>/dev/null || true; } | wc -l; }
echo "promtool made $(count_blocks) blocks"

free_port
CSOC_PORT=$FREE_PORT
"$CSOC" serve --config "$WORK/fleet" --listen "127.0.0.1:$CSOC_PORT" >"$WORK/csoc.log" 2>&1 &
CSOC_PID=$!
CSOC_STARTED=$(date +%s)
BENCH_PIDS+=("$CSOC_PID")
wait_http "http://127.0.0.1:$CSOC_PORT/readyz" "$CSOC_PID" csoc 600

free_port
PROM_PORT=$FREE_PORT
echo "global: {scrape_interval: 1h}" >"$WORK/prometheus.yml"
"$PROMETHEUS" --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prometheus" \
  --storage.tsdb.retention.time=400d --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn \
  >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
BENCH_PIDS+=("$PROM_PID")
wait_http "http://127.0.0.1:$PROM_PORT/-/ready" "$PROM_PID" prometheus 600

# Let Prometheus fold the imported 2h blocks into larger ones (its compaction runs once a minute)
# and csoc's probing reach its steady state: wait until the block count held still for a minute.
# Meanwhile, csoc's own cost of probing 10,000 checks (the whole server: probes, judging, history
# writes, compaction), from /proc and from its /metrics.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
metric_sum() {  # NAME-PREFIX: the sum of every sample whose name and labels start so
  curl -sf --max-time 10 "http://127.0.0.1:$CSOC_PORT/metrics" | awk -v p="$1" 'index($0, p) == 1 {s += $NF} END {printf "%.0f\n", s}'
}
window_start=$(date +%s.%N)
ticks_start=$(cpu_ticks "$CSOC_PID")
probes_start=$(metric_sum csoc_probe_duration_seconds_count)
lag_count_start=$(metric_sum csoc_probe_scheduling_lag_seconds_count)
lag_fast_start=$(metric_sum 'csoc_probe_scheduling_lag_seconds_bucket{le="0.1"}')
blocks_then=-1
still=0
for _ in $(seq 60); do
  sleep 15
  blocks=$(count_blocks)
  if [[ $blocks == "$blocks_then" ]]; then
    still=$((still + 1))
    ((still >= 4)) && break
  else
    still=0
  fi
  blocks_then=$blocks
done
echo "Prometheus settled on $blocks blocks; csoc has probed for $(($(date +%s) - CSOC_STARTED))s"
window=$(echo "$(date +%s.%N) - $window_start" | bc -l)
cores=$(echo "($(cpu_ticks "$CSOC_PID") - $ticks_start) / $(getconf CLK_TCK) / $window" | bc -l)
probes=$(($(metric_sum csoc_probe_duration_seconds_count) - probes_start))
lag_count=$(($(metric_sum csoc_probe_scheduling_lag_seconds_count) - lag_count_start))
lag_fast=$(($(metric_sum 'csoc_probe_scheduling_lag_seconds_bucket{le="0.1"}') - lag_fast_start))
if ((probes == 0 || lag_count == 0)); then
  echo "history_api: csoc completed no probes in ${window}s; its log:" >&2
  tail -20 "$WORK/csoc.log" >&2
  exit 1
fi
printf 'csoc serve, %d checks, over %.0f s: %.0f probes/s, %.3f cores (%.0f CPU us per probe), RSS %.0f MiB,' \
  "$((ENVS * SERVICES))" "$window" "$(echo "$probes / $window" | bc -l)" "$cores" \
  "$(echo "$cores * 1000000 / ($probes / $window)" | bc -l)" "$(awk '/VmRSS/ {print $2 / 1024}' "/proc/$CSOC_PID/status")"
printf ' scheduling lag <= 100 ms for %.2f%% of %d runs\n' "$(echo "100 * $lag_fast / $lag_count" | bc -l)" "$lag_count"

now=$(date -u +%s)
from=$((now - DAYS * 86400))
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
CSOC_URL="http://127.0.0.1:$CSOC_PORT/api/v1/environments/$TARGET_ENV/history?from=$(iso "$from")&to=$(iso "$now")"
curl -sf "$CSOC_URL" >"$WORK/csoc-answer.json"
echo "csoc answer: $(jq -c '{resolution, points: (.points | length), count, down, uptime}' "$WORK/csoc-answer.json")"

SELECTOR="{check=~\"$TARGET_ENV/.*\"}"
PROM_QUERIES=("avg(avg_over_time(probe_success$SELECTOR[1d]))")
for q in 0.5 0.95 0.99; do PROM_QUERIES+=("max(quantile_over_time($q, probe_duration_seconds$SELECTOR[1d]))"); done
prom_ask() {  # prints the total seconds of the four query_range requests
  local total=0 t
  for q in "${PROM_QUERIES[@]}"; do
    t=$(curl -sf -o "$WORK/prom-answer.json" -w '%{time_total}' -G "http://127.0.0.1:$PROM_PORT/api/v1/query_range" \
      --data-urlencode "query=$q" --data-urlencode "start=$from" --data-urlencode "end=$now" \
      --data-urlencode "step=86400")
    total=$(echo "$total + $t" | bc -l)
  done
  echo "$total"
}
prom_ask >/dev/null
echo "Prometheus answer (last query): $(jq -c '{status, points: (.data.result[0].values | length)}' "$WORK/prom-answer.json")"

# Requests alternate between the two, so that both see the same machine.
: >"$WORK/csoc.times"
: >"$WORK/prom.times"
for _ in $(seq "$REQUESTS"); do
  curl -sf -o /dev/null -w '%{time_total}\n' "$CSOC_URL" >>"$WORK/csoc.times"
  prom_ask >>"$WORK/prom.times"
done
stats() { sort -n "$1" | awk '{v[NR] = $1} END {printf "%.2f %.2f\n", v[int((NR + 1) / 2)] * 1000, v[int(NR * 0.99 + 0.99)] * 1000}'; }
read -r csoc_p50 csoc_p99 < <(stats "$WORK/csoc.times")
read -r prom_p50 prom_p99 < <(stats "$WORK/prom.times")
csoc_rss=$(awk '/VmHWM/ {print $2 / 1024}' "/proc/$CSOC_PID/status")
prom_rss=$(awk '/VmHWM/ {print $2 / 1024}' "/proc/$PROM_PID/status")
echo
echo "$DAYS days of $TARGET_ENV ($SERVICES checks), $REQUESTS requests each, milliseconds per answer:"
printf '%-32s %10s %10s %14s\n' "" "p50 ms" "p99 ms" "peak RSS MiB"
printf '%-32s %10s %10s %14.0f\n' "csoc ($((ENVS * SERVICES)) checks probing)" "$csoc_p50" "$csoc_p99" "$csoc_rss"
printf '%-32s %10s %10s %14.0f\n' "Prometheus (4 query_range)" "$prom_p50" "$prom_p99" "$prom_rss"
echo "ratio Prometheus/csoc at p50: $(echo "scale=1; $prom_p50 / $csoc_p50" | bc -l)x"
