#!/usr/bin/env bash
# Whole-command benchmark of `mitosieve count` against samtools and perbase
# (issue 2, "Benchmark (not a test)").
#
# Command (from the repository root; the numbers in the README were made with it):
#
#     bash benches/compare.sh
#
# What it does:
#   1. builds mitosieve (release);
#   2. simulates with `mitosieve simulate` one clone at 30,000x and one at 3,000x
#      (2x150, fragments 350 +- 50, unbinned Q30-40 qualities; one 10% m.3243A>G)
#      into bench-out/ (git-ignored; reused while the spec is unchanged: delete
#      bench-out/sim*x to regenerate);
#   3. runs ONE hyperfine comparison on the 30,000x BAM, all at THREADS threads:
#        mitosieve count --threads 2
#        samtools view -c -@2                       (the floor: decompress + parse)
#        samtools mpileup -B -d 0 -Q 20 -q 20 --ff UNMAP,SECONDARY,QCFAIL,DUP,SUPPLEMENTARY
#        perbase base-depth -t 2 -D <no cap> -q 20 -Q 20 -F 3844
#   4. measures the peak RSS of `mitosieve count` at 3,000x and 30,000x (/usr/bin/time -v);
#   5. writes bench-out/count_bench.md (the table, with ratios), prints it, and puts it
#      into README.md between <!-- count-bench:start --> and <!-- count-bench:end -->
#      (UPDATE_README=0 to skip).
#
# Needs: cargo, samtools, hyperfine (`apt-get install hyperfine`), GNU time
# (`apt-get install time`); perbase is installed with `cargo install perbase --locked`
# into bench-out/cargo if it is not on PATH (that needs cmake: `apt-get install cmake`).
# Settings (environment): RUNS (hyperfine runs per command, default 3), THREADS (2),
# HIGH (30000), LOW (3000); MITOSIEVE, PERBASE, GNU_TIME: use these binaries instead of
# building mitosieve / finding perbase / /usr/bin/time (e.g. on a machine without cargo).
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=bench-out
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
HIGH=${HIGH:-30000}
LOW=${LOW:-3000}
mkdir -p "$OUT"

need() {
    command -v "$1" >/dev/null 2>&1 || {
        echo "compare.sh: '$1' not found; install it with: $2" >&2
        exit 1
    }
}
need samtools "apt-get install samtools"
need hyperfine "apt-get install hyperfine"
GNU_TIME=${GNU_TIME:-/usr/bin/time}
[ -x "$GNU_TIME" ] || { echo "compare.sh: $GNU_TIME not found; apt-get install time" >&2; exit 1; }

if [ -z "${MITOSIEVE:-}" ]; then
    need cargo "https://rustup.rs"
    echo "== building mitosieve (release)" >&2
    cargo build --release --quiet
    MITOSIEVE="${CARGO_TARGET_DIR:-target}/release/mitosieve"
fi

if [ -z "${PERBASE:-}" ]; then
    if command -v perbase >/dev/null 2>&1; then
        PERBASE=$(command -v perbase)
    else
        PERBASE="$OUT/cargo/bin/perbase"
        if [ ! -x "$PERBASE" ]; then
            need cargo "https://rustup.rs"
            need cmake "apt-get install cmake   (perbase's zlib-ng is built with cmake)"
            echo "== installing perbase into $OUT/cargo" >&2
            cargo install perbase --locked --root "$OUT/cargo"
        fi
    fi
fi

# --- inputs -----------------------------------------------------------------
simulate() { # depth -> path of the BAM
    local depth=$1 name="sim${1}x" dir="$OUT/sim${1}x"
    local spec="$OUT/sim${depth}x.toml"
    cat >"$spec.new" <<EOF
# Made by benches/compare.sh
seed = 1
[[clones]]
name = "$name"
depth = $depth
read_length = 150
fragment_mean = 350
fragment_sd = 50
haplotypes = [{ fraction = 0.10, snvs = ["3243A>G"] }]
EOF
    if [ -s "$dir/$name.bam.bai" ] && cmp -s "$spec" "$spec.new"; then
        rm "$spec.new"
    else
        mv "$spec.new" "$spec"
        echo "== simulating ${depth}x" >&2
        "$GNU_TIME" -v -o "$OUT/simulate_${depth}x.time" \
            "$MITOSIEVE" simulate --spec "$spec" -o "$dir" --threads "$THREADS" >&2
    fi
    echo "$dir/$name.bam"
}
BAM_HIGH=$(simulate "$HIGH")
BAM_LOW=$(simulate "$LOW")

