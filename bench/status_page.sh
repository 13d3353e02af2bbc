#!/usr/bin/env bash
# Side by side: csoc serving its public status page (GET /status, server-rendered HTML, and
# GET /api/v2/summary.json, Statuspage-compatible JSON, both from csoc's in-memory render cache)
# and nginx serving the very same bytes as static files. Same load generator (wrk), same
# connections, threads and duration, same machine, in one run. Prints requests/s and p99 latency of
# each, and the ratios csoc/nginx.
#
# csoc runs `csoc demo` (the simulated fleet of six Gen3-like commons and csoc monitoring it, in one
# process; its status page has six components and opens incidents on its own). Once /status answers
# 200 the script waits --settle seconds so that automatic incidents exist, then copies the exact
# bytes of both answers into an nginx root. nginx (Debian's nginx-light) runs twice, on its own
# ports: with 1 worker (the fair comparison: csoc answers HTTP on one web thread) and with 2 workers
# (what nginx would use on this 2-core machine). Each URL is loaded against csoc, nginx 1 worker and
# nginx 2 workers in turn, after a short warm-up of each.
#
#   bench/status_page.sh                          # 64 connections, 2 wrk threads, 20 s each, 60 s settle
#   bench/status_page.sh --quick                  # 5 s each, 15 s settle: checks that it all works
#   bench/status_page.sh --connections 256 --duration 30s --settle 90
#
# Options (each also read from the environment variable in brackets):
#   --duration D       wrk duration of each measured run (DURATION, default 20s)
#   --connections N    wrk connections (CONNECTIONS, default 64)
#   --threads N        wrk threads (THREADS, default 2)
#   --settle S         seconds to let the demo run before measuring (SETTLE, default 60)
#   --warmup D         unmeasured wrk run before each measured one (WARMUP, default 3s)
#   --nginx-workers L  nginx rows, as worker counts (NGINX_WORKERS, default "1 2")
#   --rounds N         measure every pair N times, in alternating order; the table gives medians
#                      (ROUNDS, default 1)
#   --quick            short runs and settle, unless given explicitly
# Environment: BUILD_DIR (default build/default), OUT (JSON lines of every run; default
# $BUILD_DIR/status_page.jsonl), KEEP_WORK=1 keeps the work directory (the wrk outputs, both logs).
#
# csoc's cache entry for a URL is valid for at most 30 s and is dropped whenever the status page or
# a component's condition changes (the demo's flapping commons does so every few seconds), so csoc
# re-renders during a run. That is part of what csoc costs and is counted; nginx never re-reads its
# files (they do not change).
#
# wrk shares the machine with the servers, so other work on it (a build, tests) moves the figures,
# p99 most: on a shared machine run the script as root under `nice -n -20`, which csoc, nginx and
# wrk inherit alike (docs/performance.md does).
set -euo pipefail

DURATION=${DURATION:-} CONNECTIONS=${CONNECTIONS:-64} THREADS=${THREADS:-2} SETTLE=${SETTLE:-}
WARMUP=${WARMUP:-3s} NGINX_WORKERS=${NGINX_WORKERS:-"1 2"} ROUNDS=${ROUNDS:-1} QUICK=${QUICK:-0}
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case $1 in
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --settle) SETTLE=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --nginx-workers) NGINX_WORKERS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "status_page.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [[ $QUICK == 1 ]]; then
  DURATION=${DURATION:-5s} SETTLE=${SETTLE:-15}
else
  DURATION=${DURATION:-20s} SETTLE=${SETTLE:-60}
