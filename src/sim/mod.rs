//! The project's read simulator: paired-end Illumina-like reads from mixtures of mtDNA
//! haplotypes on rCRS, already aligned, as coordinate-sorted, indexed BAM files with a
//! truth table — test data and benchmark inputs whose right answer is known.
//!
//! # How it works
//! * A clone ([`CloneSpec`]) is a mixture of haplotypes; a haplotype is the donor's
//!   homoplasmic variants, its own SNVs and at most one large deletion. Molecules are
//!   linear copies of rCRS (16,569 bp; a deleted haplotype's molecules are shorter);
//!   fragments never span the origin, so coverage falls off over the first and last
//!   ~fragment length of the genome, as it does for reads aligned to a linear
//!   reference. The `N` at rCRS 3107 is a `C` in every molecule (an aligned mismatch).
//! * Walking reference positions left to right, each haplotype draws a Poisson number
//!   of fragments starting there (mean `depth / (2 × read_length) × fraction`); a
//!   fragment's length is normal (`fragment_mean`, `fragment_sd`), its strand a coin
//!   flip (R1 forward on the left or reverse on the right). Base qualities and
//!   substitution errors follow the [`QualityModel`].
//! * The true alignment is written as `bwa mem` writes it: MAPQ 60, `NM`, `MD`, `MC`,
//!   `RG`. A read across a deletion junction gets a primary alignment of its longer
//!   part with the rest soft-clipped, and a supplementary alignment (flag 0x800, hard
//!   clips) of the other part, both with `SA` tags; the left part runs on through the
//!   breakpoint repeat, as a local aligner extends it (8470–8482 = 13447–13459 for the
//!   common deletion). A part shorter than 30 bases gets no supplementary alignment.
//!   Mates on opposite sides of a junction are a discordant pair (no 0x2 flag, large
//!   `TLEN`); a pair is proper when its span is at most mean + 4 sd.
//! * Records wait in per-position buckets until the walk passes their position, so the
//!   output is sorted while memory holds only fragments in flight (a few MB at
//!   30,000x); BGZF compression runs on htslib threads and the `.bai` is built by
//!   htslib.
//! * Everything is deterministic: the random numbers come from [`rng`] (xoshiro256++,
//!   seeded per clone from the spec's seed and the clone's name), and only exactly
//!   specified floating-point operations are used, so a spec gives the same bytes on
//!   every machine. [`SIM_MODEL_VERSION`] changes whenever it would not.
//!
//! ```no_run
//! use mitosieve::sim::{simulate, SimSpec};
//! let spec = SimSpec::from_path("plate.toml".as_ref())?;
//! let report = simulate(&spec, "plate/".as_ref(), 2)?;
//! for c in &report.clones {
//!     println!("{}: {} fragments", c.name, c.stats.fragments);
//! }
//! # Ok::<(), mitosieve::Error>(())
//! ```

mod bam;
mod quality;
mod reads;
pub mod rng;
mod spec;
mod truth;

pub use reads::CloneStats;
pub use spec::{
    ArtefactSpec, ArtefactStrand, CloneSpec, Deletion, HaplotypeSpec, QualityModel, SimSpec, Snv,
};
pub use truth::{truth, truth_tsv, TruthKind, TruthRow};

use crate::error::{Error, Result};
use crate::output::{prepare_output_dir, temp_path_for, write_atomic};
use crate::reference::{MT_LENGTH, RCRS_MD5};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Version of the simulation model: the same spec gives the same bytes for the same
/// model version. Bumped whenever a change to the simulator changes its output.
pub const SIM_MODEL_VERSION: u32 = 1;

/// A haplotype with its donor's variants merged in and its weight resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedHaplotype {
    /// Fraction of the clone's molecules.
    pub weight: f64,
    /// Variants, sorted by position, each marked `true` when it comes from a donor.
    pub variants: Vec<(Snv, bool)>,
    /// The haplotype's deletion.
    pub deletion: Option<Deletion>,
}

