//! # mitosieve
//!
//! Strand-resolved mtDNA pileup, heteroplasmy calling and clone selection for
//! stem-cell therapies of mitochondrial disease.
//!
//! The library follows the data path: [`input`] opens BAM/CRAM files and finds the
//! mitochondrial contig, [`filter`] decides which reads and bases count, [`count`] turns
//! reads into per-position, per-strand allele counts (and reads and writes the counts
//! file that is the interchange between steps), [`call`] calls heteroplasmy in all the
//! clones of a run together, [`select`] turns the calls into PASS / FAIL /
//! INCONCLUSIVE verdicts under a [`Policy`](select::Policy), and [`report`] writes the
//! HTML report and MultiQC files. [`reference`](mod@reference) holds the embedded
//! rCRS, [`sim`] simulates clone plates with a known truth.
//!
//! Each step is one function with a settings struct, the same ones the command line
//! builds from its flags: [`count::count`] ([`count::CountConfig`]),
//! [`call::call`] ([`call::CallConfig`]), [`select::select`] ([`select::Policy`]).
//!
//! ## A whole screen
//!
//! What `mitosieve run` does, on a tiny simulated plate (three clones at 100x, one
//! with MELAS m.3243A>G in 30% of its molecules):
//!
//! ```
//! use mitosieve::{call, count, report, select, sim};
//!
//! let dir = tempfile::tempdir()?;
//! let spec = sim::SimSpec::from_toml_str(r#"
//!     [[clones]]
//!     name = "c1"
//!     depth = 100
//!     [[clones]]
//!     name = "c2"
//!     depth = 100
//!     [[clones]]
//!     name = "c3"
//!     depth = 100
//!     haplotypes = [{ fraction = 0.3, snvs = ["3243A>G"] }]
//! "#)?;
//! let plate = sim::simulate(&spec, dir.path(), 1)?;
//! let bams: Vec<_> = plate.clones.iter().map(|c| c.bam.clone()).collect();
//!
//! // count: per-position, per-strand allele counts of every clone (in input order).
//! let clones = count::count(&bams, &count::CountConfig::default())?;
//!
//! // call: all clones together (the siblings are each other's background).
//! let samples: Vec<(&str, &count::Counts)> =
//!     clones.iter().map(|c| (c.name.as_str(), &c.counts)).collect();
//! let calls = call::call(&samples, &call::CallConfig::default())?;
//! let report = call::CallReport {
//!     command_line: "my screen".into(),
//!     count_settings: Some(clones[0].summary.settings.clone()),
//!     contig: "chrM".into(),
//!     inputs: bams.iter().map(|b| b.display().to_string()).collect(),
//!     calls,
//! };
//!
//! // select: one verdict per clone, with its reasons.
//! let selection = select::select(&report, &select::Policy::default(), None)?;
//! let c3 = &selection.clones[2];
//! assert_eq!((c3.clone.as_str(), c3.verdict), ("c3", select::Verdict::Fail));
//! assert_eq!(c3.worst_target.as_deref(), Some("m.3243A>G"));
//!
//! // The files `mitosieve run` writes.
//! let out = dir.path().join("screen");
//! std::fs::create_dir(&out)?;
//! call::write_outputs(&out, &report)?;
//! select::write_outputs(&out, &selection)?;
//! report::write_outputs(&out, &selection, &report)?;
//! assert!(out.join("report.html").exists() && out.join("calls.vcf.gz").exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `examples/pipeline.rs` is the same as a program: `cargo run --release --example
//! pipeline -- clone*.bam`.

#![deny(missing_docs)]
#![forbid(unsafe_op_in_unsafe_fn)]

pub mod call;
pub mod count;
pub mod deletion;
pub mod error;
pub mod filter;
#[doc(hidden)]
pub mod fuzzing;
pub mod input;
pub mod model;
pub mod output;
pub mod plan;
pub mod reference;
pub mod report;
pub mod select;
pub mod sim;
pub mod track;

pub use error::{Error, Result};
pub use reference::Position;

/// The version of this build of mitosieve.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
