//! rCRS in BAM's 4-bit base codes, built at compile time, for the counting fast path
//! (see [`super::walker`]): a read's packed sequence bytes are compared with these bytes
//! directly, sixteen bases per comparison.

use crate::reference::{MT_LENGTH, RCRS_BYTES};

const LEN: usize = MT_LENGTH as usize;

/// Bytes in one phase of [`REF_PAIRS`]: every pair of positions inside the contig.
pub(crate) const PAIRS: usize = LEN / 2 + 1;

/// ASCII base → BAM 4-bit code (`=ACMGRSVTWYHKDBN`); anything else is `N` (15).
const fn ascii_to_code(b: u8) -> u8 {
    match b {
        b'=' => 0,
        b'A' => 1,
        b'C' => 2,
        b'M' => 3,
        b'G' => 4,
        b'R' => 5,
        b'S' => 6,
        b'V' => 7,
        b'T' => 8,
        b'W' => 9,
        b'Y' => 10,
        b'H' => 11,
        b'K' => 12,
        b'D' => 13,
        b'B' => 14,
        _ => 15,
    }
}

/// The code of zero-based position `i`, 0 past the contig end (never compared: runs of
/// aligned bases are clipped at the contig end).
const fn code_at(i: usize) -> u8 {
    if i < LEN {
        ascii_to_code(RCRS_BYTES[i])
    } else {
        0
    }
}

/// The rCRS code of each zero-based position.
pub(crate) static REF_CODE: [u8; LEN] = {
    let mut t = [0u8; LEN];
    let mut i = 0;
    while i < LEN {
        t[i] = code_at(i);
        i += 1;
    }
    t
};

/// The allele index (A=0, C=1, G=2, T=3, N=4) of the rCRS base at each zero-based
/// position: where a read agrees with rCRS, this is the allele it counts for.
pub(crate) static REF_ALLELE: [u8; LEN] = {
    let mut t = [0u8; LEN];
    let mut i = 0;
    while i < LEN {
        t[i] = match RCRS_BYTES[i] {
            b'A' => 0,
            b'C' => 1,
            b'G' => 2,
            b'T' => 3,
            _ => 4,
        };
        i += 1;
    }
    t
};

/// rCRS packed two codes per byte as BAM packs a read, in both phases:
/// `REF_PAIRS[0][k]` holds positions `2k` (high nibble) and `2k + 1`,
/// `REF_PAIRS[1][k]` positions `2k + 1` and `2k + 2` (zero-based). A read's whole
/// sequence bytes that cover positions `P, P + 1, ...` line up with
/// `REF_PAIRS[P & 1][P >> 1..]`.
pub(crate) static REF_PAIRS: [[u8; PAIRS]; 2] = {
    let mut t = [[0u8; PAIRS]; 2];
    let mut k = 0;
    while k < PAIRS {
        t[0][k] = (code_at(2 * k) << 4) | code_at(2 * k + 1);
        t[1][k] = (code_at(2 * k + 1) << 4) | code_at(2 * k + 2);
        k += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_follow_rcrs() {
        // m.1 is G, m.3107 the N placeholder, m.16569 G.
        assert_eq!((REF_CODE[0], REF_ALLELE[0]), (4, 2));
        assert_eq!((REF_CODE[3106], REF_ALLELE[3106]), (15, 4));
        assert_eq!(REF_CODE[LEN - 1], ascii_to_code(RCRS_BYTES[LEN - 1]));
        for p in 0..LEN - 1 {
            let pair = (REF_CODE[p] << 4) | REF_CODE[p + 1];
            assert_eq!(REF_PAIRS[p & 1][p >> 1], pair, "position {p}");
        }
    }
}
