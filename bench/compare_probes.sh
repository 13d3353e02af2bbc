#!/usr/bin/env bash
# Side by side: csoc's probe engine (bench/probe_load) and Prometheus' blackbox exporter (driven by
# bench/blackbox_load) probing the same local nginx targets at the same rate, with fresh
# connections. Prints a table and the ratio of the exporter's CPU per probe to csoc's.
#
#   bench/compare_probes.sh                 # N=1000 and N=10000, every 10s, 60s measured each
#   QUICK=1 bench/compare_probes.sh         # short windows, to check that everything works
#   CHECKS="500 2000" INTERVAL=5s DURATION=30s WARMUP=5s bench/compare_probes.sh
#
# Also runs bench/curl_floor at the same request rate: a blocking libcurl loop with nothing around it,
# the floor under any prober's cost per fresh-connection request on this machine.
#
# Environment: CHECKS (list of N), INTERVAL, DURATION, WARMUP (default: INTERVAL), FLOOR_DURATION
# (how long curl_floor runs; default 20s), NGINX_PORTS
# (how many ports the targets are spread over), BUILD_DIR (default build/default, configured
# and built here when needed), OUT (JSON lines of every run; default $BUILD_DIR/compare_probes.jsonl).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/bench/lib.sh"
if [[ ${QUICK:-0} == 1 ]]; then
  CHECKS=${CHECKS:-"1000 10000"}
  INTERVAL=${INTERVAL:-10s}
  DURATION=${DURATION:-10s}
  WARMUP=${WARMUP:-3s}
  FLOOR_DURATION=${FLOOR_DURATION:-5s}
else
  CHECKS=${CHECKS:-"1000 10000"}
  INTERVAL=${INTERVAL:-10s}
  DURATION=${DURATION:-60s}
  WARMUP=${WARMUP:-$INTERVAL}
  FLOOR_DURATION=${FLOOR_DURATION:-20s}
fi
NGINX_PORTS=${NGINX_PORTS:-16}
OUT=${OUT:-$BUILD_DIR/compare_probes.jsonl}
BLACKBOX=/usr/bin/prometheus-blackbox-exporter

bench_require "$NGINX" "$BLACKBOX" jq curl ss
bench_build probe_load blackbox_load curl_floor
PROBE_LOAD=$BUILD_DIR/bench/probe_load
BLACKBOX_LOAD=$BUILD_DIR/bench/blackbox_load
CURL_FLOOR=$BUILD_DIR/bench/curl_floor

# Every probe opens a connection: allow plenty of descriptors.
ulimit -n "$(ulimit -Hn)"

# nginx: one worker, targets /t/<i> on NGINX_PORTS ports, each answering 200 "ok".
start_nginx "$NGINX_PORTS"

cat >"$WORK/blackbox.yml" <<'EOF'
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
EOF
free_port
BB_PORT=$FREE_PORT
start_blackbox() {
  "$BLACKBOX" --config.file="$WORK/blackbox.yml" --web.listen-address="127.0.0.1:$BB_PORT" --log.level=warn \
    >"$WORK/blackbox.log" 2>&1 &
  BLACKBOX_PID=$!
  BENCH_PIDS+=("$BLACKBOX_PID")
  wait_http "http://127.0.0.1:$BB_PORT/metrics" "$BLACKBOX_PID" blackbox
}

bench_machine
echo "nginx pid $NGINX_PID on ports $PORT_LIST; checks: $CHECKS; interval $INTERVAL, warm-up $WARMUP," \
  "measured $DURATION"
: >"$OUT"
for n in $CHECKS; do
  echo
  echo "=== blocking libcurl floor, $n targets ==="
  "$CURL_FLOOR" --ports "$PORT_LIST" --checks "$n" --interval "$INTERVAL" --duration "$FLOOR_DURATION" \
    | tee "$WORK/floor-$n.txt"
  grep '^RESULT ' "$WORK/floor-$n.txt" | cut -d' ' -f2- >>"$OUT"

  echo
  echo "=== csoc, $n checks ==="
  "$PROBE_LOAD" --ports "$PORT_LIST" --checks "$n" --interval "$INTERVAL" --warmup "$WARMUP" --duration "$DURATION" \
    | tee "$WORK/csoc-$n.txt"
  grep '^RESULT ' "$WORK/csoc-$n.txt" | cut -d' ' -f2- >>"$OUT"

  echo
  echo "=== blackbox exporter, $n targets ==="
  # A fresh exporter per N, so its peak RSS belongs to this N alone.
  start_blackbox
  "$BLACKBOX_LOAD" --blackbox "http://127.0.0.1:$BB_PORT" --pid "$BLACKBOX_PID" --ports "$PORT_LIST" --checks "$n" \
    --interval "$INTERVAL" --warmup "$WARMUP" --duration "$DURATION" | tee "$WORK/blackbox-$n.txt"
  grep '^RESULT ' "$WORK/blackbox-$n.txt" | cut -d' ' -f2- >>"$OUT"
  stop_pid "$BLACKBOX_PID"
done

echo
echo "Results (interval $INTERVAL, measured $DURATION; CPU is the prober's process only, nginx excluded)"
jq -rs '
  def f(d): . * pow(10; d) | round / pow(10; d) | tostring;
  (["checks", "tool", "probes/s", "errors", "CPU us/probe", "cores", "peak RSS MiB", "lag p99 ms"] | @tsv),
  (.[] | [(.checks | tostring), .tool, (.probes_per_s | f(1)), (.errors | tostring), (.cpu_us_per_probe | f(1)),
          (.cores | f(3)), (.peak_rss_mib | f(1)),
          (if .tool == "csoc" then (.lag_p99_ms | f(2)) else "-" end)] | @tsv)
' "$OUT" | column -t -s $'\t'
jq -rs '
  def r: . * 100 | round / 100 | tostring;
  group_by(.checks)[] | (map(select(.tool == "csoc"))[0]) as $c | (map(select(.tool == "blackbox"))[0]) as $b
  | (map(select(.tool == "curl-floor"))[0]) as $f
  | select($c != null and $b != null and $c.cpu_us_per_probe > 0)
  | "N=\($c.checks): blackbox/csoc CPU per probe = \($b.cpu_us_per_probe / $c.cpu_us_per_probe | r)x"
    + (if $f != null then "; csoc/floor = \($c.cpu_us_per_probe / $f.cpu_us_per_probe | r)x" else "" end)
' "$OUT"
echo "JSON lines: $OUT"
