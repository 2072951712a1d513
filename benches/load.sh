#!/usr/bin/env bash
# Load and fault injection: a plate of 96 clones at 3,000x counted concurrently, then
# screened (`run`), with wall time and peak memory; then the same plate with faults
# injected, each of which must fail the run cleanly. Not part of `cargo test` or CI.
#
#     bash benches/load.sh                       # 96 clones at 3,000x, 2 threads
#     CLONES=24 DEPTH=1000 THREADS=4 bash benches/load.sh
#
# Writes under $OUT (default bench-out/load; the plate takes about 35 MB per clone at
# 3,000x) and prints two markdown tables:
#   - load: command, inputs, wall time, peak RSS (/usr/bin/time -v);
#   - faults: one run per injected fault (a BAM cut mid-block without its EOF marker, a
#     BAM with a corrupted compressed block in the middle, a missing file, a text file
#     named .bam, SIGTERM half-way through counting), with the exit code, whether the
#     message names the faulty file, temporary files left, incomplete files left, good
#     clones whose counts were kept, and results lost.
# "Results lost" counts what a pipeline could be misled by: a fault not reported by
# name, an incomplete file under a final name, or a good clone's counts file that
# differs from the fault-free run. It must be zero.
set -euo pipefail
cd "$(dirname "$0")/.."
CLONES=${CLONES:-96}
DEPTH=${DEPTH:-3000}
THREADS=${THREADS:-2}
OUT=${OUT:-bench-out/load}
mkdir -p "$OUT"
if [ -z "${MITOSIEVE:-}" ]; then
    cargo build --release --quiet
    MITOSIEVE=target/release/mitosieve
fi
[ -x /usr/bin/time ] || { echo "load.sh: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

# The plate: every clone differs (a heteroplasmy level, a deletion in some).
spec="$OUT/plate.toml"
{
    echo "seed = 96"
    echo "[donors]"
    echo 'A = ["263A>G", "750A>G", "1438A>G", "4769A>G", "8860A>G", "15326A>G"]'
    for i in $(seq 1 "$CLONES"); do
        printf '[[clones]]\nname = "c%03d"\ndonor = "A"\ndepth = %d\n' "$i" "$DEPTH"
        case $((i % 3)) in
        0) printf 'haplotypes = [{ fraction = 0.%02d, snvs = ["3243A>G"] }]\n' $((i % 40 + 1)) ;;
        1) printf 'haplotypes = [{ fraction = 0.%02d, snvs = ["8344A>G"] }]\n' $((i % 30 + 1)) ;;
        2) printf 'haplotypes = [{ fraction = 0.0%d, deletion = { start = 8470, end = 13446 } }]\n' $((i % 9 + 1)) ;;
        esac
    done
} >"$spec.new"
# Keep the spec's date when it did not change, so an existing plate is reused.
if cmp -s "$spec.new" "$spec"; then rm "$spec.new"; else mv "$spec.new" "$spec"; fi
plate="$OUT/plate"
if [ ! -f "$plate/c$(printf %03d "$CLONES").bam" ] || [ "$spec" -nt "$plate/truth.tsv" ]; then
    echo "load.sh: simulating $CLONES clones at ${DEPTH}x into $plate" >&2
    "$MITOSIEVE" simulate --spec "$spec" -o "$plate" --threads "$THREADS" --quiet --overwrite
fi
mapfile -t BAMS < <(ls "$plate"/c*.bam | sort)
du -sh "$plate" >&2

# /usr/bin/time -v: sets WALL (s), RSS (MB) and RC.
timed() {
    local log="$OUT/time.log"
    set +e
    /usr/bin/time -v -o "$log" "$@" >"$OUT/stdout.log" 2>"$OUT/stderr.log"
    RC=$?
    set -e
    WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$log")
    RSS=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$log")
}

