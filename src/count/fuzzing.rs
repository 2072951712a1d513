//! Ways into the counting code for the fuzz targets in `fuzz/` (not part of the API:
//! hidden from the docs, may change at any time). Each checks the invariants the fast
//! path relies on and panics when one does not hold, which is what a fuzzer looks for.

use super::block::Block;
use super::counts::{Counts, IndelMap, SiteCounts, LOWQ};
use super::unit::{run_records, Grouper};
use super::walker::{walk, CollectSink, DirectSink, ReadView, RoutingSink};
use super::{merge, CountConfig};
use crate::filter::ReadTally;
use crate::input::{Format, InputInfo, NameSource};
use crate::reference::MT_LENGTH;
use rust_htslib::bam::Record;

/// Walk one read, given as raw BAM fields (zero-based `pos`, CIGAR as `len << 4 | op`,
/// 4-bit packed `seq`, `qual`), into the dense counter, the collecting sink and the
/// routing sink (kept interval `lo..=hi`); check that all three saw the same
/// observations inside the contig. Returns the number of observations.
pub fn walk_raw(
    pos: u32,
    rev: bool,
    cigar: &[u32],
    seq: &[u8],
    qual: &[u8],
    lo: u32,
    hi: u32,
) -> u64 {
    let r = ReadView {
        pos,
        rev,
        cigar,
        seq,
        qual,
    };
    let strand = usize::from(rev);
    let end = r.ref_end().min(MT_LENGTH);
    let mut ins_buf = Vec::new();

    let mut collect = CollectSink::default();
    walk(&r, MT_LENGTH, &mut collect, &mut ins_buf);
    for o in &collect.obs {
        assert!(o.pos >= pos && o.pos < end, "observation outside the read");
        assert!(o.allele <= 5);
    }
    for e in &collect.events {
        assert!(e.anchor >= pos && e.anchor < end, "event outside the read");
    }

    // The dense counter, sized as the counting units size it: once through the bulk
    // fast path (mate on this contig), once through the per-base path (mate on another
    // contig); both must give the same cells.
    let dense = |mate_other_contig: bool| {
        let mut block = Block::new(pos.min(MT_LENGTH));
        block.ensure(end);
        let mut indels = IndelMap::new();
        let mut sink = DirectSink {
            block: &mut block,
            indels: &mut indels,
            min_bq: 20,
            strand,
            mate_other_contig,
        };
        walk(&r, MT_LENGTH, &mut sink, &mut Vec::new());
        (block.to_sites(), indels)
    };
    let (slow, indels) = dense(true);
    let (fast, fast_indels) = dense(false);
    for (i, (a, b)) in slow.iter().zip(&fast).enumerate() {
        assert_eq!(
            (a.n, a.qsum),
            (b.n, b.qsum),
            "bulk fast path disagrees at row {i}"
        );
    }
    assert_eq!(indels, fast_indels);
    let cells = |sites: &[SiteCounts]| -> u64 {
        sites
            .iter()
            .map(|site| {
                site.n[strand][..6]
                    .iter()
                    .map(|&c| u64::from(c))
                    .sum::<u64>()
                    + u64::from(site.n[strand][LOWQ])
            })
            .sum()
    };
    let direct = cells(&slow);
    assert_eq!(direct, collect.obs.len() as u64, "dense counter disagrees");
    let events: u64 = indels.values().map(|c| u64::from(c[strand])).sum();
    assert!(events <= collect.events.len() as u64);

    // Routing: what is kept plus what is counted directly is everything.
    let mut block2 = Block::new(pos.min(MT_LENGTH));
    block2.ensure(end);
    let mut indels2 = IndelMap::new();
    let mut keep = CollectSink::default();
    {
        let mut sink = RoutingSink {
            direct: DirectSink {
                block: &mut block2,
                indels: &mut indels2,
                min_bq: 20,
                strand,
                mate_other_contig: false,
            },
            keep: &mut keep,
            lo,
            hi,
        };
        walk(&r, MT_LENGTH, &mut sink, &mut ins_buf);
    }
    assert!(keep.obs.iter().all(|o| lo <= o.pos && o.pos <= hi));
    assert_eq!(
        cells(&block2.to_sites()) + keep.obs.len() as u64,
        collect.obs.len() as u64,
        "routing lost or doubled observations"
    );
    collect.obs.len() as u64
}

/// Count `records` as the reads of one clone, as `count` would read them from a BAM
/// whose mitochondrial contig (`chrM`, 16,569 bp) has target id 0: filters, fragment
/// reconciliation of overlapping mates, deletion evidence. Records are taken in the
/// order given; out-of-order ones are skipped (`count` refuses such a file).
pub fn count_records(records: &[Record]) -> (Counts, ReadTally) {
    let info = InputInfo {
        path: "fuzz.bam".into(),
        format: Format::Bam,
        indexed: false,
        tid: 0,
        contig: "chrM".into(),
        read_groups: Vec::new(),
        clone_name: "fuzz".into(),
        name_source: NameSource::FileName,
        warnings: Vec::new(),
        reference: None,
    };
    let config = CountConfig::default();
    let grouper = Grouper::new(&info, None, None);
    let out = run_records(&info, &config, &grouper, records);
    let merged = merge(vec![out], config.filter.min_base_quality);
    let mut groups = merged.groups;
    assert!(groups.len() <= 1, "one clone");
    let (counts, tally) = groups
        .pop()
        .map(|(_, ct)| ct)
        .unwrap_or_else(|| (Counts::new(), ReadTally::default()));
    assert_eq!(tally.used + tally.dropped_total(), tally.seen);
    (counts, tally)
}
