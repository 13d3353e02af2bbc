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
# (how many ports the targets are spread over), BUILD_DIR (default build/bench, configured and
# built here when needed), OUT (JSON lines of every run; default $BUILD_DIR/compare_probes.jsonl).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build/bench}
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
NGINX=/usr/sbin/nginx
BLACKBOX=/usr/bin/prometheus-blackbox-exporter

for tool in "$NGINX" "$BLACKBOX" jq curl ss; do
  command -v "$tool" >/dev/null || { echo "compare_probes: $tool is not installed" >&2; exit 1; }
done

if [[ ! -f $BUILD_DIR/build.ninja ]]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCSOC_BUILD_BENCH=ON -DCSOC_BUILD_TESTS=OFF
fi
cmake --build "$BUILD_DIR" --target probe_load blackbox_load curl_floor -j2
PROBE_LOAD=$BUILD_DIR/bench/probe_load
BLACKBOX_LOAD=$BUILD_DIR/bench/blackbox_load
CURL_FLOOR=$BUILD_DIR/bench/curl_floor

# Every probe opens a connection: allow plenty of descriptors.
ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d /tmp/csoc-compare-probes.XXXXXX)
NGINX_PID=""
BLACKBOX_PID=""
stop_pid() {
  local pid=$1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop_pid "$BLACKBOX_PID"
  stop_pid "$NGINX_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free loopback ports below the ephemeral range, so outgoing probe connections cannot take them.
# Sets FREE_PORT (not printed: a command substitution would lose TAKEN).
TAKEN=" "
free_port() {
  local port
  for _ in $(seq 1000); do
    port=$((20000 + RANDOM % 12000))
    [[ $TAKEN == *" $port "* ]] && continue
    if [[ -z $(ss -Htan "sport = :$port") ]]; then
      TAKEN+="$port "
      FREE_PORT=$port
      return 0
    fi
  done
  echo "compare_probes: no free port found" >&2
  return 1
}

wait_http() {  # URL PID NAME
  for _ in $(seq 100); do
    curl -sf -o /dev/null --max-time 1 "$1" && return 0
    kill -0 "$2" 2>/dev/null || { echo "compare_probes: $3 exited; log:" >&2; cat "$WORK/$3.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "compare_probes: $3 did not answer $1" >&2
  exit 1
}

# nginx: one worker, targets /t/<i> on NGINX_PORTS ports, each answering 200 "ok".
PORTS=()
for _ in $(seq "$NGINX_PORTS"); do
  free_port
  PORTS+=("$FREE_PORT")
done
PORT_LIST=$(IFS=,; echo "${PORTS[*]}")
{
  echo "daemon off;"
  echo "master_process on;"
  echo "worker_processes 1;"
  echo "worker_rlimit_nofile 65536;"
  echo "pid $WORK/nginx.pid;"
  echo "error_log $WORK/nginx-error.log warn;"
  echo "events { worker_connections 16384; }"
  echo "http {"
  echo "  access_log off;"
  for dir in client_body proxy fastcgi uwsgi scgi; do echo "  ${dir}_temp_path $WORK/$dir;"; done
  echo "  server {"
  for port in "${PORTS[@]}"; do echo "    listen 127.0.0.1:$port;"; done
  echo "    location /t/ { return 200 \"ok\"; }"
  echo "    location / { return 404; }"
  echo "  }"
  echo "}"
} >"$WORK/nginx.conf"
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log" >"$WORK/nginx.log" 2>&1 &
NGINX_PID=$!
wait_http "http://127.0.0.1:${PORTS[0]}/t/0" "$NGINX_PID" nginx

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
  wait_http "http://127.0.0.1:$BB_PORT/metrics" "$BLACKBOX_PID" blackbox
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
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
  BLACKBOX_PID=""
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
