#!/usr/bin/env bash
# Thread scaling of `mitosieve count` and `mitosieve run` over a plate of clones.
#
#     bash benches/scaling.sh                  # defaults below
#     CLONES=32 DEPTH=3000 THREADS="1 2 4 8 16" bash benches/scaling.sh
#
# Simulates CLONES clones at DEPTH (2x150) with `mitosieve simulate`, then times, for
# each thread count, `mitosieve count` and `mitosieve run` over all of them, and
# `mitosieve count` on one clone at HIGH depth (one input is read by two threads, so
# it does not scale further). Checks that every run's counts files are identical
# (the output must not depend on the thread count). Writes a markdown table to
# $OUT/scaling.md (OUT defaults to bench-out/scaling) and prints it.
# Settings: MITOSIEVE (binary; default: build it), CLONES (32), DEPTH (3000),
# HIGH (30000), THREADS ("1 2 4 8 16"), OUT. Needs python3 (for timing and peak RSS).
set -euo pipefail
cd "$(dirname "$0")/.."
CLONES=${CLONES:-32}
DEPTH=${DEPTH:-3000}
HIGH=${HIGH:-30000}
THREADS=${THREADS:-"1 2 4 8 16"}
OUT=${OUT:-bench-out/scaling}
mkdir -p "$OUT"
if [ -z "${MITOSIEVE:-}" ]; then
    cargo build --release --quiet
    MITOSIEVE=target/release/mitosieve
fi
MAXT=$(echo $THREADS | tr ' ' '\n' | sort -n | tail -1)

secs() { # command... -> wall seconds; peak RSS (MB) goes to $OUT/rss.txt
    python3 - "$OUT/rss.txt" "$OUT/stderr.txt" "$@" <<'PY'
import resource, subprocess, sys, time
rss_file, err_file, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.perf_counter()
with open(err_file, "w") as err:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=err)
wall = time.perf_counter() - t
open(rss_file, "w").write("%.0f" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
print("%.2f" % wall)
PY
}
rss() { cat "$OUT/rss.txt"; }

spec="$OUT/plate.toml"
{
    echo "seed = 7"
    echo "[donors]"
    echo 'A = ["263A>G", "750A>G", "1438A>G", "4769A>G", "8860A>G", "15326A>G"]'
    for i in $(seq 1 "$CLONES"); do
        printf '[[clones]]\nname = "c%03d"\ndonor = "A"\ndepth = %d\n' "$i" "$DEPTH"
        # Every fourth clone carries m.3243A>G at a clone-specific level.
        if [ $((i % 4)) -eq 0 ]; then
            printf 'haplotypes = [{ fraction = 0.%02d, snvs = ["3243A>G"] }]\n' $((i % 50 + 1))
        fi
    done
} >"$spec"
SIM=$(secs "$MITOSIEVE" simulate --spec "$spec" -o "$OUT/plate" --threads "$MAXT" --quiet --overwrite)
printf 'seed = 1\n[[clones]]\nname = "deep"\ndepth = %d\n' "$HIGH" >"$OUT/deep.toml"
"$MITOSIEVE" simulate --spec "$OUT/deep.toml" -o "$OUT/deep" --threads "$MAXT" --quiet --overwrite
cat "$OUT"/plate/*.bam "$OUT"/deep/*.bam >/dev/null

rows=()
ref=""
for t in $THREADS; do
    c=$(secs "$MITOSIEVE" count "$OUT"/plate/*.bam -o "$OUT/count_t$t" --threads "$t" --quiet --overwrite); rc=$(rss)
    r=$(secs "$MITOSIEVE" run "$OUT"/plate/*.bam -o "$OUT/run_t$t" --threads "$t" --quiet --overwrite); rr=$(rss)
    d=$(secs "$MITOSIEVE" count "$OUT"/deep/deep.bam -o "$OUT/deep_t$t" --threads "$t" --quiet --overwrite); rd=$(rss)
    sum=$(cd "$OUT/count_t$t" && cat ./*.counts.tsv.gz | md5sum | cut -c1-12)
    [ -z "$ref" ] && ref=$sum
    same=$([ "$sum" = "$ref" ] && echo "identical" || echo "DIFFERENT")
    rows+=("| $t | $c | $rc | $r | $rr | $d | $rd | $same |")
done
{
    echo "# Thread scaling"
    echo
    echo "\`bash benches/scaling.sh\` (CLONES=$CLONES, DEPTH=$DEPTH, HIGH=$HIGH) on $(date -u +%Y-%m-%d), $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), mitosieve $("$MITOSIEVE" --version | awk '{print $2}')."
    echo "Simulating the $CLONES clones took $SIM s."
    echo
    echo "| threads | count $CLONES × ${DEPTH}x (s) | peak RSS (MB) | run $CLONES × ${DEPTH}x (s) | peak RSS (MB) | count 1 × ${HIGH}x (s) | peak RSS (MB) | counts files vs 1 thread |"
    echo "|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} >"$OUT/scaling.md"
cat "$OUT/scaling.md"
