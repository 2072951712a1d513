//! `mitosieve count` on bad input and bad environments: the exit code (1 runtime error,
//! 2 usage error), an error message that names the file and the problem, and no partial
//! result in the output directory (no counts file or summary of a failed clone, no
//! `.mitosieve-tmp.*` file).
//!
//! The tests run as root in CI, where permission bits do not stop writes; an unwritable
//! output directory is therefore made as a path *below a regular file* (no one can
//! create a directory there) or under `/proc`.

mod common;

use common::*;
use rust_htslib::bam;
use rust_htslib::bam::record::{Cigar, CigarString};
use std::path::{Path, PathBuf};
use std::process::Output;

const GOOD: &str = "
@HD VN:1.6 SO:coordinate
@SQ SN:chrM LN:16569
@RG ID:g SM:good
// Two ordinary reads.
a 0  chrM 100 60 40M * 0 0 ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII
b 16 chrM 200 60 40M * 0 0 ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII
";

/// Run `count` into `<tmp>/<tag>` and check a failure: exit code, every `needle` in
/// stderr, and nothing left behind in the output directory.
fn expect_failure(
    tmp: &Path,
    tag: &str,
    inputs: &[&Path],
    extra: &[&str],
    code: i32,
    needles: &[&str],
) -> Output {
    let out = tmp.join(tag);
    let o = run_count(inputs, &out, extra);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(code),
        "{tag}: exit code; stderr:\n{err}"
    );
    for n in needles {
        assert!(err.contains(n), "{tag}: stderr lacks {n:?}:\n{err}");
    }
    assert_clean(&out, tag);
    o
}

/// No counts file, no summary and no temporary file in `dir` (which may not exist).
fn assert_clean(dir: &Path, tag: &str) {
    assert!(
        counts_files(dir).is_empty(),
        "{tag}: counts files left: {:?}",
        counts_files(dir)
    );
    assert!(temp_files(dir).is_empty(), "{tag}: temporary files left");
    if let Ok(rd) = std::fs::read_dir(dir) {
        let left: Vec<String> = rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            left.iter().all(|n| !n.ends_with(".json")),
            "{tag}: summaries left: {left:?}"
        );
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A sorted, indexed BAM of 4,000 random 100-bp reads over the whole genome: large
/// enough for many BGZF blocks.
fn big_bam(dir: &Path) -> PathBuf {
    let mut header = chrm_header();
    header.push_record(
        bam::header::HeaderRecord::new(b"RG")
            .push_tag(b"ID", "big")
            .push_tag(b"SM", "big"),
    );
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as u32
    };
    let mut records = Vec::new();
    for i in 0..4000u32 {
        let seq: Vec<u8> = (0..100).map(|_| b"ACGT"[(next() % 4) as usize]).collect();
        let qual: Vec<u8> = (0..100).map(|_| 2 + (next() % 39) as u8).collect();
        let mut r = bam::Record::new();
        r.set(
            format!("big{i}").as_bytes(),
            Some(&CigarString(vec![Cigar::Match(100)])),
            &seq,
            &qual,
        );
        r.set_tid(0);
        r.set_pos(i64::from(next() % 16_400));
        r.set_mapq(60);
        r.set_flags(0);
        r.set_mtid(-1);
        r.set_mpos(-1);
        records.push(r);
    }
    let p = dir.join("big.bam");
    write_bam(&p, &header, records, true, true);
    p
}

/// Start offsets of the BGZF blocks of a file.
fn bgzf_blocks(bytes: &[u8]) -> Vec<usize> {
    let mut v = Vec::new();
    let mut o = 0;
    while o + 18 <= bytes.len() {
        assert_eq!(&bytes[o..o + 4], &[0x1f, 0x8b, 8, 4], "BGZF block at {o}");
        v.push(o);
        o += usize::from(u16::from_le_bytes([bytes[o + 16], bytes[o + 17]])) + 1;
    }
    assert_eq!(o, bytes.len());
    v
}