# Page cache warm for everyone.
cat "$BAM_HIGH" "$BAM_HIGH.bai" >/dev/null

# --- timing -------------------------------------------------------------------
CMD_MITO="$MITOSIEVE count --threads $THREADS --quiet $BAM_HIGH -o $OUT/count_${HIGH}x"
CMD_MITO_NODEL="$MITOSIEVE count --threads $THREADS --quiet --no-deletion-evidence $BAM_HIGH -o $OUT/count_${HIGH}x_nodel"
CMD_VIEW="samtools view -c -@$THREADS $BAM_HIGH"
CMD_MPILEUP="samtools mpileup -B -d 0 -Q 20 -q 20 --ff UNMAP,SECONDARY,QCFAIL,DUP,SUPPLEMENTARY -r chrM -o /dev/null $BAM_HIGH"
CMD_PERBASE="$PERBASE base-depth -t $THREADS -D 100000000 -q 20 -Q 20 -F 3844 -o /dev/null $BAM_HIGH"

echo "== hyperfine, ${HIGH}x, $RUNS runs per command" >&2
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
hyperfine --runs "$RUNS" --style basic \
    --export-csv "$OUT/hyperfine_${HIGH}x.csv" \
    --export-json "$OUT/hyperfine_${HIGH}x.json" \
    -n "mitosieve count --threads $THREADS" "$CMD_MITO" \
    -n "mitosieve count --threads $THREADS --no-deletion-evidence" "$CMD_MITO_NODEL" \
    -n "samtools view -c -@$THREADS" "$CMD_VIEW" \
    -n "samtools mpileup -B -d 0 -Q 20 -q 20 --ff ...SUPPLEMENTARY" "$CMD_MPILEUP" \
    -n "perbase base-depth -t $THREADS -q 20 -Q 20 -F 3844" "$CMD_PERBASE" >&2

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- memory -------------------------------------------------------------------
peak_rss_mb() { # command... -> peak RSS in MB
    "$GNU_TIME" -v -o "$OUT/rss.time" "$@" >/dev/null
    awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$OUT/rss.time"
}
echo "== peak RSS" >&2
RSS_LOW=$(peak_rss_mb "$MITOSIEVE" count --threads "$THREADS" --quiet "$BAM_LOW" -o "$OUT/count_${LOW}x")
RSS_HIGH=$(peak_rss_mb "$MITOSIEVE" count --threads "$THREADS" --quiet "$BAM_HIGH" -o "$OUT/count_${HIGH}x")
RSS_VIEW=$(peak_rss_mb samtools view -c -@"$THREADS" "$BAM_HIGH")

# --- report -------------------------------------------------------------------
READS=$(samtools view -c -@"$THREADS" "$BAM_HIGH")
SIZE_MB=$(awk -v b="$(stat -c %s "$BAM_HIGH")" 'BEGIN {printf "%.0f", b / 1048576}')
DEPTH=$(samtools depth -a -Q 0 -q 0 -@"$THREADS" "$BAM_HIGH" | awk '{s += $3} END {printf "%.0f", s / NR}')
gen_line() { # depth -> "X s wall, Y MB peak RSS" of the simulation, if it ran here
    local f="$OUT/simulate_${1}x.time"
    [ -s "$f" ] || { echo "(not regenerated in this run)"; return; }
    awk -F': ' '/Elapsed \(wall clock\)/ {w = $2} /Maximum resident set size/ {r = $2 / 1024}
        END {printf "%s wall (h:mm:ss or m:ss), %.0f MB peak RSS", w, r}' "$f"
}

