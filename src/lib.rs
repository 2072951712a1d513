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
//! [`screen`] runs them in order — inputs → counts → calls → selection → output files —
//! and is the one code path of `mitosieve run` (the `call`, `select` and `track`
//! commands run its steps). Each step is also a function with a settings struct, the
//! same ones the command line builds from its flags: [`count::count`]
//! ([`count::CountConfig`]), [`call::call`] ([`call::CallConfig`]), [`select::select`]
//! ([`select::Policy`]).
//!
//! ## Architecture
//!
//! Modules follow the data path, and the one rule of dependency is that a module uses
//! only modules before it in this order (tests and documentation links aside):
//! [`error`], [`reference`](mod@reference), [`output`], [`input`], [`filter`],
//! [`model`], [`deletion`], [`count`], [`call`], [`policy`], [`track`], [`select`],
//! [`report`], [`plan`], [`screen`]. [`sim`], the simulator, uses the reading and
//! writing modules only, and nothing uses it but tests.
//!
//! ## A whole screen
//!
//! What `mitosieve run` does, on a tiny simulated plate (three clones at 100x, one
//! with MELAS m.3243A>G in 30% of its molecules):
//!
//! ```
//! use mitosieve::screen::{Screen, ScreenConfig};
//! use mitosieve::{count, select, sim};
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
//! // count → call → select, and the files `mitosieve run` writes.
//! let out = dir.path().join("screen");
//! std::fs::create_dir(&out)?;
//! let screen = Screen::new(ScreenConfig::default());
//! let result = screen.run(&bams, Some(&out), &count::Silent)?;
//!
//! // One verdict per clone, with its reasons.
//! let c3 = &result.selection.clones[2];
//! assert_eq!((c3.clone.as_str(), c3.verdict), ("c3", select::Verdict::Fail));
//! assert_eq!(c3.worst_target.as_deref(), Some("m.3243A>G"));
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
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod input;
pub mod model;
pub mod output;
pub mod plan;
pub mod policy;
pub mod reference;
pub mod report;
pub mod screen;
pub mod select;
#[cfg(feature = "simulate")]
pub mod sim;
pub mod track;

pub use error::{Error, Result};
pub use reference::Position;

/// The version of this build of mitosieve.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