#[test]
fn missing_file_and_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope.bam");
    expect_failure(
        tmp.path(),
        "missing",
        &[&missing],
        &[],
        1,
        &[path_str(&missing), "cannot open", "No such file"],
    );
    let dir = tmp.path().join("a_directory.bam");
    std::fs::create_dir(&dir).unwrap();
    expect_failure(
        tmp.path(),
        "dir",
        &[&dir],
        &[],
        1,
        &[path_str(&dir), "is a directory"],
    );
    // One good input and one missing: every input is checked before counting starts,
    // so not even the good clone is written.
    let good = sam_to_bam(tmp.path(), "good", GOOD);
    expect_failure(
        tmp.path(),
        "good_and_missing",
        &[&good, &missing],
        &[],
        1,
        &[path_str(&missing), "cannot open"],
    );
}

#[test]
fn text_and_fastq_passed_as_bam() {
    let tmp = tempfile::tempdir().unwrap();
    let text = tmp.path().join("notes.bam");
    std::fs::write(&text, "these are my notes\nnot an alignment\n").unwrap();
    expect_failure(
        tmp.path(),
        "text",
        &[&text],
        &[],
        1,
        &[path_str(&text), "not a BAM, CRAM or SAM file", "text"],
    );
    let fq = tmp.path().join("reads.bam");
    std::fs::write(
        &fq,
        "@read1\nACGTACGTAC\n+\nIIIIIIIIII\n@read2\nGGGGCCCCAA\n+\nIIIIIIIIII\n",
    )
    .unwrap();
    expect_failure(
        tmp.path(),
        "fastq",
        &[&fq],
        &[],
        1,
        &[path_str(&fq), "not a BAM, CRAM or SAM file", "FASTQ"],
    );
    let empty = tmp.path().join("empty.bam");
    std::fs::write(&empty, "").unwrap();
    expect_failure(
        tmp.path(),
        "empty",
        &[&empty],
        &[],
        1,
        &[path_str(&empty), "empty"],
    );
}

