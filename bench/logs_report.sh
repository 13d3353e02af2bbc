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
#   --quick              small files and one round
# Environment: BUILD_DIR (default build/default), KEEP_WORK=1 keeps the generated logs.
#
# Both tools are measured with /usr/bin/time: wall-clock seconds, user+system CPU seconds and
# maximum resident memory. The files are read once before measuring, so both read from the page
# cache. Other work on the machine moves the figures: run it on a quiet machine.
set -euo pipefail

LINES=${LINES:-2000000} GOACCESS_LINES=${GOACCESS_LINES:-500000} ROUNDS=${ROUNDS:-3} THREADS=${THREADS:-0} QUICK=0
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case $1 in
    --lines) LINES=$2; shift 2 ;;
    --goaccess-lines) GOACCESS_LINES=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "logs_report.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [[ $QUICK == 1 ]]; then LINES=200000 GOACCESS_LINES=50000 ROUNDS=1; fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/lib.sh"
bench_require goaccess /usr/bin/time
bench_build csoc
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

: > "$WORK/runs"
for round in $(seq "$ROUNDS"); do
  echo "== round $round of $ROUNDS"
  run cat "$LINES" cat "$WORK/combined.log"
  run csoc-combined "$LINES" "$CSOC" logs report --no-progress --threads "$THREADS" --format combined --json "$WORK/combined.log"
  run csoc-gen3 "$LINES" "$CSOC" logs report --no-progress --threads "$THREADS" --format gen3 --json "$WORK/gen3.log"
  run csoc-combined-1thread "$LINES" "$CSOC" logs report --no-progress --threads 1 --format combined --json "$WORK/combined.log"
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
echo "($ROUNDS round(s), medians; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ))"