fi
[[ $CONNECTIONS =~ ^[0-9]+$ && $THREADS =~ ^[0-9]+$ && $SETTLE =~ ^[0-9]+$ && $ROUNDS =~ ^[1-9][0-9]*$ ]] || { usage >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/bench/lib.sh"
OUT=${OUT:-$BUILD_DIR/status_page.jsonl}
bench_require "$NGINX" wrk jq curl ss bc cmp
bench_build csoc
CSOC=$BUILD_DIR/src/csoc
ulimit -n "$(ulimit -Hn)"

URLS=(/status /api/v2/summary.json)

# ---- csoc demo ----

# The demo's simulated commons listen on base+0 … base+5 and its TLS endpoint on base+10: a block of
# 11 free ports.
free_port_block() {  # COUNT; sets FREE_PORT to the first
  local base i ok
  for _ in $(seq 200); do
    base=$((20000 + RANDOM % 12000))
    ok=1
    for ((i = 0; i < $1; i++)); do
      if [[ $TAKEN == *" $((base + i)) "* || -n $(ss -Htan "sport = :$((base + i))") ]]; then ok=0; break; fi
    done
    if ((ok)); then
      for ((i = 0; i < $1; i++)); do TAKEN+="$((base + i)) "; done
      FREE_PORT=$base
      return 0
    fi
  done
  echo "status_page.sh: no block of $1 free ports found" >&2
  return 1
}

bench_machine
free_port
CSOC_PORT=$FREE_PORT
free_port_block 11
DEMO_BASE=$FREE_PORT
mkdir -p "$WORK/demo"
"$CSOC" demo --listen "127.0.0.1:$CSOC_PORT" --data-dir "$WORK/demo" --base-port "$DEMO_BASE" >"$WORK/csoc.log" 2>&1 &
CSOC_PID=$!
BENCH_PIDS+=("$CSOC_PID")
wait_http "http://127.0.0.1:$CSOC_PORT/status" "$CSOC_PID" csoc 300
echo "csoc demo pid $CSOC_PID on 127.0.0.1:$CSOC_PORT (simulated commons from port $DEMO_BASE);" \
  "letting it run ${SETTLE}s so that automatic incidents exist"
for ((s = 0; s < SETTLE; s++)); do
  kill -0 "$CSOC_PID" 2>/dev/null || { echo "status_page.sh: csoc exited; log:" >&2; cat "$WORK/csoc.log" >&2; exit 1; }
  sleep 1
done

# ---- the same bytes for nginx ----

mkdir -p "$WORK/www/api/v2"
# nginx's workers drop root's privileges: let them reach the files (mktemp made WORK 0700).
chmod a+x "$WORK"
fetch() {  # URL FILE: the exact body, and csoc's headers
  local code
  code=$(curl -s --max-time 10 -D "$2.headers" -o "$2" -w '%{http_code}' "http://127.0.0.1:$CSOC_PORT$1")
  [[ $code == 200 ]] || { echo "status_page.sh: csoc answered $code to $1" >&2; exit 1; }
}
fetch /status "$WORK/www/status"
fetch /api/v2/summary.json "$WORK/www/api/v2/summary.json"
jq -e . "$WORK/www/api/v2/summary.json" >/dev/null || { echo "status_page.sh: summary.json is not JSON" >&2; exit 1; }
echo "status page now: $(jq -r '[.components[] | select(.group | not)] as $c
  | "\($c | length) components (\([$c[].status] | group_by(.)
  | map("\(length) \(.[0])") | join(", "))), \(.incidents | length) unresolved incidents, indicator \(.status.indicator)"' \
  "$WORK/www/api/v2/summary.json")"
(($(jq '.incidents | length' "$WORK/www/api/v2/summary.json") > 0)) ||
  echo "status_page.sh: warning: no unresolved incident yet; a longer --settle gives a fuller page" >&2

