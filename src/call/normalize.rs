//! Indel representation: VCF-style REF/ALT with an anchor base, left-aligned in
//! repeats (what `bcftools norm -f` produces), so the same event written differently by
//! an aligner is counted as one.
//!
//! ```
//! use mitosieve::call::normalize::normalize;
//! use mitosieve::count::IndelKey;
//! // A C inserted after m.315 (0-based anchor 314) in the C tract 311–315 of rCRS,
//! // written by an aligner at the end of the tract, is m.310_311insC left-aligned:
//! let n = normalize(314, &IndelKey::Ins(b"C".to_vec())).unwrap();
//! assert_eq!((n.anchor + 1, n.ref_allele.as_str(), n.alt_allele.as_str()), (310, "T", "TC"));
//! ```

use crate::count::IndelKey;
use crate::reference::rcrs;

/// A left-aligned indel: zero-based anchor and VCF REF/ALT strings.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NormalIndel {
    /// Zero-based anchor (the base before the event).
    pub anchor: u32,
    /// VCF REF (anchor + deleted bases).
    pub ref_allele: String,
    /// VCF ALT (anchor + inserted bases).
    pub alt_allele: String,
}

/// Left-align an indel event anchored at zero-based `anchor`. `None` when it cannot be
/// represented (runs past the genome end, or touches the `N` at 3107).
pub fn normalize(anchor: u32, key: &IndelKey) -> Option<NormalIndel> {
    let r = rcrs();
    let mut p = anchor as usize;
    match key {
        IndelKey::Del(len) => {
            let len = *len as usize;
            if p + len >= r.len() {
                return None;
            }
            while p > 0 && r[p] == r[p + len] {
                p -= 1;
            }
            let ref_allele = &r[p..=p + len];
            if ref_allele.contains(&b'N') {
                return None;
            }
            Some(NormalIndel {
                anchor: p as u32,
                ref_allele: String::from_utf8_lossy(ref_allele).into_owned(),
                alt_allele: (r[p] as char).to_string(),
            })
        }
        IndelKey::Ins(seq) => {
            if p >= r.len() || seq.is_empty() {
                return None;
            }
            let mut s = seq.clone();
            while p > 0 && s.last() == Some(&r[p]) {
                s.rotate_right(1);
                p -= 1;
            }
            if r[p] == b'N' {
                return None;
            }
            let mut alt = vec![r[p]];
            alt.extend_from_slice(&s);
            Some(NormalIndel {
                anchor: p as u32,
                ref_allele: (r[p] as char).to_string(),
                alt_allele: String::from_utf8_lossy(&alt).into_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletions_shift_left_in_homopolymers() {
        // rCRS 66..71 (1-based) is GGGGGG? check with the sequence itself:
        let r = rcrs();
        // Find a homopolymer run of length >= 3 near the start.
        let start = (1..r.len() - 4)
            .find(|&i| r[i] == r[i + 1] && r[i] == r[i + 2] && r[i - 1] != r[i])
            .unwrap();
        // Deleting the last base of the run (anchor = run start + 1) must move to the run start - 1.
        let n = normalize((start + 1) as u32, &IndelKey::Del(1)).unwrap();
        assert_eq!(n.anchor as usize, start - 1);
        assert_eq!(n.ref_allele.len(), 2);
        assert_eq!(n.alt_allele.len(), 1);
        // Insertion of the run base after its last base moves before the run.
        let n = normalize((start + 2) as u32, &IndelKey::Ins(vec![r[start]])).unwrap();
        assert_eq!(n.anchor as usize, start - 1);
        assert_eq!(n.alt_allele.as_bytes()[1], r[start]);
    }

    #[test]
    fn non_repeat_events_stay() {
        // 1-based 3: T, 4: C; rCRS starts GATCACAGG
        let n = normalize(2, &IndelKey::Del(1)).unwrap();
        assert_eq!(
            (n.anchor, n.ref_allele.as_str(), n.alt_allele.as_str()),
            (2, "TC", "T")
        );
        let n = normalize(1, &IndelKey::Ins(b"G".to_vec())).unwrap();
        assert_eq!(
            (n.anchor, n.ref_allele.as_str(), n.alt_allele.as_str()),
            (1, "A", "AG")
        );
        assert!(normalize(16_568, &IndelKey::Del(1)).is_none());
    }
}
