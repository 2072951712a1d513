//! Entry points of the fuzz targets in `fuzz/` (hidden: not part of the API). Each
//! takes the fuzzer's raw bytes, so that a crash found by `cargo fuzz` replays as a
//! plain test (`tests/fuzz_regressions.rs`, inputs in `tests/fuzz-cases/<target>/`).
//! A panic means a bug; errors are the expected answer to bad input.

use crate::count::fuzzing::{count_records, walk_raw};
use crate::input::bgzf::{CursorError, RecordCursor};
use rust_htslib::bam::record::{Aux, Cigar, CigarString, Record};

/// The CIGAR walker on raw, possibly inconsistent, BAM fields.
///
/// Layout: pos (u16, modulo 17,000: the contig and a little past its end), flags byte
/// (bit 0: reverse), routing interval lo (u16) and its width (u16), number of CIGAR
/// operations (u8), then 3 bytes per operation (op code, where bit 7 asks for a huge
/// length; 16-bit length), packed sequence length (u8) and bytes, qualities (the rest).
pub fn walker(data: &[u8]) {
    let mut d = data;
    let mut take = |n: usize| -> Option<&[u8]> {
        let (a, b) = d.split_at_checked(n)?;
        d = b;
        Some(a)
    };
    let Some(h) = take(8) else { return };
    let pos = u32::from(u16::from_le_bytes([h[0], h[1]])) % 17_000;
    let rev = h[2] & 1 == 1;
    let lo = u32::from(u16::from_le_bytes([h[3], h[4]])) % 17_000;
    let hi = lo + u32::from(u16::from_le_bytes([h[5], h[6]]));
    let mut cigar = Vec::new();
    for _ in 0..h[7] {
        let Some(c) = take(3) else { break };
        let mut len = u32::from(u16::from_le_bytes([c[1], c[2]]));
        if c[0] & 0x80 != 0 {
            len = (len << 12) | 0xfff; // up to 2^28 - 1, the largest BAM length
        }
        cigar.push((len.min((1 << 28) - 1) << 4) | u32::from(c[0] & 0xf));
    }
    let seq_len = take(1).map_or(0, |b| usize::from(b[0]));
    let seq = take(seq_len).unwrap_or_default().to_vec();
    let qual = d.to_vec();
    walk_raw(pos, rev, &cigar, &seq, &qual, lo, hi);
}

fn cigar_op(code: u8, len: u32) -> Cigar {
    match code % 9 {
        0 => Cigar::Match(len),
        1 => Cigar::Ins(len),
        2 => Cigar::Del(len),
        3 => Cigar::RefSkip(len),
        4 => Cigar::SoftClip(len),
        5 => Cigar::HardClip(len),
        6 => Cigar::Pad(len),
        7 => Cigar::Equal(len),
        _ => Cigar::Diff(len),
    }
}

/// Records built through rust-htslib's safe API (any flags, CIGAR, mate fields, `SA`
/// and `MC` tags; CIGAR and sequence need not agree), sorted by position and counted as
/// the reads of one clone.
///
/// Layout, per record: flags (u16), pos (u16), MAPQ (u8), mate pos (u16), mate contig
/// and insert size (u8), number of CIGAR operations (u8, modulo 16), name (u8), then 2
/// bytes per operation (op code, where bit 7 makes the length huge; length), sequence
/// length (u8) followed by the bases and as many qualities, and a tag byte (bits 0-1:
/// none, SA or MC; bits 2-7: length of its text, which follows).
pub fn records(data: &[u8]) {
    let mut d = data;
    let mut records = Vec::new();
    while let Some((h, rest)) = d.split_at_checked(10) {
        if records.len() == 64 {
            break;
        }
        d = rest;
        let mut ops = Vec::new();
        for _ in 0..h[8] % 16 {
            let Some((c, rest)) = d.split_at_checked(2) else {
                break;
            };
            d = rest;
            let len = if c[0] & 0x80 != 0 {
                u32::from(c[1]) << 20
            } else {
                u32::from(c[1])
            };
            ops.push(cigar_op(c[0], len));
        }
        let Some((&n, rest)) = d.split_first() else {
            break;
        };
        d = rest;
        let n = usize::from(n).min(d.len() / 2);
        let seq: Vec<u8> = d[..n]
            .iter()
            .map(|&b| b"ACGTNRY="[usize::from(b % 8)])
            .collect();
        let qual = d[n..2 * n].to_vec();
        d = &d[2 * n..];
        let mut rec = Record::new();
        rec.set(
            &[b'r', b'0' + h[9] % 8],
            Some(&CigarString(ops)),
            &seq,
            &qual,
        );
        rec.set_tid(0);
        rec.set_pos(i64::from(u16::from_le_bytes([h[2], h[3]]) % 17_000));
        rec.set_flags(u16::from_le_bytes([h[0], h[1]]));
        rec.set_mapq(h[4]);
        rec.set_mtid(i32::from(h[7] & 3) - 1); // none, chrM, two other contigs
        rec.set_mpos(i64::from(u16::from_le_bytes([h[5], h[6]]) % 17_000));
        rec.set_insert_size(i64::from(h[7] >> 2) * 100 - 1_600);
        if let Some((&tag, rest)) = d.split_first() {
            d = rest;
            let len = usize::from(tag >> 2).min(d.len());
            if let Ok(text) = std::str::from_utf8(&d[..len]) {
                let text = text.replace('\0', "");
                let _ = match tag & 3 {
                    1 => rec.push_aux(b"SA", Aux::String(&text)),
                    2 => rec.push_aux(b"MC", Aux::String(&text)),
                    _ => Ok(()),
                };
            }
            d = &d[len..];
        }
        records.push(rec);
    }
    records.sort_by_key(|r| r.pos());
    count_records(&records);
}