# Checks of an output directory: temporary files, incomplete counts files.
temps() { find "$1" -name '.mitosieve-tmp.*' 2>/dev/null | wc -l; }
incomplete() {
    local n=0 f
    for f in "$1"/*.counts.tsv.gz; do
        [ -e "$f" ] || continue
        if ! gzip -t "$f" 2>/dev/null || [ "$(gzip -dc "$f" | grep -vc '^#')" != 16569 ] ||
            [ ! -s "${f%.counts.tsv.gz}.summary.json" ]; then
            n=$((n + 1))
        fi
    done
    echo "$n"
}

load="$OUT/load.md"
printf '| command | inputs | threads | wall (s) | peak RSS (MB) |\n|---|---|---|---|---|\n' >"$load"
rm -rf "$OUT/count"
timed "$MITOSIEVE" count "${BAMS[@]}" -o "$OUT/count" --threads "$THREADS" --quiet --overwrite
[ "$RC" = 0 ] || { cat "$OUT/stderr.log" >&2; exit 1; }
printf '| count | %d BAMs at %dx | %d | %s | %s |\n' "$CLONES" "$DEPTH" "$THREADS" "$WALL" "$RSS" >>"$load"
good_counts=$(ls "$OUT"/count/*.counts.tsv.gz | wc -l)
[ "$good_counts" = "$CLONES" ] || { echo "load.sh: $good_counts counts files, expected $CLONES" >&2; exit 1; }
rm -rf "$OUT/run"
timed "$MITOSIEVE" run "${BAMS[@]}" -o "$OUT/run" --threads "$THREADS" --quiet --overwrite
[ "$RC" = 0 ] || { cat "$OUT/stderr.log" >&2; exit 1; }
printf '| run (count, call, select, report) | %d BAMs at %dx | %d | %s | %s |\n' "$CLONES" "$DEPTH" "$THREADS" "$WALL" "$RSS" >>"$load"
timed "$MITOSIEVE" call "$OUT"/count/*.counts.tsv.gz -o "$OUT/call" --threads "$THREADS" --quiet --overwrite
printf '| call (from counts files) | %d counts files | %d | %s | %s |\n' "$CLONES" "$THREADS" "$WALL" "$RSS" >>"$load"

# Faults. Each replaces one input (the middle one) and runs `count`; the corrupted-block
# fault also runs `run`.
faults="$OUT/faults.md"
printf '| fault | command | exit | file named | temp files left | incomplete files | good clones kept | results lost |\n|---|---|---|---|---|---|---|---|\n' >"$faults"
mid=$((CLONES / 2))
victim=${BAMS[$mid]}
fdir="$OUT/faulty"
rm -rf "$fdir"
mkdir -p "$fdir"
size=$(stat -c %s "$victim")
# A copy cut in the middle of a BGZF block, without the EOF marker.
head -c $((size / 2 + 1234)) "$victim" >"$fdir/truncated.bam"
# A copy with bytes flipped inside a compressed block half-way through (EOF intact).
python3 - "$victim" "$fdir/corrupt_block.bam" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
off = 0
blocks = []
while off + 18 <= len(data):
    blocks.append(off)
    off += int.from_bytes(data[off + 16:off + 18], "little") + 1
start, end = blocks[len(blocks) // 2], blocks[len(blocks) // 2 + 1]
for i in range(start + 40, end - 40, 97):
    data[i] ^= 0x5A
open(sys.argv[2], "wb").write(data)
PY
printf 'not an alignment\n' >"$fdir/text.bam"

faults_injected=0
lost_total=0
tried=0
# run_fault NAME COMMAND FAULTY_PATH: runs with the victim replaced, checks the outcome.
run_fault() {
    local name=$1 cmd=$2 faulty=$3
    local out="$fdir/out_${name}_$cmd" inputs=("${BAMS[@]}")
    inputs[$mid]=$faulty
    rm -rf "$out"
    faults_injected=$((faults_injected + 1))
    tried=$((tried + ${#inputs[@]}))
    timed "$MITOSIEVE" "$cmd" "${inputs[@]}" -o "$out" --threads "$THREADS" --quiet --overwrite
    report_fault "$name" "$cmd" "$out" "$faulty"
}
report_fault() {
    local name=$1 cmd=$2 out=$3 faulty=$4
    local cdir=$out named=no lost=0 kept=0 f
    [ "$cmd" = run ] && cdir=$out/counts
    if [ -z "$faulty" ]; then named=n/a; elif grep -qF "$faulty" "$OUT/stderr.log"; then named=yes; fi
    [ "$RC" != 0 ] || lost=$((lost + 1))          # the fault went unnoticed
    [ "$named" != no ] || lost=$((lost + 1))      # reported without naming the file
    local t i
    t=$(temps "$out")
    i=$(incomplete "$cdir")
    lost=$((lost + t + i))
    for f in "$cdir"/*.counts.tsv.gz; do
        [ -e "$f" ] || continue
        if cmp -s "$f" "$OUT/count/$(basename "$f")"; then
            kept=$((kept + 1))
        else
            lost=$((lost + 1))                    # a good clone's counts differ
        fi
    done
    if [ "$cmd" = run ] && [ -e "$out/calls.json" ]; then lost=$((lost + 1)); fi
    lost_total=$((lost_total + lost))
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$cmd" "$RC" "$named" "$t" "$i" "$kept" "$lost" >>"$faults"
}
run_fault "BAM cut mid-block, no EOF marker" count "$fdir/truncated.bam"
run_fault "corrupted BGZF block in the middle" count "$fdir/corrupt_block.bam"
run_fault "corrupted BGZF block in the middle" run "$fdir/corrupt_block.bam"
run_fault "missing file" count "$fdir/missing.bam"
run_fault "text file named .bam" count "$fdir/text.bam"

# SIGTERM half-way through counting.
out="$fdir/out_sigterm"
rm -rf "$out"
count_wall=$(awk -F'|' 'NR == 3 {gsub(/ /, "", $5); print $5}' "$load")
half=$(python3 -c "print(max(0.5, float('$count_wall') / 2))")
set +e
"$MITOSIEVE" count "${BAMS[@]}" -o "$out" --threads "$THREADS" --quiet --overwrite 2>"$OUT/stderr.log" &
pid=$!
sleep "$half"
kill -TERM "$pid"
wait "$pid"
RC=$?
set -e
faults_injected=$((faults_injected + 1))
tried=$((tried + ${#BAMS[@]}))
report_fault "SIGTERM after ${half} s" count "$out" ""
# A signal is expected to fail the run: exit 143.
[ "$RC" = 143 ] || { echo "load.sh: SIGTERM gave exit $RC, expected 143" >&2; lost_total=$((lost_total + 1)); }

{
    echo
    echo "Load: $CLONES clones at ${DEPTH}x, $THREADS threads ($(nproc) cores)."
    echo
    cat "$load"
    echo
    echo "Faults: inputs tried $tried, faults injected $faults_injected, results lost $lost_total (must be 0)."
    echo
    cat "$faults"
} | tee "$OUT/load-report.md"
[ "$lost_total" = 0 ]
