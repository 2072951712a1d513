//! The library's one error type.
//!
//! Every variant carries the context a user needs to act on it: the file, and where it
//! applies the contig, the 1-based position or the clone. Messages are lowercase and,
//! where there is something to do, say what.
//!
//! ```
//! use mitosieve::Error;
//! let e = Error::parse("policy.toml", 3, "unknown key 'max_lod'");
//! assert_eq!(e.to_string().lines().next(), Some("policy.toml:3: unknown key 'max_lod'"));
//! let missing = mitosieve::count::file::read("no-such.counts.tsv.gz".as_ref()).unwrap_err();
//! assert!(matches!(missing, Error::Io { .. }));
//! ```

use std::path::PathBuf;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in mitosieve's library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened, read or written.
    #[error("{}: {action}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done ("cannot open", "cannot write", ...).
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// The file is not an alignment file mitosieve can read.
    #[error("{}: not a BAM, CRAM or SAM file: {detail}", path.display())]
    NotAlignment {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        detail: String,
    },

    /// The file is damaged: truncated, a corrupt compressed block, an invalid record.
    #[error("{}: {detail}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        detail: String,
    },

    /// No contig in the header looks like the mitochondrial genome.
    #[error(
        "{}: no mitochondrial contig found (looked for {wanted} with 16,569 bp; header has {seen}); name it with --contig",
        path.display()
    )]
    NoMtContig {
        /// The file.
        path: PathBuf,
        /// The names that were looked for.
        wanted: String,
        /// A short list of the header's contigs.
        seen: String,
    },

    /// The mitochondrial contig is the UCSC hg19 chrM, which is not rCRS.
    #[error(
        "{}: contig '{contig}' is 16,571 bp: this is the UCSC hg19 chrM (NC_001807, a Yoruba sequence), not rCRS (NC_012920, 16,569 bp). \
         Its positions differ from rCRS after ~310, so every variant would be mislabelled. Realign the reads to rCRS \
         (hg38 chrM or GRCh37 MT are identical to it) and run mitosieve again",
        path.display()
    )]
    Hg19ChrM {
        /// The file.
        path: PathBuf,
        /// The contig's name.
        contig: String,
    },

    /// A contig was chosen (or named with `--contig`) whose sequence is not rCRS.
    #[error("{}: contig '{contig}' {detail}", path.display())]
    NotRcrs {
        /// The file.
        path: PathBuf,
        /// The contig's name.
        contig: String,
        /// Why it is not rCRS.
        detail: String,
    },

    /// The input is not sorted by coordinate.
    #[error(
        "{}: not sorted by coordinate (a read at {contig}:{pos} follows one at {contig}:{previous}); sort it with `samtools sort`",
        path.display()
    )]
    Unsorted {
        /// The file.
        path: PathBuf,
        /// The mitochondrial contig.
        contig: String,
        /// 1-based position of the out-of-order read.
        pos: u64,
        /// 1-based position of the read before it.
        previous: u64,
    },

    /// CRAM input without a usable reference, or a reference that does not match.
    #[error("{}: {detail}", path.display())]
    Reference {
        /// The alignment or reference file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },

    /// Two inputs would produce clones with the same name.
    #[error("clone name '{name}' comes from both {} and {}; rename one (the read group's SM) or split differently", first.display(), second.display())]
    DuplicateClone {
        /// The clone name.
        name: String,
        /// The first file.
        first: PathBuf,
        /// The second file.
        second: PathBuf,
    },

    /// A text input (counts file, policy, targets, sheet) could not be parsed.
    #[error("{}:{line}: {detail}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number (0 when the whole file is concerned).
        line: usize,
        /// What is wrong.
        detail: String,
    },

    /// Files that must agree to be analysed together do not.
    #[error("{}: {detail}", path.display())]
    Incompatible {
        /// The file that disagrees with the first one.
        path: PathBuf,
        /// What differs.
        detail: String,
    },

    /// The output directory holds another run's outputs, or another run is writing
    /// there now.
    #[error("{}: {detail}", path.display())]
    OutputDir {
        /// The output directory.
        path: PathBuf,
        /// What is in the way, and what to do.
        detail: String,
    },

    /// The index beside an alignment file belongs to another version of it (the BAM
    /// was re-sorted or rewritten without re-indexing).
    #[error("{}: the index does not match this file: {detail}", path.display())]
    StaleIndex {
        /// The alignment file.
        path: PathBuf,
        /// What the index points to, and how to fix it.
        detail: String,
    },

    /// An option or configuration value is invalid (on the command line: a usage
    /// error).
    #[error("invalid setting: {0}")]
    Config(String),

    /// The inputs are inconsistent in a way no single file explains (e.g. the clones
    /// of a track and of a selection differ).
    #[error("{0}")]
    Input(String),

    /// The system refused a resource (threads).
    #[error("{0}")]
    System(String),

    /// A bug in mitosieve (a worker panicked, an output could not be serialised).
    #[error("internal error: {0}; this is a bug in mitosieve: please report it with the command line and `mitosieve --version`")]
    Internal(String),

    /// htslib reported an error that has no more specific variant.
    #[error("{}: htslib error", path.display())]
    Hts {
        /// The file.
        path: PathBuf,
        /// htslib's error.
        #[source]
        source: rust_htslib::errors::Error,
    },
}

impl Error {
    /// Shorthand for an [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, action: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            action,
            source,
        }
    }

    /// Shorthand for an [`Error::Parse`].
    pub fn parse(path: impl Into<PathBuf>, line: usize, detail: impl Into<String>) -> Self {
        Error::Parse {
            path: path.into(),
            line,
            detail: detail.into(),
        }
    }

    /// Shorthand for an [`Error::Corrupt`].
    pub fn corrupt(path: impl Into<PathBuf>, detail: impl Into<String>) -> Self {
        Error::Corrupt {
            path: path.into(),
            detail: detail.into(),
        }
    }
}