# nginx sends csoc's own response headers too (cache, security, CORS), so that both answers carry
# about the same bytes. Content-Length, Server, Date and the like are each server's own.
nginx_headers() {  # HEADERS-FILE
  tr -d '\r' <"$1" | grep -i -E '^(cache-control|content-security-policy|x-content-type-options|referrer-policy|access-control-allow-origin|x-frame-options):' |
    while IFS= read -r line; do
      name=${line%%:*}
      value=${line#*: }
      printf '      add_header %s "%s" always;\n' "$name" "${value//\"/\\\"}"
    done
}
content_type() { tr -d '\r' <"$1" | awk -F': ' 'tolower($1) == "content-type" {print $2}'; }

# nginx: master and N workers, foreground (so that $! is the master and stopping it by PID stops the
# workers), sendfile and tcp_nopush as in Debian's default config, no access log (csoc writes none),
# and keep-alive connections that last as long as csoc's (nginx closes one after 1,000 requests by
# default, and wrk would pay for reconnecting).
declare -A NGINX_PORT NGINX_MASTER
start_static_nginx() {  # WORKERS
  local w=$1 dir=$WORK/nginx-$1
  free_port
  NGINX_PORT[$w]=$FREE_PORT
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $w;
worker_rlimit_nofile 65536;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000000;
  keepalive_timeout 65s;
  client_body_temp_path $dir/client_body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  server {
    listen 127.0.0.1:$FREE_PORT;
    root $WORK/www;
    location = /status {
      types { }
      default_type "$(content_type "$WORK/www/status.headers")";
$(nginx_headers "$WORK/www/status.headers")
    }
    location = /api/v2/summary.json {
      types { }
      default_type "$(content_type "$WORK/www/api/v2/summary.json.headers")";
$(nginx_headers "$WORK/www/api/v2/summary.json.headers")
    }
    location / { return 404; }
  }
}
EOF
  "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$WORK/nginx-$w.log" 2>&1 &
  NGINX_MASTER[$w]=$!
  BENCH_PIDS+=("${NGINX_MASTER[$w]}")
  wait_http "http://127.0.0.1:$FREE_PORT/status" "${NGINX_MASTER[$w]}" "nginx-$w"
  # Fail loudly unless it serves exactly the bytes csoc served.
  chmod -R a+rX "$WORK/www"
  for url in "${URLS[@]}"; do
    curl -sf --max-time 10 -o "$WORK/check" "http://127.0.0.1:$FREE_PORT$url"
    cmp -s "$WORK/check" "$WORK/www$url" || { echo "status_page.sh: nginx-$w does not serve the bytes of $url" >&2; exit 1; }
  done
  local workers
  workers=$(pgrep -c -P "${NGINX_MASTER[$w]}" || true)
  ((workers == w)) || { echo "status_page.sh: nginx-$w has $workers workers, expected $w" >&2; exit 1; }
}
for w in $NGINX_WORKERS; do start_static_nginx "$w"; done
header_bytes() { curl -s --max-time 10 -o /dev/null -w '%{size_header}' "$1"; }
for url in "${URLS[@]}"; do
  echo "$url: $(stat -c %s "$WORK/www$url") bytes of body, $(content_type "$WORK/www$url.headers");" \
    "header bytes: csoc $(header_bytes "http://127.0.0.1:$CSOC_PORT$url")$(for w in $NGINX_WORKERS; do
      printf ', nginx-%s %s' "$w" "$(header_bytes "http://127.0.0.1:${NGINX_PORT[$w]}$url")"; done)"
done
echo "nginx $("$NGINX" -v 2>&1 | sed 's|.*nginx/||'): master + N workers (rows: N = $NGINX_WORKERS) on ports" \
  "$(for w in $NGINX_WORKERS; do printf '%s ' "${NGINX_PORT[$w]}"; done)— csoc answers HTTP on one web thread," \
  "so the 1-worker row is the like-for-like comparison; the demo's simulator, probes and writer share csoc's process"
echo "wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'): -t$THREADS -c$CONNECTIONS -d$DURATION --latency," \
  "after a ${WARMUP} warm-up of each target; csoc re-renders when its cache expires (<= 30 s) or the page changes"

# ---- measuring ----

# CPU ticks of a process and its children (nginx workers); and of csoc's busiest thread.
tree_ticks() {
  local pid t=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    [[ -r /proc/$p/stat ]] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}