#[test]
fn truncated_and_corrupt_bams() {
    let tmp = tempfile::tempdir().unwrap();
    let big = big_bam(tmp.path());
    // The intact file counts.
    let ok = tmp.path().join("intact");
    assert_ok(&run_count(&[&big], &ok, &["--quiet"]), "intact");
    let bytes = std::fs::read(&big).unwrap();
    let blocks = bgzf_blocks(&bytes);
    assert!(blocks.len() > 8, "{} blocks", blocks.len());
    let k = blocks.len() / 2;

    // Cut at a block boundary: every block is whole, but the EOF marker is missing.
    let boundary = tmp.path().join("cut_at_block.bam");
    std::fs::write(&boundary, &bytes[..blocks[k]]).unwrap();
    expect_failure(
        tmp.path(),
        "boundary",
        &[&boundary],
        &[],
        1,
        &[path_str(&boundary), "truncated", "end-of-file marker"],
    );
    // Cut in the middle of a block.
    let mid = tmp.path().join("cut_mid_block.bam");
    std::fs::write(&mid, &bytes[..blocks[k] + 100]).unwrap();
    expect_failure(
        tmp.path(),
        "mid",
        &[&mid],
        &[],
        1,
        &[path_str(&mid), "truncated"],
    );
    // Cut in the middle of a block, then an EOF marker appended (a bad concatenation):
    // the EOF check passes, reading fails part-way, streamed (no index)...
    let mut damaged = bytes[..blocks[k] + 100].to_vec();
    damaged.extend_from_slice(&mitosieve::output::BGZF_EOF);
    let streamed = tmp.path().join("damaged.bam");
    std::fs::write(&streamed, &damaged).unwrap();
    expect_failure(
        tmp.path(),
        "damaged_streamed",
        &[&streamed],
        &["--quiet"],
        1,
        &[path_str(&streamed), "truncated or corrupt"],
    );
    // ...and through the original index, which points past the damage.
    let indexed = tmp.path().join("damaged_indexed.bam");
    std::fs::write(&indexed, &damaged).unwrap();
    std::fs::copy(
        tmp.path().join("big.bam.bai"),
        tmp.path().join("damaged_indexed.bam.bai"),
    )
    .unwrap();
    expect_failure(
        tmp.path(),
        "damaged_indexed",
        &[&indexed],
        &["--quiet", "--threads", "2"],
        1,
        &[path_str(&indexed)],
    );
    // A good clone next to a damaged one: the damaged clone leaves nothing behind.
    let out = tmp.path().join("good_and_damaged");
    let good = sam_to_bam(tmp.path(), "good", GOOD);
    let o = run_count(&[&good, &streamed], &out, &["--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains(path_str(&streamed)));
    assert!(!out.join("big.counts.tsv.gz").exists());
    assert!(!out.join("big.summary.json").exists());
    assert!(temp_files(&out).is_empty());
}

#[test]
fn record_whose_cigar_disagrees_with_its_sequence() {
    // An unmapped record (rust-htslib's `Record::new()` starts unmapped, and no flag is
    // set here) whose CIGAR disagrees with its sequence: dropped and counted under
    // `unmapped`, never silently, never as bases. A mapped one makes htslib refuse the
    // file (see `mapped_record_whose_cigar_disagrees_with_its_sequence`).
    let tmp = tempfile::tempdir().unwrap();
    let header = chrm_header();
    let mut r = bam::Record::new();
    r.set(
        b"bad",
        Some(&CigarString(vec![Cigar::Match(41)])),
        b"ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT",
        &[40; 40],
    );
    r.set_tid(0);
    r.set_pos(100);
    r.set_mapq(60);
    r.set_mtid(-1);
    r.set_mpos(-1);
    let p = tmp.path().join("badrecord.bam");
    write_bam(&p, &header, vec![r], false, false);
    let out = tmp.path().join("out");
    let o = run_count(&[&p], &out, &[]);
    assert_ok(&o, "bad record");
    assert!(stderr(&o).contains("no read of clone 'badrecord' passed the filters"));
    let s = summary_of(&out, "badrecord");
    assert_eq!(s["reads"]["seen"], 1);
    assert_eq!(s["reads"]["dropped"]["unmapped"], 1);
    assert_eq!(s["reads"]["used"], 0);
    let c = counts_of(&out, "badrecord");
    assert!(c
        .counts
        .sites()
        .iter()
        .all(|s| s.depth() == 0 && s.lowq() == 0));
}

#[test]
fn wrong_reference_contigs() {
    let tmp = tempfile::tempdir().unwrap();
    let no_mt = sam_to_bam(
        tmp.path(),
        "no_mt",
        "@SQ SN:chr1 LN:248956422
         @SQ SN:chr2 LN:242193529
         // A nuclear read; no mitochondrial contig in the header.
         r 0 chr1 1000 60 10M * 0 0 ACGTACGTAC IIIIIIIIII",
    );
    expect_failure(
        tmp.path(),
        "no_mt",
        &[&no_mt],
        &[],
        1,
        &[
            path_str(&no_mt),
            "no mitochondrial contig found",
            "chr1, chr2",
            "--contig",
        ],
    );
    // UCSC hg19 chrM (16,571 bp, the Yoruba sequence): refused, with the reason.
    let hg19 = sam_to_bam(
        tmp.path(),
        "hg19",
        "@SQ SN:chrM LN:16571
         // A read on hg19's chrM.
         r 0 chrM 1000 60 10M * 0 0 ACGTACGTAC IIIIIIIIII",
    );
    expect_failure(
        tmp.path(),
        "hg19",
        &[&hg19],
        &[],
        1,
        &[path_str(&hg19), "16,571", "hg19", "not rCRS", "Realign"],
    );
    // Naming it with --contig does not help.
    expect_failure(
        tmp.path(),
        "hg19_contig",
        &[&hg19],
        &["--contig", "chrM"],
        1,
        &[path_str(&hg19), "hg19"],
    );
    // A chrM of another length, and --contig naming a contig that is not there.
    let odd = sam_to_bam(tmp.path(), "odd", "@SQ SN:chrM LN:16000\n");
    expect_failure(
        tmp.path(),
        "odd_length",
        &[&odd],
        &[],
        1,
        &[path_str(&odd), "16000 bp"],
    );
    let good = sam_to_bam(tmp.path(), "good", GOOD);
    expect_failure(
        tmp.path(),
        "contig_absent",
        &[&good],
        &["--contig", "MT"],
        1,
        &[path_str(&good), "'MT' (from --contig)"],
    );
}

#[test]
fn real_hg19_bam_is_refused() {
    let Some(hg19) = data_file(
        "real_hg19_bam_is_refused",
        "mgatk_singlecell/scrna_hg19_percell/MGH60-P6-B01.mito.bam",
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    expect_failure(
        tmp.path(),
        "hg19_real",
        &[&hg19],
        &[],
        1,
        &[path_str(&hg19), "16,571", "hg19"],
    );
}

#[test]
fn cram_without_or_with_wrong_reference() {
    let Some([cram, hg19_fa]) = data_files(
        "cram_without_or_with_wrong_reference",
        &[
            "gatk_na12878/NA12878.chrM_1-1150.cram",
            "reference/hg19.chrM.fa",
        ],
    )
    .map(|v| <[_; 2]>::try_from(v).unwrap()) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    expect_failure(
        tmp.path(),
        "no_reference",
        &[&cram],
        &[],
        1,
        &[path_str(&cram), "CRAM input needs --reference"],
    );
    // hg19's chrM has the right name but another sequence.
    expect_failure(
        tmp.path(),
        "wrong_reference",
        &[&cram],
        &["--reference", path_str(&hg19_fa)],
        1,
        &[path_str(&cram), "different 'chrM'", "md5"],
    );
}

#[test]
fn unwritable_output_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let good = sam_to_bam(tmp.path(), "good", GOOD);
    let file = tmp.path().join("a_file");
    std::fs::write(&file, "x").unwrap();
    // As root, permission bits would not stop us: a directory *inside a regular file*
    // cannot be created by anyone.
    let below_file = file.join("out");
    let o = run_count(&[&good], &below_file, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(path_str(&below_file)), "{err}");
    assert!(err.contains("cannot create output directory"), "{err}");
    assert!(err.contains("Not a directory"), "{err}");
    // The output path is an existing regular file.
    let o = run_count(&[&good], &file, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("exists and is not a directory"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "x",
        "file untouched"
    );
    // /proc does not accept new directories, even from root.
    let proc_dir = Path::new("/proc/mitosieve-test-output");
    let o = run_count(&[&good], proc_dir, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("/proc/mitosieve-test-output"));
    assert!(!proc_dir.exists());
    // Nothing was written anywhere in the temp dir besides our own files.
    assert_clean(tmp.path(), "tmp");
}

#[test]
fn unsorted_bam_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let unsorted = sam_to_bam_with(
        tmp.path(),
        "unsorted",
        "@HD VN:1.6 SO:unsorted
         @SQ SN:chrM LN:16569
         // Out of order: 500 before 100 (cannot be indexed, so it is streamed).
         late  0 chrM 500 60 10M * 0 0 ACGTACGTAC IIIIIIIIII
         early 0 chrM 100 60 10M * 0 0 ACGTACGTAC IIIIIIIIII",
        false,
        false,
    );
    expect_failure(
        tmp.path(),
        "unsorted",
        &[&unsorted],
        &[],
        1,
        &[
            path_str(&unsorted),
            "not sorted by coordinate",
            "chrM:100",
            "chrM:500",
            "samtools sort",
        ],
    );
}

#[test]
fn bam_without_index_works_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let indexed = sam_to_bam(tmp.path(), "indexed", GOOD);
    let plain = sam_to_bam_with(tmp.path(), "plain", GOOD, true, false);
    assert!(!tmp.path().join("plain.bam.bai").exists());
    let out = tmp.path().join("plain_out");
    let o = run_count(&[&plain], &out, &["--threads", "2"]);
    assert_ok(&o, "no index");
    let err = stderr(&o);
    assert!(err.contains("no index found"), "{err}");
    assert!(err.contains(path_str(&plain)), "{err}");
    let a = counts_of(&out, "good");
    let out2 = tmp.path().join("indexed_out");
    assert_ok(&run_count(&[&indexed], &out2, &["--quiet"]), "indexed");
    let b = counts_of(&out2, "good");
    assert_counts_eq(&a.counts, &b.counts, "streamed vs indexed");
    assert_eq!(a.counts.sites()[99].depth(), 1, "position 100 counted");
    let s = summary_of(&out, "good");
    assert_eq!(s["indexed"], false);
    assert!(s["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains("no index found")));
    // --quiet silences the warning (it stays in the summary).
    let o = run_count(&[&plain], &tmp.path().join("quiet"), &["--quiet"]);
    assert_ok(&o, "quiet");
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
}

#[test]
fn all_reads_filtered_works_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let bam = sam_to_bam(tmp.path(), "good", GOOD);
    let out = tmp.path().join("out");
    // MAPQ 60 < 61: every read is dropped.
    let o = run_count(&[&bam], &out, &["--min-mapq", "61"]);
    assert_ok(&o, "all filtered");
    let err = stderr(&o);
    assert!(
        err.contains("no read of clone 'good' passed the filters"),
        "{err}"
    );
    assert!(err.contains(path_str(&bam)), "{err}");
    let c = counts_of(&out, "good");
    assert!(c
        .counts
        .sites()
        .iter()
        .all(|s| s.depth() == 0 && s.lowq() == 0));
    let s = summary_of(&out, "good");
    assert_eq!(s["reads"]["seen"], 2);
    assert_eq!(s["reads"]["used"], 0);
    assert_eq!(s["reads"]["dropped"]["low_mapq"], 2);
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let good = sam_to_bam(tmp.path(), "good", GOOD);
    expect_failure(
        tmp.path(),
        "bad_split",
        &[&good],
        &["--split-by", "barcode"],
        2,
        &["tag:CB"],
    );
    let groups = tmp.path().join("groups.txt");
    std::fs::write(&groups, "AAAC-1\n").unwrap();
    expect_failure(
        tmp.path(),
        "groups_without_split",
        &[&good],
        &["--groups", path_str(&groups)],
        2,
        &["--split-by"],
    );
    // An empty groups file is bad input, not a command-line mistake: exit 1, naming it.
    let empty = tmp.path().join("empty_groups.txt");
    std::fs::write(&empty, "# nothing\n\n").unwrap();
    expect_failure(
        tmp.path(),
        "empty_groups",
        &[&good],
        &["--split-by", "tag:CB", "--groups", path_str(&empty)],
        1,
        &[path_str(&empty), "empty"],
    );
    expect_failure(
        tmp.path(),
        "window_0",
        &[&good],
        &["--window", "0"],
        2,
        &["--window"],
    );
    expect_failure(
        tmp.path(),
        "bad_overlaps",
        &[&good],
        &["--overlaps", "both"],
        2,
        &["fragment, independent"],
    );
    // Two samples in one file without --split-by.
    let two = sam_to_bam(
        tmp.path(),
        "two_samples",
        "@SQ SN:chrM LN:16569
         @RG ID:a SM:s1
         @RG ID:b SM:s2
         // One read per sample.
         r1 0 chrM 100 60 40M * 0 0 ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII RG:Z:a
         r2 0 chrM 200 60 40M * 0 0 ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII RG:Z:b",
    );
    expect_failure(
        tmp.path(),
        "two_samples",
        &[&two],
        &[],
        2,
        &[path_str(&two), "2 samples", "--split-by sm"],
    );
    // No output directory given at all.
    let o = run(&["count".as_ref(), good.as_os_str()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--outdir"));
}

#[test]
fn two_inputs_with_the_same_clone_name() {
    let tmp = tempfile::tempdir().unwrap();
    let a = sam_to_bam(tmp.path(), "a", GOOD);
    let b = sam_to_bam(tmp.path(), "b", GOOD);
    expect_failure(
        tmp.path(),
        "duplicate_clone",
        &[&a, &b],
        &[],
        1,
        &["clone name 'good'", path_str(&a), path_str(&b)],
    );
}

#[test]
fn stale_index_is_named_as_such() {
    // An index made for another version of the BAM (re-sorted or rewritten without
    // re-indexing) must not be reported as a corrupt BAM, nor silently read.
    use rust_htslib::bam::Read as _;
    let tmp = tempfile::tempdir().unwrap();
    let big = big_bam(tmp.path());
    let bai = tmp.path().join("big.bam.bai");
    let needles = |p: &Path| {
        vec![
            path_str(p).to_owned(),
            "the index does not match this file".to_owned(),
            format!("samtools index {}", path_str(p)),
        ]
    };

    // A small BAM beside the index of a bigger one: the index lists blocks the file
    // does not have.
    let small = sam_to_bam_with(tmp.path(), "small", GOOD, true, false);
    std::fs::copy(&bai, tmp.path().join("small.bam.bai")).unwrap();
    let want = needles(&small);
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    expect_failure(tmp.path(), "small_out", &[&small], &["--quiet"], 1, &want);

    // The same reads written again under a longer header (as `samtools reheader` or a
    // re-sort would): every offset of the old index is shifted. The index was copied
    // before the BAM was written, so it is also older than the BAM.
    let stale = tmp.path().join("rewritten.bam");
    std::fs::copy(&bai, tmp.path().join("rewritten.bam.bai")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mut reader = bam::Reader::from_path(&big).unwrap();
    let mut header = bam::Header::from_template(reader.header());
    for i in 0..40 {
        header.push_comment(format!("a longer header, line {i}").as_bytes());
    }
    let records: Vec<bam::Record> = reader.records().map(|r| r.unwrap()).collect();
    write_bam(&stale, &header, records, true, false);
    let want = needles(&stale);
    let mut want: Vec<&str> = want.iter().map(String::as_str).collect();
    want.push("older than the BAM");
    for threads in ["1", "2"] {
        let o = expect_failure(
            tmp.path(),
            &format!("rewritten_t{threads}"),
            &[&stale],
            &["--quiet", "--threads", threads],
            1,
            &want,
        );
        assert!(!stderr(&o).contains("corrupt"), "{}", stderr(&o));
    }
    // Re-indexed as the message says, it is counted.
    bam::index::build(&stale, None, bam::index::Type::Bai, 1).unwrap();
    assert_ok(
        &run_count(&[&stale], &tmp.path().join("reindexed"), &["--quiet"]),
        "re-indexed",
    );
}

#[test]
fn corrupt_bgzf_block_in_the_middle() {
    // Bytes flipped inside a block (not a truncation): the EOF marker is intact, so the
    // damage is found while reading, streamed or through the index.
    let tmp = tempfile::tempdir().unwrap();
    let big = big_bam(tmp.path());
    let bytes = std::fs::read(&big).unwrap();
    let blocks = bgzf_blocks(&bytes);
    let k = blocks.len() / 2;
    let (start, end) = (blocks[k], blocks[k + 1]);
    let bai = tmp.path().join("big.bam.bai");
    type Damage = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: [(&str, Damage); 3] = [
        // Compressed data: inflate fails or the CRC32 no longer matches.
        (
            "payload",
            Box::new(move |b: &mut Vec<u8>| {
                for i in (start + 40..end - 40).step_by(97) {
                    b[i] ^= 0x5a;
                }
            }),
        ),
        // The CRC32 of the block alone.
        ("crc", Box::new(move |b: &mut Vec<u8>| b[end - 8] ^= 0xff)),
        // The block size field (BSIZE): the next block starts at the wrong offset.
        (
            "bsize",
            Box::new(move |b: &mut Vec<u8>| b[start + 16] ^= 0x10),
        ),
    ];
    for (tag, damage) in cases {
        let mut b = bytes.clone();
        damage(&mut b);
        assert_ne!(b, bytes);
        let streamed = tmp.path().join(format!("flip_{tag}.bam"));
        std::fs::write(&streamed, &b).unwrap();
        expect_failure(
            tmp.path(),
            &format!("flip_{tag}_streamed"),
            &[&streamed],
            &["--quiet"],
            1,
            &[path_str(&streamed), "corrupt"],
        );
        let indexed = tmp.path().join(format!("flip_{tag}_indexed.bam"));
        std::fs::write(&indexed, &b).unwrap();
        std::fs::copy(&bai, tmp.path().join(format!("flip_{tag}_indexed.bam.bai"))).unwrap();
        for threads in ["1", "2"] {
            expect_failure(
                tmp.path(),
                &format!("flip_{tag}_indexed_t{threads}"),
                &[&indexed],
                &["--quiet", "--threads", threads],
                1,
                &[path_str(&indexed), "corrupt"],
            );
        }
    }
}

#[test]
fn header_only_bam_gives_a_result_that_says_no_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let bam = sam_to_bam(
        tmp.path(),
        "header_only",
        "@HD VN:1.6 SO:coordinate
         @SQ SN:chrM LN:16569
         @RG ID:h SM:empty_clone",
    );
    let out = tmp.path().join("out");
    let o = run_count(&[&bam], &out, &[]);
    assert_ok(&o, "header-only BAM");
    let err = stderr(&o);
    assert!(
        err.contains("no read of clone 'empty_clone' passed the filters (0 seen on chrM)"),
        "{err}"
    );
    let s = summary_of(&out, "empty_clone");
    assert_eq!(s["reads"]["seen"], 0);
    assert_eq!(s["reads"]["used"], 0);
    assert!(s["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains("counts are all zero")));
    let c = counts_of(&out, "empty_clone");
    assert!(c.counts.sites().iter().all(|s| s.depth() == 0));
    assert!(temp_files(&out).is_empty());
}

#[test]
fn mapped_record_whose_cigar_disagrees_with_its_sequence() {
    // A *mapped* record whose CIGAR consumes more (41M) or fewer (30M) bases than its
    // 40-base sequence: htslib refuses to read it (`samtools view` fails the same
    // way), so the file is refused as corrupt, naming it; nothing is written.
    for (tag, len) in [("more", 41), ("fewer", 30)] {
        let tmp = tempfile::tempdir().unwrap();
        let header = chrm_header();
        let mut r = bam::Record::new();
        r.set(
            b"bad_cigar",
            Some(&CigarString(vec![Cigar::Match(len)])),
            b"ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT",
            &[40; 40],
        );
        r.set_tid(0);
        r.set_pos(100);
        r.set_flags(0); // Record::new() starts unmapped
        r.set_mapq(60);
        r.set_mtid(-1);
        r.set_mpos(-1);
        let p = tmp.path().join(format!("{tag}.bam"));
        write_bam(&p, &header, vec![r], false, false);
        expect_failure(
            tmp.path(),
            tag,
            &[&p],
            &["--quiet"],
            1,
            &[path_str(&p), "invalid record", "corrupt"],
        );
    }
}
