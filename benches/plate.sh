#!/usr/bin/env bash
# Plate-scale run: wall time and peak memory of `mitosieve run` on 24, 48 and 96
# clones, and of `mitosieve call` on the 96 counts files (the gather step of a
# cluster workflow).
#
#     bash benches/plate.sh                        # defaults below
#     SIZES="24 48 96 192" THREADS=8 bash benches/plate.sh
#
# Simulates the largest plate once with `mitosieve simulate` (clones at 1,000-3,000x,
# 2x150, binned qualities; two donors; m.3243A>G, m.8344A>G, m.11778G>A and the
# common deletion at clone-specific levels), then runs each step under
# `/usr/bin/time -v` on the first N clones for every N in SIZES. Memory should grow
# with the clone count only by the counts every clone needs in memory for joint
# calling (about 2.7 MB per clone); the table shows peak RSS per clone added.
# Writes $OUT/plate.md (OUT defaults to bench-out/plate) and prints it.
# Settings: MITOSIEVE (binary; default: build it), SIZES ("24 48 96"), THREADS (0:
# every core), SEED (11), OUT. Needs GNU time (/usr/bin/time; Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"24 48 96"}
THREADS=${THREADS:-0}
SEED=${SEED:-11}
OUT=${OUT:-bench-out/plate}
if [ ! -x /usr/bin/time ]; then
    echo "plate.sh: needs GNU time at /usr/bin/time (apt-get install time)" >&2
    exit 1
fi
mkdir -p "$OUT"
if [ -z "${MITOSIEVE:-}" ]; then
    cargo build --release --quiet
    MITOSIEVE=target/release/mitosieve
fi
MAX=$(echo $SIZES | tr ' ' '\n' | sort -n | tail -1)

# timed NAME command...: runs it under GNU time; sets WALL (s) and RSS (MB).
timed() {
    local name=$1
    shift
    /usr/bin/time -v -o "$OUT/$name.time" "$@" >"$OUT/$name.stdout" 2>"$OUT/$name.stderr"
    WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.2f", s}' "$OUT/$name.time")
    RSS=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$OUT/$name.time")
}

