#!/usr/bin/env bash
# Where `mitosieve count` spends its time, on one thread: instructions counted by
# valgrind's callgrind (repeatable whatever else the machine does) and one-thread wall
# time against `samtools view -c` (inflating and parsing only, the floor). Not part of
# `cargo test` or CI; the README's "How the time divides" figures come from it.
#
#     bash benches/compare.sh      # first: it simulates the BAMs into bench-out/
#     bash benches/profile.sh      # BAM=... to profile another file
#
# Prints: total instructions and the shares (inclusive instruction counts of the
# functions named) of inflating and CRC32 (libdeflate), reading records, counting
# (everything a counter does per record but reading its fields: the walk, mate
# reconciliation, filters, deletion evidence, bookkeeping; UnitState::process, or
# Worker::feed less the record reading where the compiler inlined process),
# reconciling overlapping mates, the walk with its exceptions, the read filters, deletion
# evidence, and writing the counts file; counting instructions per aligned base; and the
# one-thread time ratio to `samtools view -c` (hyperfine, RUNS runs, default 3).
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
callgrind_annotate --inclusive=yes --auto=no --threshold=100 "$OUT/callgrind.out" >"$OUT/annotate.txt" 2>/dev/null
BASES=$(samtools stats "$BAM" | awk -F'\t' '$2 == "bases mapped (cigar):" {print $3}')
awk -v bases="$BASES" '
    function grab(re, key) { if ($0 ~ re && !(key in v)) { n = $1; gsub(",", "", n); v[key] = n } }
    /PROGRAM TOTALS/ { gsub(",", "", $1); total = $1 }
    /^ *[0-9,]+ / {
        grab("libdeflate_deflate_decompress \\[", "inflate")
        grab("libdeflate_crc32 \\[", "crc")
        grab("bgzf::parse \\[", "decode")
        grab("Worker::feed \\[", "feed")
        grab("UnitState::process \\[", "process")
        grab("UnitState::route \\[", "route")
        grab("overlap::commit_pair \\[", "pair")
        grab("overlap::reconcile_counted \\[", "taken")
        grab("UnitState::counted_mate \\[", "kept")
        grab("UnitState::expire \\[", "expire")
        grab("walker::walk_avx2 \\[", "walk")
        grab("walker::walk \\[", "walk")
        grab("ReadFilter::check \\[", "filter")
        grab("JunctionEvidence::observe(_record)? \\[", "evidence")
        grab("count::file::write \\[", "write")
    }
    function pc(x) { return sprintf("%.1f%%", 100 * x / total) }
    END {
        printf "| instructions (one thread, inclusive) | share |\n|---|---|\n"
        printf "| total | %.2f G |\n", total / 1e9
        printf "| inflating the BGZF blocks and their CRC32 (libdeflate) | %s |\n", pc(v["inflate"] + v["crc"])
        count = ("process" in v) ? v["process"] : v["feed"] - v["decode"]
        printf "| reading the records in place (their fields and bam_read1 checks; nothing copied) | %s |\n", pc(v["decode"])
        printf "| counting (walk, mates, filters, evidence, bookkeeping; %.1f per aligned base) | %s |\n", count / bases, pc(count)
        printf "| - of it, reconciling overlapping mates | %s |\n", pc(v["route"] + v["pair"] + v["expire"] + v["taken"] + v["kept"])
        printf "| - of it, the CIGAR walk and bulk counting, exceptions included (mismatches, low quality; inlined, not separable) | %s |\n", pc(v["walk"])
        printf "| - of it, the read filters | %s |\n", pc(v["filter"])
        printf "| - of it, deletion evidence past the per-read check (clipped reads, SA, discordant pairs) | %s |\n", pc(v["evidence"])
        printf "| writing the counts file | %s |\n", pc(v["write"])
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