thread_ticks() { for f in /proc/"$1"/task/*/stat; do awk '{print $1, $14 + $15}' "$f" 2>/dev/null; done; }
to_ms() {  # a wrk latency such as 812.00us, 3.41ms, 1.20s
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) printf "%.3f", substr(v, 1, length(v) - 2) / 1000
    else if (v ~ /ms$/) printf "%.3f", substr(v, 1, length(v) - 2)
    else if (v ~ /m$/) printf "%.3f", substr(v, 1, length(v) - 1) * 60000
    else if (v ~ /s$/) printf "%.3f", substr(v, 1, length(v) - 1) * 1000
    else { print "bad latency " v > "/dev/stderr"; exit 1 } }'
}
# csoc's own account of a route (its /metrics histogram of the time from a complete request to the
# answer being ready, i.e. the handler without reading and writing): count, sum of seconds, and how
# many took at most 1 ms (answers from the cache take microseconds; a re-render takes longer).
csoc_handler() {  # ROUTE
  curl -sf --max-time 10 "http://127.0.0.1:$CSOC_PORT/metrics" | awk -v r="{route=\"$1\"" '
    index($0, "csoc_http_request_duration_seconds_count" r) == 1 {c = $NF}
    index($0, "csoc_http_request_duration_seconds_sum" r) == 1 {s = $NF}
    index($0, "csoc_http_request_duration_seconds_bucket" r ",le=\"0.001\"}") == 1 {f = $NF}
    END {printf "%s %s %s\n", c + 0, s + 0, f + 0}'
}
HZ=$(getconf CLK_TCK)
: >"$OUT"
run() {  # SERVER-NAME PID PORT URL
  local name=$1 pid=$2 port=$3 url=$4 file t0 t1 ticks0 ticks1 rps p50 p99 errors non2xx cores busiest=null
  local target="http://127.0.0.1:$port$url"
  file=$WORK/wrk-$name-$(echo "$url" | tr '/.' '__')-$round.txt
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$target" >/dev/null
  local threads0 threads1 m0 m1 handler_us=null slow=null
  if [[ $name == csoc ]]; then
    threads0=$(thread_ticks "$pid")
    m0=$(csoc_handler "$url")
  fi
  ticks0=$(tree_ticks "$pid")
  t0=$(date +%s.%N)
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$target" >"$file"
  t1=$(date +%s.%N)
  ticks1=$(tree_ticks "$pid")
  kill -0 "$pid" 2>/dev/null || { echo "status_page.sh: $name died during the run" >&2; exit 1; }
  cores=$(echo "($ticks1 - $ticks0) / $HZ / ($t1 - $t0)" | bc -l)
  if [[ $name == csoc ]]; then
    threads1=$(thread_ticks "$pid")
    m1=$(csoc_handler "$url")
    read -r handler_us slow < <(paste <(tr ' ' '\n' <<<"$m0") <(tr ' ' '\n' <<<"$m1") | awk '
      {d[NR] = $2 - $1} END {printf "%.1f %d\n", (d[1] > 0 ? d[2] / d[1] * 1e6 : 0), d[1] - d[3]}')
    busiest=$(join <(sort <<<"$threads0") <(sort <<<"$threads1") |
      awk -v hz="$HZ" -v s="$(echo "$t1 - $t0" | bc -l)" '{d = ($3 - $2) / hz / s; if (d > m) m = d} END {printf "%.3f", m}')
  fi
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$file")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$file")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$file")")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$file")
  errors=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$file")
  [[ -n $rps && -n $p99 ]] || { echo "status_page.sh: cannot read wrk's output:" >&2; cat "$file" >&2; exit 1; }
  jq -cn --arg server "$name" --arg url "$url" --argjson rps "$rps" --argjson p50 "$p50" --argjson p99 "$p99" \
    --argjson errors "${errors:-0}" --argjson non2xx "${non2xx:-0}" --argjson cores "$cores" --argjson busiest "$busiest" \
    --argjson handler_us "$handler_us" --argjson slow "$slow" \
    --argjson connections "$CONNECTIONS" --argjson threads "$THREADS" --arg duration "$DURATION" \
    --argjson round "$round" \
    '{server: $server, url: $url, requests_per_s: $rps, p50_ms: $p50, p99_ms: $p99, socket_errors: $errors,
      non_2xx: $non2xx, server_cores: $cores, busiest_thread_cores: $busiest,
      csoc_handler_us_mean: $handler_us, csoc_handler_over_1ms: $slow, connections: $connections,
      threads: $threads, duration: $duration, round: $round}' >>"$OUT"
  printf '  %-8s %-22s %10.0f req/s   p50 %7.2f ms   p99 %7.2f ms   server %.2f cores%s\n' "$name" "$url" "$rps" \
    "$p50" "$p99" "$cores" \
    "$([[ $busiest != null ]] && echo " (busiest thread $busiest; handler mean $handler_us us, $slow over 1 ms)")"
  if [[ ${errors:-0} != 0 || ${non2xx:-0} != 0 ]]; then
    echo "status_page.sh: $name $url: $errors socket errors, $non2xx non-2xx answers:" >&2
    cat "$file" >&2
    exit 1
  fi
}

# Anything else running on the machine shifts both sides, but not equally: say so.
load=$(cut -d' ' -f1 /proc/loadavg)
if (($(echo "$load > 0.5" | bc -l))); then
  echo "status_page.sh: warning: load average $load before measuring; other work on the machine skews the figures" >&2
fi
# Rounds alternate the order (csoc first, then last), so that neither side always follows the other.
for ((round = 1; round <= ROUNDS; round++)); do
  echo
  ((ROUNDS == 1)) || echo "round $round of $ROUNDS"
  for url in "${URLS[@]}"; do
    order=(csoc $(for w in $NGINX_WORKERS; do echo "nginx-$w"; done))
    if ((round % 2 == 0)); then order=($(printf '%s\n' "${order[@]}" | tac)); fi
    for name in "${order[@]}"; do
      if [[ $name == csoc ]]; then
        run csoc "$CSOC_PID" "$CSOC_PORT" "$url"
      else
        run "$name" "${NGINX_MASTER[${name#nginx-}]}" "${NGINX_PORT[${name#nginx-}]}" "$url"
      fi
    done
  done
done

# One row per URL and server: the median over the rounds of requests/s and of p99.
SUMMARY='
  def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  def f(d): . * pow(10; d) | round / pow(10; d) | tostring;
  group_by(.url) | sort_by(.[0].url | if . == "/status" then 0 else 1 end)[]
  | [group_by(.server)[] | {url: .[0].url, server: .[0].server, rps: (map(.requests_per_s) | median),
                            p99: (map(.p99_ms) | median)}]
  | sort_by(if .server == "csoc" then "" else .server end)
  | (map(select(.server == "csoc"))[0]) as $c'
echo
medians=""
((ROUNDS == 1)) || medians="; medians of $ROUNDS rounds"
echo "Results: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency; same bytes; nginx-N = nginx with N workers$medians"
{
  printf 'URL\tserver\trequests/s\tp99 ms\tcsoc/server req/s\tcsoc/server p99\n'
  jq -rs "$SUMMARY"'
    | .[] | [.url, .server, (.rps | f(0)), (.p99 | f(2)),
             (if .server == "csoc" then "-" else ($c.rps / .rps | f(2)) end),
             (if .server == "csoc" then "-" else ($c.p99 / .p99 | f(2)) end)] | @tsv' "$OUT"
} | column -t -s $'\t'
echo
echo "Target: csoc >= 0.5x nginx's requests/s and csoc p99 < 5 ms at $CONNECTIONS connections:"
jq -rs "$SUMMARY"'
  | .[] | select(.server != "csoc") | ($c.rps / .rps) as $r
  | "  \(.url) vs \(.server): \($r | f(2))x the requests/s, p99 \($c.p99 | f(2)) ms (\(.server): \(.p99 | f(2)) ms) -> "
    + (if $r >= 0.5 and $c.p99 < 5 then "met"
       else "missed (" + ([if $r < 0.5 then "requests/s" else empty end, if $c.p99 >= 5 then "p99" else empty end]
                         | join(" and ")) + ")" end)' "$OUT"
echo "JSON lines: $OUT"
