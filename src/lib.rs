//! # mitosieve
//!
//! Strand-resolved mtDNA pileup, heteroplasmy calling and clone selection for
//! stem-cell therapies of mitochondrial disease.
//!
//! The library follows the data path: [`input`] opens BAM/CRAM files and finds the
//! mitochondrial contig, [`filter`] decides which reads and bases count, [`count`] turns
//! reads into per-position, per-strand allele counts (and reads and writes the counts
//! file that is the interchange between steps), [`reference`] holds the embedded rCRS.
//!
//! ```no_run
//! use mitosieve::count::{count, CountConfig};
//! let clones = count(&["clone01.bam".into(), "clone02.bam".into()], &CountConfig::default())?;
//! for c in &clones {
//!     println!("{}: mean depth {:.0}", c.name, c.summary.depth.mean);
//! }
//! # Ok::<(), mitosieve::Error>(())
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_op_in_unsafe_fn)]

pub mod call;
pub mod count;
pub mod deletion;
pub mod error;
pub mod filter;
pub mod input;
pub mod model;
pub mod output;
pub mod plan;
pub mod reference;
pub mod report;
pub mod select;
pub mod sim;

pub use error::{Error, Result};
pub use reference::Position;

/// The version of this build of mitosieve.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
