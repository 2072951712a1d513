//! The revised Cambridge Reference Sequence (rCRS, NC_012920.1) and 1-based positions on it.
//!
//! The sequence is embedded, so BAM input needs no reference file. hg38 `chrM` and
//! GRCh37/hs37d5 `MT` are identical to rCRS (sequence md5 [`RCRS_MD5`]); the UCSC hg19
//! `chrM` (16,571 bp) is a different sequence and is refused (see [`crate::input`]).
//!
//! ```
//! use mitosieve::reference::{rcrs, ref_base, Position, MT_LENGTH, RCRS_N_POSITION};
//! let pos = Position::new(3243).unwrap(); // 1-based, as in m.3243A>G
//! assert_eq!(ref_base(pos), b'A');
//! assert_eq!(pos.zero_based(), 3242);
//! assert_eq!(rcrs().len(), MT_LENGTH as usize);
//! assert_eq!(ref_base(RCRS_N_POSITION), b'N'); // m.3107 is a placeholder
//! assert!(Position::new(0).is_none());
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;
use std::num::NonZeroU32;

/// Length of rCRS in base pairs.
pub const MT_LENGTH: u32 = 16_569;

/// Length of the UCSC hg19 `chrM` (NC_001807), which is *not* rCRS.
pub const HG19_CHRM_LENGTH: u32 = 16_571;

/// MD5 of the upper-case rCRS sequence, as in the `M5` tag of hg38 `chrM`.
pub const RCRS_MD5: &str = "c68f52674c9fb33aef52dcf399755519";

/// Contig names under which rCRS is found in real BAM headers.
pub const MT_CONTIG_NAMES: &[&str] = &["chrM", "MT", "M", "rCRS", "NC_012920", "NC_012920.1"];

/// Position 3107 of rCRS is an `N` placeholder; nothing is ever called against it.
pub const RCRS_N_POSITION: Position = Position::new_const(3107);

/// The rCRS bytes as a constant, for tables built at compile time.
pub(crate) const RCRS_BYTES: &[u8; MT_LENGTH as usize] = include_bytes!("rCRS.seq");

static RCRS_SEQ: &[u8; MT_LENGTH as usize] = RCRS_BYTES;

/// The rCRS sequence, upper case, 16,569 bytes (index 0 is position 1).
pub fn rcrs() -> &'static [u8] {
    RCRS_SEQ
}

/// The rCRS base at a position (`b'N'` at 3107).
pub fn ref_base(pos: Position) -> u8 {
    RCRS_SEQ[pos.zero_based()]
}

/// The rCRS bases of the 1-based closed interval `start..=end` (clamped to the genome).
pub fn ref_slice(start: Position, end: Position) -> &'static [u8] {
    let s = start.zero_based();
    let e = end.zero_based().min(RCRS_SEQ.len() - 1);
    if s > e {
        &[]
    } else {
        &RCRS_SEQ[s..=e]
    }
}

/// A 1-based position on rCRS, `1..=16569`.
///
/// Counting is zero-based inside the library (array indices); everything a user sees —
/// files, messages, VCF — is 1-based, and this type is the boundary between the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Position(NonZeroU32);

impl Position {
    /// A position, if `pos` lies in `1..=16569`.
    pub fn new(pos: u32) -> Option<Self> {
        if pos <= MT_LENGTH {
            NonZeroU32::new(pos).map(Position)
        } else {
            None
        }
    }

    const fn new_const(pos: u32) -> Self {
        match NonZeroU32::new(pos) {
            Some(p) => Position(p),
            None => panic!("position 0 is not a 1-based position"),
        }
    }

    /// The position of a zero-based array index, if it lies on the genome.
    pub fn from_zero_based(index: usize) -> Option<Self> {
        u32::try_from(index)
            .ok()
            .and_then(|i| i.checked_add(1))
            .and_then(Self::new)
    }

    /// The 1-based value.
    pub fn get(self) -> u32 {
        self.0.get()
    }

    /// The zero-based array index.
    pub fn zero_based(self) -> usize {
        (self.0.get() - 1) as usize
    }

    /// Every position of the genome, in order.
    pub fn all() -> impl Iterator<Item = Position> {
        (1..=MT_LENGTH).map(|p| Position(NonZeroU32::new(p).expect("1..=16569 is non-zero")))
    }
}

impl TryFrom<u32> for Position {
    type Error = String;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Position::new(value).ok_or_else(|| format!("position {value} is outside 1..={MT_LENGTH}"))
    }
}

impl From<Position> for u32 {
    fn from(p: Position) -> u32 {
        p.get()
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Lower-case hex MD5 of a byte string (used to check references against [`RCRS_MD5`]).
pub fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_sequence_is_rcrs() {
        assert_eq!(rcrs().len(), MT_LENGTH as usize);
        assert_eq!(md5_hex(rcrs()), RCRS_MD5);
        assert_eq!(ref_base(Position::new(3107).unwrap()), b'N');
        assert_eq!(ref_base(Position::new(3243).unwrap()), b'A');
        assert_eq!(ref_base(Position::new(1).unwrap()), b'G');
        assert_eq!(&rcrs()[..10], b"GATCACAGGT");
    }

    #[test]
    fn md5_of_known_strings() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn positions_are_one_based_and_bounded() {
        assert!(Position::new(0).is_none());
        assert!(Position::new(16_570).is_none());
        let p = Position::new(16_569).unwrap();
        assert_eq!(p.zero_based(), 16_568);
        assert_eq!(Position::from_zero_based(0).unwrap().get(), 1);
        assert!(Position::from_zero_based(16_569).is_none());
        assert_eq!(Position::all().count(), 16_569);
        assert_eq!(
            ref_slice(Position::new(1).unwrap(), Position::new(4).unwrap()),
            b"GATC"
        );
    }
}
