#!/usr/bin/env bash
# Run every fuzz target (fuzz/, cargo-fuzz + libFuzzer) for a bounded time. Not part of
# `cargo test` or CI: a check to run by hand or on a schedule.
#
#     bash benches/fuzz.sh                                   # 60 s per target
#     SECONDS_PER_TARGET=300 TARGETS="walker policy" bash benches/fuzz.sh
#
# Targets (see src/fuzzing.rs for what each input means):
#   walker       the CIGAR walker on raw, inconsistent BAM fields (pos, CIGAR, seq, qual)
#   records      records built through rust-htslib, counted as one clone (filters, mates,
#                deletion evidence)
#   counts_file  the counts-file reader on arbitrary bytes (plain or gzip)
#   policy       the selection policy parser (TOML), with a round trip of what it accepts
#   bam_stream   the BAM record decoder of the BGZF reader on inflated bytes, cut anywhere
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain
# (`rustup toolchain install nightly`); without one, NIGHTLY=0 uses the stable compiler
# with RUSTC_BOOTSTRAP=1 (it accepts the nightly-only sanitizer flags). Builds with
# AddressSanitizer and debug assertions (overflow checks).
#
# Seeds: tests/fuzz-cases/<target>/ (also the regression cases), plus a counts file of
# the bundled plate and the demo policy. A crash is left in fuzz/artifacts/<target>/:
# copy it into tests/fuzz-cases/<target>/ under a name that says what it found, fix it,
# and `cargo test --test fuzz_regressions` keeps it fixed. Exits 1 if any target crashed.
# Prints a table: target, seconds, runs, corpus entries, crashes.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${SECONDS_PER_TARGET:-60}
TARGETS=${TARGETS:-"walker records counts_file policy bam_stream"}
RSS_MB=${RSS_MB:-2048}

command -v cargo-fuzz >/dev/null || {
    echo "fuzz.sh: cargo-fuzz is not installed (cargo install cargo-fuzz)" >&2
    exit 2
}
if [ "${NIGHTLY:-1}" = 1 ] && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    TC=(+nightly)
else
    TC=()
    export RUSTC_BOOTSTRAP=1
fi
FUZZ=(cargo "${TC[@]}" fuzz)

"${FUZZ[@]}" build -O -a >/dev/null

# Seeds.
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
cargo build --release --quiet
target/release/mitosieve count test-data/plate/clone01.bam -o "$seeds/counts" --quiet --overwrite
for t in $TARGETS; do
    mkdir -p "fuzz/corpus/$t"
    cp tests/fuzz-cases/"$t"/* "fuzz/corpus/$t/" 2>/dev/null || true
done
if [[ " $TARGETS " == *" counts_file "* ]]; then
    cp "$seeds"/counts/*.counts.tsv.gz fuzz/corpus/counts_file/seed-plate.counts.tsv.gz
    gzip -dc "$seeds"/counts/*.counts.tsv.gz >fuzz/corpus/counts_file/seed-plate.counts.tsv
fi
if [[ " $TARGETS " == *" policy "* ]]; then
    cp test-data/policy.toml fuzz/corpus/policy/seed-test-data-policy.toml
fi

printf '| target | seconds | runs | corpus | crashes |\n|---|---|---|---|---|\n' >"$seeds/table.md"
failed=0
for t in $TARGETS; do
    max_len=4096
    [ "$t" = counts_file ] && max_len=2000000
    log="fuzz/fuzz-$t.log"
    mkdir -p "fuzz/artifacts/$t"
    before=$(find "fuzz/artifacts/$t" -type f | wc -l)
    start=$(date +%s)
    if ! "${FUZZ[@]}" run -O -a "$t" -- -max_total_time="$SECS" -rss_limit_mb="$RSS_MB" \
        -max_len="$max_len" -timeout=20 -print_final_stats=1 >"$log" 2>&1; then
        failed=1
    fi
    end=$(date +%s)
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
    corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
    crashes=$(($(find "fuzz/artifacts/$t" -type f | wc -l) - before))
    printf '| %s | %s | %s | %s | %s |\n' "$t" $((end - start)) "${runs:-?}" "$corpus" "$crashes" >>"$seeds/table.md"
    if [ "$crashes" -gt 0 ]; then
        echo "fuzz.sh: $t crashed; see $log and fuzz/artifacts/$t/" >&2
    fi
done
cat "$seeds/table.md"
exit "$failed"
