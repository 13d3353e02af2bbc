# Shell pieces shared by the side-by-side benchmark scripts (sourced, not run): a work directory
# removed on exit, processes stopped by PID, free loopback ports, waiting for an HTTP answer, and
# nginx from Debian as a probe target. The caller sets ROOT before sourcing.

"$ROOT/scripts/setup.sh" bench
# The optimised build of the default preset (the test command's), which has the benchmarks too.
BUILD_DIR=${BUILD_DIR:-$ROOT/build/default}
NGINX=/usr/sbin/nginx

# Configures (once, with the default preset when BUILD_DIR is its directory) and builds the given targets.
bench_build() {
  if [[ ! -f $BUILD_DIR/build.ninja ]]; then
    if [[ $BUILD_DIR == "$ROOT/build/default" ]]; then
      (cd "$ROOT" && cmake --preset default)
    else
      cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCSOC_BUILD_BENCH=ON
    fi
  fi
  cmake --build "$BUILD_DIR" --target "$@" -j2
}

bench_require() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$(basename "$0"): $tool is not installed" >&2; exit 1; }
  done
}

WORK=$(mktemp -d /tmp/csoc-bench.XXXXXX)
BENCH_PIDS=()
stop_pid() {
  local pid=$1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
  # Forgotten once reaped, so that the exit cleanup never signals a PID the system has reused.
  local kept=() p
  for p in "${BENCH_PIDS[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  BENCH_PIDS=("${kept[@]}")
}
bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do stop_pid "$pid"; done
  [[ ${KEEP_WORK:-0} == 1 ]] && echo "work directory kept: $WORK" || rm -rf "$WORK"
}
trap bench_cleanup EXIT
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
  echo "$(basename "$0"): no free port found" >&2
  return 1
}

wait_http() {  # URL PID NAME [TRIES of 0.1 s]
  for _ in $(seq "${4:-100}"); do
    curl -sf -o /dev/null --max-time 1 "$1" && return 0
    kill -0 "$2" 2>/dev/null || { echo "$(basename "$0"): $3 exited; log:" >&2; cat "$WORK/$3.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "$(basename "$0"): $3 did not answer $1" >&2
  exit 1
}

# nginx with one worker answering 200 "ok" on /t/<anything>, on COUNT free ports. Sets NGINX_PORTS_LIST
# (array), PORT_LIST (comma-separated) and NGINX_PID.
start_nginx() {  # COUNT
  NGINX_PORTS_LIST=()
  for _ in $(seq "$1"); do
    free_port
    NGINX_PORTS_LIST+=("$FREE_PORT")
  done
  PORT_LIST=$(IFS=,; echo "${NGINX_PORTS_LIST[*]}")
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
    for port in "${NGINX_PORTS_LIST[@]}"; do echo "    listen 127.0.0.1:$port;"; done
    echo "    location /t/ { return 200 \"ok\"; }"
    echo "    location / { return 404; }"
    echo "  }"
    echo "}"
  } >"$WORK/nginx.conf"
  "$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log" >"$WORK/nginx.log" 2>&1 &
  NGINX_PID=$!
  BENCH_PIDS+=("$NGINX_PID")
  wait_http "http://127.0.0.1:${NGINX_PORTS_LIST[0]}/t/0" "$NGINX_PID" nginx
}

bench_machine() {
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