/// A clone's haplotypes: the listed ones, then (if their fractions leave any) the
/// donor-only haplotype with the rest. The spec must be valid ([`SimSpec::validate`]).
///
/// ```
/// use mitosieve::sim::{resolve, SimSpec};
/// let spec = SimSpec::from_toml_str(r#"
///     donors = { A = ["263A>G"] }
///     [[clones]]
///     name = "c"
///     donor = "A"
///     depth = 100
///     haplotypes = [{ fraction = 0.25, snvs = ["3243A>G"] }]
/// "#)?;
/// let haps = resolve(&spec, &spec.clones[0]);
/// assert_eq!(haps.len(), 2);
/// assert_eq!((haps[0].weight, haps[1].weight), (0.25, 0.75));
/// assert_eq!(haps[0].variants.len(), 2); // 263A>G (donor) and 3243A>G
/// # Ok::<(), mitosieve::Error>(())
/// ```
pub fn resolve(spec: &SimSpec, clone: &CloneSpec) -> Vec<ResolvedHaplotype> {
    let donor_vars = |d: Option<&String>| -> Vec<(Snv, bool)> {
        d.and_then(|d| spec.donors.get(d))
            .map(|v| v.iter().map(|s| (*s, true)).collect())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    let mut total = 0.0;
    for h in &clone.haplotypes {
        let mut variants = donor_vars(h.donor.as_ref().or(clone.donor.as_ref()));
        variants.extend(h.snvs.iter().map(|s| (*s, false)));
        variants.sort();
        total += h.fraction;
        out.push(ResolvedHaplotype {
            weight: h.fraction,
            variants,
            deletion: h.deletion,
        });
    }
    let rest = 1.0 - total;
    if rest > 1e-9 {
        let mut variants = donor_vars(clone.donor.as_ref());
        variants.sort();
        out.push(ResolvedHaplotype {
            weight: rest,
            variants,
            deletion: None,
        });
    }
    out
}

/// The seed of a clone's random stream: independent of the other clones of the plate.
///
/// ```
/// use mitosieve::sim::clone_seed;
/// assert_eq!(clone_seed(1, "clone01"), clone_seed(1, "clone01"));
/// assert_ne!(clone_seed(1, "clone01"), clone_seed(1, "clone02"));
/// ```
pub fn clone_seed(spec_seed: u64, clone: &str) -> u64 {
    rng::SplitMix64::new(spec_seed ^ rng::stable_hash(clone)).next_u64()
}

/// The BAM file of a clone in an output directory.
///
/// ```
/// assert!(mitosieve::sim::bam_path("out".as_ref(), "c1").ends_with("c1.bam"));
/// ```
pub fn bam_path(dir: &Path, clone: &str) -> PathBuf {
    dir.join(format!("{clone}.bam"))
}

/// What a simulation wrote for one clone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CloneReport {
    /// Clone name.
    pub name: String,
    /// The BAM file (its index is the same path with `.bai` appended).
    pub bam: PathBuf,
    /// Counts of what was generated.
    pub stats: CloneStats,
}

/// What a simulation wrote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimReport {
    /// One entry per clone, in spec order.
    pub clones: Vec<CloneReport>,
    /// The truth table.
    pub truth: PathBuf,
}