# The plate: clone i at a depth between 1,000x and 3,000x; every 12th clone from
# another donor (a swap); pathogenic variants and the common deletion on some.
spec="$OUT/plate.toml"
{
    echo "seed = $SEED"
    echo "[donors]"
    echo 'A = ["263A>G", "750A>G", "1438A>G", "3010G>A", "4769A>G", "8860A>G", "15326A>G", "16519T>C"]'
    echo 'B = ["73A>G", "263A>G", "295C>T", "462C>T", "750A>G", "1438A>G", "4216T>C", "4769A>G", "8860A>G", "10398A>G", "15326A>G", "16069C>T"]'
    for i in $(seq 1 "$MAX"); do
        printf '[[clones]]\nname = "c%03d"\n' "$i"
        printf 'donor = "%s"\n' "$([ $((i % 12)) -eq 0 ] && echo B || echo A)"
        printf 'depth = %d\n' $((1000 + (i * 397) % 2001))
        echo 'quality = { bins = [2, 12, 23, 37] }'
        haps=()
        [ $((i % 4)) -eq 1 ] && haps+=("{ fraction = 0.$(printf '%03d' $((i % 40 * 5 + 5))), snvs = [\"3243A>G\"] }")
        [ $((i % 6)) -eq 2 ] && haps+=("{ fraction = 0.$(printf '%03d' $((i % 30 * 3 + 10))), snvs = [\"8344A>G\"] }")
        [ $((i % 9)) -eq 3 ] && haps+=("{ fraction = 0.$(printf '%03d' $((i % 20 * 7 + 20))), snvs = [\"11778G>A\"] }")
        [ $((i % 10)) -eq 4 ] && haps+=("{ fraction = 0.$(printf '%03d' $((i % 25 * 4 + 10))), deletion = { start = 8470, end = 13446 } }")
        if [ ${#haps[@]} -gt 0 ]; then
            (IFS=,; echo "haplotypes = [${haps[*]}]")
        fi
    done
} >"$spec"
if [ ! -f "$OUT/sim/.done" ] || ! cmp -s "$spec" "$OUT/sim/.spec"; then
    rm -rf "$OUT/sim"
    timed simulate "$MITOSIEVE" simulate --spec "$spec" -o "$OUT/sim" --threads "$THREADS" --quiet --overwrite
    SIM="simulating the $MAX clones took $WALL s"
    cp "$spec" "$OUT/sim/.spec"
    touch "$OUT/sim/.done"
else
    SIM="simulated plate reused from $OUT/sim"
fi
mapfile -t BAMS < <(ls "$OUT"/sim/c*.bam | sort)
BAM_MB=$(du -cm "${BAMS[@]}" | tail -1 | cut -f1)
cat "${BAMS[@]}" >/dev/null # warm the page cache: time mitosieve, not the disk

rows=()
prev_n=""
prev_rss=""
for n in $SIZES; do
    rm -rf "$OUT/run_$n"
    timed "run_$n" "$MITOSIEVE" run "${BAMS[@]:0:$n}" -o "$OUT/run_$n" --threads "$THREADS" --quiet --overwrite
    run_wall=$WALL run_rss=$RSS
    per=""
    [ -n "$prev_n" ] && per=$(awk -v a="$prev_rss" -v b="$run_rss" -v m="$prev_n" -v n="$n" 'BEGIN {printf "%.2f", (b - a) / (n - m)}')
    prev_n=$n prev_rss=$run_rss
    rows+=("| $n | $run_wall | $run_rss | ${per:-–} | $(tail -n +2 "$OUT/run_$n/selection.tsv" | cut -f2 | sort | uniq -c | awk '{printf "%s%s %s", s, $1, $2; s=", "}') |")
done
# The gather step alone, on the counts files of the largest run.
rm -rf "$OUT/call_$MAX"
timed "call_$MAX" "$MITOSIEVE" call "$OUT/run_$MAX"/counts/*.counts.tsv.gz -o "$OUT/call_$MAX" --threads "$THREADS" --quiet --overwrite
call_wall=$WALL call_rss=$RSS
rm -rf "$OUT/select_$MAX"
timed "select_$MAX" "$MITOSIEVE" select "$OUT/call_$MAX" -o "$OUT/select_$MAX" --quiet --overwrite
select_wall=$WALL select_rss=$RSS
same=$(cmp -s "$OUT/call_$MAX/calls.tsv" "$OUT/run_$MAX/calls.tsv" && cmp -s "$OUT/select_$MAX/selection.tsv" "$OUT/run_$MAX/selection.tsv" && echo "identical to" || echo "DIFFERENT from")
# One clone counted alone: the per-job memory of the scatter step.
rm -rf "$OUT/count_1"
timed count_1 "$MITOSIEVE" count "${BAMS[0]}" -o "$OUT/count_1" --threads "$THREADS" --quiet --overwrite
count_wall=$WALL count_rss=$RSS

{
    echo "# Plate-scale run"
    echo
    echo "\`bash benches/plate.sh\` (SIZES=\"$SIZES\", THREADS=$THREADS, SEED=$SEED) on $(date -u +%Y-%m-%d), $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), mitosieve $("$MITOSIEVE" --version | awk '{print $2}'); $SIM; BAMs of the $MAX clones: $BAM_MB MB; page cache warm."
    echo
    echo "| clones | \`mitosieve run\` wall (s) | peak RSS (MB) | RSS per added clone (MB) | verdicts |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "| step on $MAX clones | wall (s) | peak RSS (MB) |"
    echo "|---|---|---|"
    echo "| \`mitosieve call\` on the $MAX counts files | $call_wall | $call_rss |"
    echo "| \`mitosieve select\` | $select_wall | $select_rss |"
    echo "| \`mitosieve count\` of one clone (one scatter job) | $count_wall | $count_rss |"
    echo
    echo "calls.tsv and selection.tsv of call + select are $same those of \`run\` on the $MAX clones."
} >"$OUT/plate.md"
cat "$OUT/plate.md"