{
    echo "# \`mitosieve count\` benchmark"
    echo
    echo "Made by \`bash benches/compare.sh\` (RUNS=$RUNS, THREADS=$THREADS) on $(date -u +%Y-%m-%d):"
    echo "$(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), mitosieve $("$MITOSIEVE" --version | awk '{print $2}'),"
    echo "$(samtools --version | head -1), $("$PERBASE" --version 2>/dev/null | head -1), $(hyperfine --version)."
    echo "Load average (1, 5, 15 min) before the timings: $LOAD_BEFORE; after: $LOAD_AFTER"
    echo "(other work on the machine makes the times noisier; compare the sd columns)."
    echo
    echo "Input: \`$BAM_HIGH\`, simulated by \`mitosieve simulate\` (2x150, fragments 350 ± 50):"
    echo "$READS records, $SIZE_MB MB, mean depth ${DEPTH}x (\`samtools depth -a\`)."
    echo "Simulation at ${HIGH}x: $(gen_line "$HIGH"); at ${LOW}x: $(gen_line "$LOW")."
    echo
    echo "| command (all at $THREADS threads) | mean ± sd (s) | time / \`samtools view -c\` | mitosieve is faster by |"
    echo "|---|---|---|---|"
    awk -F, 'NR > 1 {
        gsub(/"/, "", $1); name[NR] = $1; mean[NR] = $2; sd[NR] = $3
        if ($1 ~ /^samtools view/) base = $2
        if ($1 ~ /^mitosieve count --threads [0-9]+$/) mito = $2
        n = NR
    } END {
        for (i = 2; i <= n; i++)
            printf "| `%s` | %.3f ± %.3f | %.2fx | %s |\n", name[i], mean[i], sd[i], mean[i] / base,
                (name[i] ~ /^mitosieve/) ? "—" : sprintf("%.2fx", mean[i] / mito)
    }' "$OUT/hyperfine_${HIGH}x.csv"
    echo
    echo "Targets (issue 2), at $THREADS threads:"
    awk -F, 'NR > 1 {
        gsub(/"/, "", $1)
        if ($1 ~ /^mitosieve count --threads [0-9]+$/) m = $2
        if ($1 ~ /no-deletion-evidence/) nd = $2
        if ($1 ~ /^samtools view/) v = $2
        if ($1 ~ /^samtools mpileup/) p = $2
        if ($1 ~ /^perbase/) b = $2
    } END {
        printf "- within 1.3x of `samtools view -c`: %.2fx → %s\n", m / v, (m / v <= 1.3) ? "met" : "NOT met"
        printf "- ≥ 50x faster than samtools mpileup: %.1fx → %s\n", p / m, (p / m >= 50) ? "met" : "NOT met"
        printf "- ≥ 30x faster than perbase base-depth: %.1fx → %s\n", b / m, (b / m >= 30) ? "met" : "NOT met"
        printf "- deletion evidence costs at most 10%% (issue 5): %+.1f%% → %s\n", (m / nd - 1) * 100, (m / nd <= 1.10) ? "met" : "NOT met"
    }' "$OUT/hyperfine_${HIGH}x.csv"
    echo
    echo "| peak RSS (\`/usr/bin/time -v\`) | ${LOW}x | ${HIGH}x |"
    echo "|---|---|---|"
    echo "| \`mitosieve count --threads $THREADS\` | $RSS_LOW MB | $RSS_HIGH MB |"
    echo "| \`samtools view -c -@$THREADS\` | | $RSS_VIEW MB |"
    echo
    awk -v l="$RSS_LOW" -v h="$RSS_HIGH" 'BEGIN {
        printf "Target: peak RSS < 100 MB and flat from %s to %s: %.1f → %.1f MB (x%.2f) → %s\n",
            "'"${LOW}x"'", "'"${HIGH}x"'", l, h, h / l, (h < 100 && h / l < 1.25) ? "met" : "NOT met"
    }'
    echo
    echo "Commands timed:"
    echo
    echo '```'
    echo "$CMD_MITO"
    echo "$CMD_MITO_NODEL"
    echo "$CMD_VIEW"
    echo "$CMD_MPILEUP"
    echo "$CMD_PERBASE"
    echo '```'
} >"$OUT/count_bench.md"

cat "$OUT/count_bench.md"

# --- README -------------------------------------------------------------------
# Replace the table between the markers in README.md with this run's (keep the markers).
if [ "${UPDATE_README:-1}" = 1 ] && grep -q '<!-- count-bench:start -->' README.md; then
    python3 - "$OUT/count_bench.md" <<'PY'
import sys, re
table = open(sys.argv[1]).read().split("\n", 2)[2].strip()  # drop the title line
readme = open("README.md").read()
new = re.sub(r"(<!-- count-bench:start -->\n).*?(\n<!-- count-bench:end -->)",
             lambda m: m.group(1) + table + m.group(2), readme, flags=re.S)
open("README.md", "w").write(new)
PY
    echo "== README.md updated" >&2
fi
