//! One alignment record as the read filters and the counting core read it, whichever decoder produced it:
//! an htslib record (CRAM, SAM, window readers) or a BAM record read in place from
//! inflated bytes ([`super::bgzf::RawRecord`], the fast path: nothing copied).

use rust_htslib::bam::record::{Aux, Record};

/// A tag's value, as the counting core uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuxValue<'a> {
    /// `Z` (valid UTF-8; a `Z` value that is not reads as [`AuxValue::Other`], as
    /// rust-htslib refuses it).
    Str(&'a str),
    /// `A`.
    Char(u8),
    /// Any integer type (`c C s S i I`).
    Int(i64),
    /// Anything else (`f d H B`).
    Other,
}

/// 4-bit BAM base code → letter (as htslib's `seq_nt16_str`).
const CODE_TO_ASCII: &[u8; 16] = b"=ACMGRSVTWYHKDBN";

/// The fields of an alignment record that counting reads.
pub trait Alignment {
    /// Contig index (-1: none).
    fn tid(&self) -> i32;
    /// Zero-based leftmost position.
    fn pos(&self) -> i64;
    /// SAM flags.
    fn flags(&self) -> u16;
    /// Mapping quality.
    fn mapq(&self) -> u8;
    /// Contig index of the mate (-1: none).
    fn mtid(&self) -> i32;
    /// Zero-based leftmost position of the mate.
    fn mpos(&self) -> i64;
    /// Observed template length (TLEN).
    fn insert_size(&self) -> i64;
    /// Read name, without its NUL.
    fn qname(&self) -> &[u8];
    /// Raw BAM CIGAR (`len << 4 | op`).
    fn raw_cigar(&self) -> &[u32];
    /// 4-bit packed sequence.
    fn seq_encoded(&self) -> &[u8];
    /// Number of read bases.
    fn seq_len(&self) -> usize;
    /// Base qualities, one per base.
    fn qual(&self) -> &[u8];
    /// The first tag `tag`, if present and well formed.
    fn aux_value(&self, tag: &[u8; 2]) -> Option<AuxValue<'_>>;
    /// Read base `i` as an upper-case IUPAC letter (`i < seq_len()`).
    fn base(&self, i: usize) -> u8 {
        let code = (self.seq_encoded()[i >> 1] >> ((!i & 1) << 2)) & 0xf;
        CODE_TO_ASCII[usize::from(code)]
    }
}

impl Alignment for Record {
    #[inline]
    fn tid(&self) -> i32 {
        Record::tid(self)
    }
    #[inline]
    fn pos(&self) -> i64 {
        Record::pos(self)
    }
    #[inline]
    fn flags(&self) -> u16 {
        Record::flags(self)
    }
    #[inline]
    fn mapq(&self) -> u8 {
        Record::mapq(self)
    }
    #[inline]
    fn mtid(&self) -> i32 {
        Record::mtid(self)
    }
    #[inline]
    fn mpos(&self) -> i64 {
        Record::mpos(self)
    }
    #[inline]
    fn insert_size(&self) -> i64 {
        Record::insert_size(self)
    }
    #[inline]
    fn qname(&self) -> &[u8] {
        Record::qname(self)
    }
    #[inline]
    fn raw_cigar(&self) -> &[u32] {
        Record::raw_cigar(self)
    }
    #[inline]
    fn seq_encoded(&self) -> &[u8] {
        self.seq().encoded
    }
    #[inline]
    fn seq_len(&self) -> usize {
        Record::seq_len(self)
    }
    #[inline]
    fn qual(&self) -> &[u8] {
        Record::qual(self)
    }
    fn aux_value(&self, tag: &[u8; 2]) -> Option<AuxValue<'_>> {
        Some(match self.aux(tag).ok()? {
            Aux::String(s) => AuxValue::Str(s),
            Aux::Char(c) => AuxValue::Char(c),
            other => aux_as_i64(&other).map_or(AuxValue::Other, AuxValue::Int),
        })
    }
}

/// Size of one element of a `B` array of subtype `sub`.
fn array_elem_size(sub: u8) -> Option<usize> {
    match sub {
        b'c' | b'C' => Some(1),
        b's' | b'S' => Some(2),
        b'i' | b'I' | b'f' => Some(4),
        _ => None,
    }
}

