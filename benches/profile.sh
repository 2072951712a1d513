#!/usr/bin/env bash
# Where `mitosieve count` spends its time, on one thread: instructions counted by
# valgrind's callgrind (repeatable whatever else the machine does) and one-thread wall
# time against `samtools view -c` (inflating and parsing only, the floor). Not part of
# `cargo test` or CI; the README's "How the time divides" figures come from it.
#
#     bash benches/compare.sh      # first: it simulates the BAMs into bench-out/
#     bash benches/profile.sh      # BAM=... to profile another file
#
# Prints: total instructions, the shares of inflating (libdeflate), the CIGAR walk,
# compressing the counts file (zlib-rs), instructions per aligned base in the walk, and
# the one-thread time ratio to `samtools view -c` (hyperfine, RUNS runs, default 3).
# Needs valgrind, samtools and hyperfine (apt-get install valgrind samtools hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."
BAM=${BAM:-bench-out/sim3000x/sim3000x.bam}
RUNS=${RUNS:-3}
OUT=bench-out/profile
mkdir -p "$OUT"
[ -s "$BAM" ] || { echo "profile.sh: $BAM not found; run benches/compare.sh first" >&2; exit 2; }
for t in valgrind callgrind_annotate samtools hyperfine; do
    command -v "$t" >/dev/null || { echo "profile.sh: $t not found" >&2; exit 2; }
done
if [ -z "${MITOSIEVE:-}" ]; then
    cargo build --release --quiet
    MITOSIEVE=target/release/mitosieve
fi

valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \
    "$MITOSIEVE" count --threads 1 --quiet --overwrite "$BAM" -o "$OUT/counts" 2>"$OUT/valgrind.log"
callgrind_annotate --inclusive=no --auto=no --threshold=100 "$OUT/callgrind.out" >"$OUT/annotate.txt" 2>/dev/null
BASES=$(samtools stats "$BAM" | awk -F'\t' '$2 == "bases mapped (cigar):" {print $3}')
awk -v bases="$BASES" '
    /PROGRAM TOTALS/ { gsub(",", "", $1); total = $1 }
    /^ *[0-9,]+ / {
        n = $1; gsub(",", "", n)
        if ($0 ~ /libdeflate|deflate_decompress/) inflate += n
        else if ($0 ~ /walker::walk|count_run|count_bulk|Bulk::/) walk += n
        else if ($0 ~ /zlib_rs|miniz_oxide/) compress += n
    }
    END {
        printf "| instructions (one thread) | share |\n|---|---|\n"
        printf "| total | %.2f G |\n", total / 1e9
        printf "| inflating the BGZF blocks (libdeflate) | %.0f%% |\n", 100 * inflate / total
        printf "| CIGAR walk into the counts | %.0f%% (%.1f per aligned base) |\n", 100 * walk / total, walk / bases
        printf "| compressing the counts file | %.0f%% |\n", 100 * compress / total
    }' "$OUT/annotate.txt"

hyperfine --runs "$RUNS" --style none -N --export-json "$OUT/one_thread.json" \
    "$MITOSIEVE count --threads 1 --quiet --overwrite $BAM -o $OUT/counts" \
    "samtools view -c $BAM" >/dev/null
python3 - "$OUT/one_thread.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print("\none thread: count %.2f s, samtools view -c %.2f s, ratio %.2fx"
      % (r[0]["mean"], r[1]["mean"], r[0]["mean"] / r[1]["mean"]))
PY