/// Simulate every clone of `spec` into `outdir`: `<clone>.bam`, `<clone>.bam.bai` and
/// `truth.tsv`. `threads` (0: one per core) run clones in parallel and compress.
///
/// ```
/// use mitosieve::sim::{simulate, SimSpec};
/// let spec = SimSpec::from_toml_str("[[clones]]\nname = \"c1\"\ndepth = 5\n")?;
/// let dir = tempfile::tempdir().unwrap();
/// let report = simulate(&spec, dir.path(), 1)?;
/// assert!(report.clones[0].bam.ends_with("c1.bam"));
/// assert!(dir.path().join("c1.bam.bai").exists() && report.truth.exists());
/// # Ok::<(), mitosieve::Error>(())
/// ```
pub fn simulate(spec: &SimSpec, outdir: &Path, threads: usize) -> Result<SimReport> {
    spec.validate()?;
    prepare_output_dir(outdir)?;
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    let parallel = threads.min(spec.clones.len()).max(1);
    let per_clone = (threads / parallel).max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(parallel)
        .build()
        .map_err(|e| Error::System(format!("cannot start {parallel} threads: {e}")))?;
    let clones: Vec<Result<CloneReport>> = pool.install(|| {
        spec.clones
            .par_iter()
            .map(|c| {
                let path = bam_path(outdir, &c.name);
                let stats = simulate_clone(spec, c, &path, per_clone)?;
                Ok(CloneReport {
                    name: c.name.clone(),
                    bam: path,
                    stats,
                })
            })
            .collect()
    });
    let clones = clones.into_iter().collect::<Result<Vec<_>>>()?;
    let truth_file = outdir.join("truth.tsv");
    write_atomic(&truth_file, truth_tsv(&truth(spec)).as_bytes())?;
    Ok(SimReport {
        clones,
        truth: truth_file,
    })
}

/// The SAM header text of a clone's BAM.
fn header_text(spec: &SimSpec, clone: &CloneSpec, seed: u64) -> String {
    let provenance = serde_json::json!({
        "sim_model_version": SIM_MODEL_VERSION,
        "plate_seed": spec.seed,
        "clone_seed": seed,
        "donors": &spec.donors,
        "clone": clone,
    });
    format!(
        "@HD\tVN:1.6\tSO:coordinate\n\
         @SQ\tSN:{contig}\tLN:{MT_LENGTH}\tM5:{RCRS_MD5}\n\
         @RG\tID:{name}\tSM:{name}\tPL:ILLUMINA\n\
         @PG\tID:mitosieve-simulate\tPN:mitosieve\tVN:sim-model-{SIM_MODEL_VERSION}\tCL:mitosieve simulate\n\
         @CO\tmitosieve simulate spec: {provenance}\n",
        contig = spec.contig,
        name = clone.name,
    )
}

/// Simulate one clone of `spec` into `bam` (and `bam` + `.bai`), with `threads`
/// compression threads. Both files appear only when complete.
pub fn simulate_clone(
    spec: &SimSpec,
    clone: &CloneSpec,
    bam: &Path,
    threads: usize,
) -> Result<CloneStats> {
    let seed = clone_seed(spec.seed, &clone.name);
    let haplotypes = resolve(spec, clone);
    let tmp = TempFile(temp_path_for(bam));
    let bai = PathBuf::from(format!("{}.bai", bam.display()));
    let tmp_bai = TempFile(temp_path_for(&bai));
    let mut out = bam::HtsBgzfWriter::create(&tmp.0, threads)?;
    out.write(&bam::header_bytes(
        &header_text(spec, clone, seed),
        &spec.contig,
        MT_LENGTH,
    ))?;
    out.flush()?;
    let mut generator =
        reads::Generator::new(clone, &spec.contig, &haplotypes, &spec.artefacts, seed);
    generator.run(&mut out)?;
    out.close()?;
    bam::check_eof(&tmp.0)?;
    rust_htslib::bam::index::build(
        &tmp.0,
        Some(&tmp_bai.0),
        rust_htslib::bam::index::Type::Bai,
        u32::try_from(threads).unwrap_or(u32::MAX),
    )
    .map_err(|source| Error::Hts {
        path: bam.to_owned(),
        source,
    })?;
    std::fs::rename(&tmp.0, bam).map_err(|e| Error::io(bam, "cannot rename into place", e))?;
    std::fs::rename(&tmp_bai.0, &bai)
        .map_err(|e| Error::io(&bai, "cannot rename into place", e))?;
    Ok(generator.stats)
}