/// The first field `tag` of BAM aux bytes `aux`: its type and its value's bytes (a `Z`
/// or `H` value without its NUL). Walks the fields; stops quietly at anything malformed
/// (`None`), as htslib's `bam_aux_get` finds nothing past it.
pub(crate) fn find_aux<'a>(mut aux: &'a [u8], tag: &[u8; 2]) -> Option<(u8, &'a [u8])> {
    while aux.len() >= 3 {
        let (here, ty) = ([aux[0], aux[1]], aux[2]);
        let body = &aux[3..];
        let (len, value_len) = match ty {
            b'A' | b'c' | b'C' => (1, 1),
            b's' | b'S' => (2, 2),
            b'i' | b'I' | b'f' => (4, 4),
            b'd' => (8, 8),
            b'Z' | b'H' => {
                let p = memchr::memchr(0, body)?;
                (p + 1, p)
            }
            b'B' => {
                let size = array_elem_size(*body.first()?)?;
                let n = u32::from_le_bytes(body.get(1..5)?.try_into().ok()?) as usize;
                let len = size.checked_mul(n)?.checked_add(5)?;
                (len, len)
            }
            _ => return None,
        };
        if body.len() < len {
            return None;
        }
        if here == *tag {
            return Some((ty, &body[..value_len]));
        }
        aux = &body[len..];
    }
    None
}

/// The value of a field found by [`find_aux`], as rust-htslib's `Record::aux` reads it.
pub(crate) fn aux_value(ty: u8, v: &[u8]) -> AuxValue<'_> {
    let le = |n: usize| -> [u8; 4] {
        let mut w = [0u8; 4];
        w[..n].copy_from_slice(&v[..n]);
        w
    };
    match ty {
        b'A' => AuxValue::Char(v[0]),
        b'c' => AuxValue::Int(i64::from(v[0] as i8)),
        b'C' => AuxValue::Int(i64::from(v[0])),
        b's' => AuxValue::Int(i64::from(i16::from_le_bytes([v[0], v[1]]))),
        b'S' => AuxValue::Int(i64::from(u16::from_le_bytes([v[0], v[1]]))),
        b'i' => AuxValue::Int(i64::from(i32::from_le_bytes(le(4)))),
        b'I' => AuxValue::Int(i64::from(u32::from_le_bytes(le(4)))),
        b'Z' => std::str::from_utf8(v).map_or(AuxValue::Other, AuxValue::Str),
        _ => AuxValue::Other,
    }
}

/// Number of query bases the CIGAR consumes (M, I, S, =, X).
pub fn query_len(raw_cigar: &[u32]) -> u64 {
    raw_cigar
        .iter()
        .filter(|c| matches!(*c & 0xf, 0 | 1 | 4 | 7 | 8))
        .map(|c| u64::from(c >> 4))
        .sum()
}

/// An integer aux value of any width.
pub fn aux_as_i64(aux: &Aux<'_>) -> Option<i64> {
    match *aux {
        Aux::I8(v) => Some(i64::from(v)),
        Aux::U8(v) => Some(i64::from(v)),
        Aux::I16(v) => Some(i64::from(v)),
        Aux::U16(v) => Some(i64::from(v)),
        Aux::I32(v) => Some(i64::from(v)),
        Aux::U32(v) => Some(i64::from(v)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_found_past_every_type() {
        let mut aux = Vec::new();
        aux.extend_from_slice(b"NMC\x02");
        aux.extend_from_slice(b"XSs\xfe\xff");
        aux.extend_from_slice(b"MDZ10A5\0");
        aux.extend_from_slice(b"XHH1AE3\0");
        aux.extend_from_slice(b"XfB\x53\x02\0\0\0\x01\0\x02\0");
        aux.extend_from_slice(b"Xdd\0\0\0\0\0\0\xf0\x3f");
        aux.extend_from_slice(b"XAAx");
        aux.extend_from_slice(b"ASi\x9c\xff\xff\xff");
        aux.extend_from_slice(b"XZZ\xff\xfe\0");
        let get = |t: &[u8; 2]| find_aux(&aux, t).map(|(ty, v)| aux_value(ty, v));
        assert_eq!(get(b"NM"), Some(AuxValue::Int(2)));
        assert_eq!(get(b"XS"), Some(AuxValue::Int(-2)));
        assert_eq!(get(b"MD"), Some(AuxValue::Str("10A5")));
        assert_eq!(get(b"XH"), Some(AuxValue::Other));
        assert_eq!(get(b"Xf"), Some(AuxValue::Other));
        assert_eq!(get(b"Xd"), Some(AuxValue::Other));
        assert_eq!(get(b"XA"), Some(AuxValue::Char(b'x')));
        assert_eq!(get(b"AS"), Some(AuxValue::Int(-100)));
        assert_eq!(get(b"XZ"), Some(AuxValue::Other), "not UTF-8");
        assert_eq!(get(b"RG"), None);
        // Truncated inside a field: nothing from it on is found.
        assert_eq!(find_aux(&aux[..14], b"MD"), None);
        assert_eq!(find_aux(&aux[..14], b"XS").map(|(t, _)| t), Some(b's'));
    }
}