/// The counts-file reader on arbitrary bytes (plain text, or gzip/BGZF).
pub fn counts_file(data: &[u8]) {
    let _ = crate::count::file::parse_bytes("fuzz.counts.tsv".as_ref(), data);
}

/// The selection policy parser on arbitrary text; a policy it accepts must come back
/// the same through its resolved TOML.
pub fn policy(data: &[u8]) {
    use crate::select::Policy;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = Policy::parse("fuzz.toml".as_ref(), text) {
        let resolved = p.to_toml();
        let again = Policy::parse("resolved.toml".as_ref(), &resolved)
            .unwrap_or_else(|e| panic!("the resolved policy does not parse: {e}\n{resolved}"));
        assert_eq!(
            resolved,
            again.to_toml(),
            "the resolved policy is not stable"
        );
    }
}

/// The BAM record decoder (`src/input/bgzf.rs`) on inflated bytes.
///
/// Layout: one byte choosing where the rest is cut in two (as a segment end cuts a
/// record), then the record bytes. Whole or cut, the same records must decode (or the
/// same error come back); every decoded record is read through rust-htslib's accessors
/// and the records are counted as one clone.
pub fn bam_stream(data: &[u8]) {
    let Some((&cut, body)) = data.split_first() else {
        return;
    };
    let cut = usize::from(cut) * body.len() / 255;
    let decode = |parts: &[&[u8]]| {
        let mut cursor = RecordCursor::new(0);
        let mut rec = Record::new();
        let mut out = Vec::new();
        for p in parts {
            let r = cursor.feed(p, &mut rec, &mut |r: &Record| {
                out.push(r.clone());
                Ok(true)
            });
            match r {
                Ok(_) => {}
                Err(CursorError::Decode(e)) => return (out, Some(e), false),
                Err(CursorError::Count(e)) => panic!("the callback cannot fail: {e}"),
            }
        }
        let partial = cursor.has_partial();
        (out, None, partial)
    };
    let whole = decode(&[body]);
    let (a, b) = body.split_at(cut);
    let split = decode(&[a, b]);
    assert_eq!(whole, split, "cutting the stream changed what decodes");
    let records = whole.0;
    for r in &records {
        // (rust-htslib's `cigar()` panics on op codes 9-15; mitosieve reads the raw
        // CIGAR, as here.)
        let _ = (r.qname(), r.raw_cigar(), r.seq().as_bytes(), r.qual());
        // The tags mitosieve reads, through htslib's bounds-checked lookup
        // (rust-htslib's `aux_iter` reads past an unterminated `Z` field: not used).
        for tag in [b"SA", b"MC", b"RG", b"NM", b"CB"] {
            let _ = r.aux(tag);
        }
    }
    let mut sorted: Vec<Record> = records.into_iter().filter(|r| r.pos() >= 0).collect();
    sorted.sort_by_key(|r| r.pos());
    count_records(&sorted);
}