/// A temporary file removed when dropped (a no-op once renamed into place).
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::{count, Allele, CountConfig};
    use crate::Position;
    use rust_htslib::bam::{self as hts, Read as _};

    fn spec(text: &str) -> SimSpec {
        SimSpec::from_toml_str(text).unwrap()
    }

    #[test]
    fn output_is_byte_identical_for_a_seed_and_any_thread_count() {
        let s = spec(
            r#"
            seed = 11
            [[clones]]
            name = "a"
            depth = 40
            haplotypes = [{ fraction = 0.5, deletion = { start = 8470, end = 13446 } }]
            "#,
        );
        let dir = tempfile::tempdir().unwrap();
        let one = dir.path().join("one");
        let two = dir.path().join("two");
        simulate(&s, &one, 1).unwrap();
        simulate(&s, &two, 3).unwrap();
        for f in ["a.bam", "a.bam.bai", "truth.tsv"] {
            let x = std::fs::read(one.join(f)).unwrap();
            let y = std::fs::read(two.join(f)).unwrap();
            assert!(x == y, "{f} differs between thread counts");
        }
        let other = dir.path().join("other");
        let mut s2 = s.clone();
        s2.seed = 12;
        simulate(&s2, &other, 1).unwrap();
        assert_ne!(
            std::fs::read(one.join("a.bam")).unwrap(),
            std::fs::read(other.join("a.bam")).unwrap()
        );
        // No temporary files are left behind.
        let names: Vec<String> = std::fs::read_dir(&one)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }

    /// Reads the BAM back with htslib and checks what bwa mem would have written:
    /// sorted, unique names per mate, split reads with SA tags on both parts, and
    /// discordant pairs across the deletion.
    #[test]
    fn deletion_reads_are_written_like_bwa_mem() {
        let s = spec(
            r#"
            [[clones]]
            name = "del"
            depth = 200
            haplotypes = [{ fraction = 0.5, deletion = { start = 8470, end = 13446 } }]
            "#,
        );
        let dir = tempfile::tempdir().unwrap();
        let report = simulate(&s, dir.path(), 2).unwrap();
        let stats = &report.clones[0].stats;
        assert!(stats.supplementary > 20, "{stats:?}");
        assert!(stats.discordant_pairs > 20, "{stats:?}");
        let mut reader = hts::IndexedReader::from_path(&report.clones[0].bam).unwrap();
        reader.fetch("chrM").unwrap();
        let mut last = -1;
        let mut primaries = std::collections::HashMap::new();
        let mut supps = Vec::new();
        let mut n = 0u64;
        for r in reader.records() {
            let r = r.unwrap();
            n += 1;
            assert!(r.pos() >= last, "sorted");
            last = r.pos();
            assert_eq!(r.mapq(), 60);
            assert!(r.aux(b"NM").is_ok() && r.aux(b"MC").is_ok() && r.aux(b"MD").is_ok());
            let key = (r.qname().to_vec(), r.is_first_in_template());
            if r.is_supplementary() {
                supps.push(r);
            } else {
                assert!(primaries.insert(key, r).is_none(), "one primary per mate");
            }
        }
        assert_eq!(n, stats.records);
        assert_eq!(primaries.len() as u64, 2 * stats.fragments);
        for s in &supps {
            let p = &primaries[&(s.qname().to_vec(), s.is_first_in_template())];
            let sa_p = match p.aux(b"SA").unwrap() {
                hts::record::Aux::String(v) => v.to_string(),
                _ => panic!("SA is a string"),
            };
            let sa_s = match s.aux(b"SA").unwrap() {
                hts::record::Aux::String(v) => v.to_string(),
                _ => panic!("SA is a string"),
            };
            // Each SA names the other alignment.
            assert!(
                sa_p.starts_with(&format!("chrM,{},", s.pos() + 1)),
                "{sa_p}"
            );
            assert!(
                sa_s.starts_with(&format!("chrM,{},", p.pos() + 1)),
                "{sa_s}"
            );
            // Supplementary: hard clips; primary: soft clips; one part on each side.
            let sc = s.cigar().to_string();
            let pc = p.cigar().to_string();
            assert!(sc.contains('H') && !sc.contains('S'), "{sc}");
            assert!(pc.contains('S'), "{pc}");
            let (l, r) = if p.pos() < s.pos() { (p, s) } else { (s, p) };
            assert!(l.cigar().end_pos() <= 8482 && l.cigar().end_pos() >= 8469);
            assert_eq!(r.pos(), 13_446);
            // The aligned parts add up to the read plus the repeat they share (≤ 13).
            let aligned = |c: &hts::record::CigarStringView| {
                c.iter()
                    .filter(|o| matches!(o, hts::record::Cigar::Match(_)))
                    .map(|o| o.len())
                    .sum::<u32>()
            };
            let total = aligned(&p.cigar()) + aligned(&s.cigar());
            assert!((150..=163).contains(&total), "{total}");
            assert_eq!(p.is_reverse(), s.is_reverse());
        }
        // Discordant pairs: mates on both sides of the deletion, insert > 4,977.
        let discordant: Vec<_> = primaries.values().filter(|r| !r.is_proper_pair()).collect();
        assert!(!discordant.is_empty());
        for r in discordant {
            assert!(r.insert_size().abs() > 4977, "{}", r.insert_size());
        }
    }

    /// The simulated heteroplasmy is recovered by `count` within binomial error.
    #[test]
    fn count_recovers_the_simulated_fractions() {
        let s = spec(
            r#"
            seed = 3
            [donors]
            A = ["263A>G", "4769A>G"]
            [[clones]]
            name = "c"
            donor = "A"
            depth = 400
            haplotypes = [
                { fraction = 0.3, snvs = ["3243A>G"] },
                { fraction = 0.2, deletion = { start = 8470, end = 13446 } },
            ]
            "#,
        );
        let dir = tempfile::tempdir().unwrap();
        let report = simulate(&s, dir.path(), 2).unwrap();
        let clones = count(&[report.clones[0].bam.clone()], &CountConfig::default()).unwrap();
        let c = &clones[0];
        assert_eq!(c.name, "c");
        let frac = |pos: u32, alt: Allele| {
            let site = c.counts.site(Position::new(pos).unwrap());
            (
                f64::from(site.allele(alt)) / f64::from(site.depth()),
                f64::from(site.depth()),
            )
        };
        let within = |pos: u32, alt: Allele, p: f64| {
            let (f, n) = frac(pos, alt);
            // Binomial sd of the fraction plus a margin for sequencing errors.
            let sd = (p * (1.0 - p) / n).sqrt();
            assert!(
                (f - p).abs() <= 4.0 * sd + 0.005,
                "m.{pos}: observed {f:.4} at depth {n}, expected {p}"
            );
        };
        within(3243, Allele::G, 0.3 / 1.0);
        within(263, Allele::G, 1.0);
        within(4769, Allele::G, 1.0);
        within(3244, Allele::G, rcrs_is(3244, b'G'));
        // The deletion: depth inside is 80% of the depth outside.
        let inside = c.counts.site(Position::new(11_000).unwrap()).depth() as f64;
        let outside = c.counts.site(Position::new(5_000).unwrap()).depth() as f64;
        assert!((inside / outside - 0.8).abs() < 0.1, "{inside} / {outside}");
        // Mean depth near 400 (the ends of the linear genome are thinner).
        let mean = c.summary.depth.mean;
        assert!((330.0..420.0).contains(&mean), "{mean}");
    }

    fn rcrs_is(pos: u32, b: u8) -> f64 {
        f64::from(u8::from(
            crate::reference::ref_base(Position::new(pos).unwrap()) == b,
        ))
    }
}
