//! Multi-sample VCF 4.3 output (bgzipped and tabix-indexed).
//!
//! ```
//! use mitosieve::call::{call, vcf, CallConfig};
//! use mitosieve::count::Counts;
//! let (a, b) = (Counts::new(), Counts::new());
//! let set = call(&[("a", &a), ("b", &b)], &CallConfig::default())?;
//! let text = vcf::render(&set, "chrM", "mitosieve call a b");
//! assert!(text.starts_with("##fileformat=VCFv4.3\n"));
//! let columns = text.lines().find(|l| l.starts_with("#CHROM")).unwrap();
//! assert!(columns.ends_with("\tFORMAT\ta\tb"));
//! # Ok::<(), mitosieve::Error>(())
//! ```

use super::{CallSet, Genotype, Variant};
use crate::error::{Error, Result};
use crate::output::{temp_path_for, AtomicFile, BgzfWriter};
use crate::reference::{MT_LENGTH, RCRS_MD5};
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

/// Every FILTER / FT code mitosieve writes, with its description.
pub const FILTERS: &[(&str, &str)] = &[
    ("PASS", "All filters passed"),
    (
        "low_depth",
        "Usable depth below --min-depth, or a strand below --min-strand-depth",
    ),
    (
        "few_alt_reads_per_strand",
        "Fewer minor-allele reads on a strand than --min-alt-per-strand",
    ),
    (
        "strand_bias",
        "Strand-bias score (Guo et al. 2012) above --max-strand-bias",
    ),
    (
        "below_detection_limit",
        "Fraction below the detection limit at this depth",
    ),
    (
        "artefact_prone_site",
        "Artefact-prone site (gnomAD artifact_prone_site, homopolymer tracts)",
    ),
    (
        "suspected_numt",
        "Many reads with the mate on another contig and a low fraction: possible NUMT",
    ),
    (
        "indel_stack",
        "Several indel alleles within --indel-stack-window bp",
    ),
    (
        "background",
        "Allele seen but not significant against its technical background (error floor, base qualities, context, site noise, or the technical part of the sibling clones' level)",
    ),
    (
        "below_min_af",
        "Allele significant against its technical background but under --min-af (not called)",
    ),
    (
        "low_llr",
        "Allele seen but the likelihood ratio is below --min-llr",
    ),
    ("not_detected", "Catalogue target not detected in any clone"),
];

fn fmt_f(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// Render the VCF text.
pub fn render(set: &CallSet, contig: &str, command_line: &str) -> String {
    let mut out = String::with_capacity(1 << 16);
    let _ = writeln!(out, "##fileformat=VCFv4.3");
    let _ = writeln!(out, "##source=mitosieve-{}", set.mitosieve_version);
    if !command_line.is_empty() {
        let _ = writeln!(
            out,
            "##mitosieveCommand={}",
            command_line.replace('\n', " ")
        );
    }
    let _ = writeln!(out, "##reference=rCRS (NC_012920.1)");
    let _ = writeln!(
        out,
        "##contig=<ID={contig},length={MT_LENGTH},assembly=rCRS,md5={RCRS_MD5}>"
    );
    let _ = writeln!(out, "##mitosieveCatalogue={}", set.catalogue);
    let _ = writeln!(
        out,
        "##mitosieveGenotypes=\"GT 1/1 (homoplasmic) when AF >= {} or no other allele is a significant heteroplasmy; 0/1 heteroplasmic; 0/0 not called\"",
        set.config.homoplasmy_af
    );
    let _ = writeln!(out, "##ALT=<ID=DEL,Description=\"Deletion relative to rCRS (large deletion from split/clipped reads)\">");
    for (id, d) in FILTERS {
        let _ = writeln!(out, "##FILTER=<ID={id},Description=\"{d}\">");
    }
    let info = [
        ("HGVS", "1", "String", "HGVS-like mitochondrial name"),
        ("LOCUS", "1", "String", "Gene or locus (rCRS annotation)"),
        (
            "PATHOGENIC",
            "1",
            "String",
            "Catalogue entry of a confirmed pathogenic variant: disease|class",
        ),
        (
            "TARGET",
            "0",
            "Flag",
            "Pathogenic target screened in every clone",
        ),
        ("ARTEFACT_SITE", "0", "Flag", "Artefact-prone site"),
        (
            "NHET",
            "1",
            "Integer",
            "Clones with a passing heteroplasmic call",
        ),
        (
            "NHOM",
            "1",
            "Integer",
            "Clones with a passing homoplasmic call",
        ),
        (
            "SVTYPE",
            "1",
            "String",
            "Type of structural variant (DEL: large deletion)",
        ),
        (
            "END",
            "1",
            "Integer",
            "Last deleted position of a large deletion",
        ),
        (
            "SVLEN",
            "1",
            "Integer",
            "Length of a large deletion (negative)",
        ),
        (
            "REPEAT",
            "1",
            "Integer",
            "Length of the flanking direct repeat: the deletion may move this far right",
        ),
    ];
    for (id, n, t, d) in info {
        let _ = writeln!(
            out,
            "##INFO=<ID={id},Number={n},Type={t},Description=\"{d}\">"
        );
    }
    let conf = format!("{:.0}%", set.config.confidence * 100.0);
    let format = [
        (
            "GT",
            "1",
            "String",
            "Genotype: 0/1 heteroplasmic, 1/1 homoplasmic".to_string(),
        ),
        (
            "DP",
            "1",
            "Integer",
            "Usable depth (A+C+G+T+deleted; for indels at the anchor)".to_string(),
        ),
        (
            "AD",
            "R",
            "Integer",
            "Read depth of REF and ALT".to_string(),
        ),
        (
            "ADF",
            "R",
            "Integer",
            "Forward-strand depth of REF and ALT".to_string(),
        ),
        (
            "ADR",
            "R",
            "Integer",
            "Reverse-strand depth of REF and ALT".to_string(),
        ),
        (
            "AF",
            "A",
            "Float",
            "ALT fraction (heteroplasmy level)".to_string(),
        ),
        (
            "AFLO",
            "A",
            "Float",
            format!("Lower bound of the exact {conf} interval of AF"),
        ),
        (
            "AFHI",
            "A",
            "Float",
            format!("Upper bound of the exact {conf} interval of AF"),
        ),
        (
            "UB",
            "A",
            "Float",
            format!("One-sided {conf} upper bound of AF"),
        ),
        (
            "LOD",
            "A",
            "Float",
            "Detection limit of this allele at this depth".to_string(),
        ),
        (
            "BG",
            "A",
            "Float",
            "Background error rate (sibling clones / base qualities)".to_string(),
        ),
        (
            "FT",
            "1",
            "String",
            "Sample filter: PASS or the codes that failed".to_string(),
        ),
        (
            "JR",
            "1",
            "Integer",
            "Large deletion: reads across the junction (split + clipped)".to_string(),
        ),
        (
            "SR",
            "2",
            "Integer",
            "Large deletion: reads spanning the left and right breakpoint intact".to_string(),
        ),
    ];
    for (id, n, t, d) in format {
        let _ = writeln!(
            out,
            "##FORMAT=<ID={id},Number={n},Type={t},Description=\"{d}\">"
        );
    }
    out.push_str("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT");
    for s in &set.samples {
        out.push('\t');
        out.push_str(s);
    }
    out.push('\n');
    // SNVs/indels and large deletions, merged in position order.
    let n = set.samples.len().max(1);
    let dels: Vec<&[crate::deletion::DeletionCall]> = set.deletions.chunks(n).collect();
    let (mut i, mut j) = (0, 0);
    while i < set.variants.len() || j < dels.len() {
        let vpos = set.variants.get(i).map_or(u32::MAX, |v| v.pos.get());
        let dpos = dels.get(j).map_or(u32::MAX, |d| d[0].span.start - 1);
        if vpos <= dpos {
            record(&mut out, &set.variants[i], contig);
            i += 1;
        } else {
            deletion_record(&mut out, dels[j], contig, set.config.homoplasmy_af);
            j += 1;
        }
    }
    out
}

fn deletion_record(
    out: &mut String,
    calls: &[crate::deletion::DeletionCall],
    contig: &str,
    hom: f64,
) {
    let Some(first) = calls.first() else { return };
    let span = first.span;
    let anchor = span.start.saturating_sub(1).max(1);
    let ref_base = crate::reference::rcrs()[(anchor - 1) as usize] as char;
    let called: Vec<bool> = calls.iter().map(|c| c.called).collect();
    let filter = if called.iter().any(|&c| c) {
        "PASS"
    } else {
        "not_detected"
    };
    let nhet = calls.iter().filter(|c| c.called && c.af < hom).count();
    let nhom = calls.iter().filter(|c| c.called && c.af >= hom).count();
    let _ = write!(
        out,
        "{contig}\t{anchor}\t.\t{ref_base}\t<DEL>\t.\t{filter}\tSVTYPE=DEL;END={};SVLEN=-{};REPEAT={};HGVS={};LOCUS=large_deletion;NHET={nhet};NHOM={nhom}\tGT:JR:SR:AF:AFLO:AFHI:UB:FT",
        span.end,
        span.len(),
        first.repeat,
        first.name,
    );
    for c in calls {
        let gt = match (c.called, c.af >= hom) {
            (false, _) => "0/0",
            (true, false) => "0/1",
            (true, true) => "1/1",
        };
        let _ = write!(
            out,
            "\t{gt}:{}:{},{}:{}:{}:{}:{}:PASS",
            c.junction_reads,
            c.spanning_left,
            c.spanning_right,
            fmt_f(c.af),
            fmt_f(c.af_ci.lo),
            fmt_f(c.af_ci.hi),
            fmt_f(c.upper_bound)
        );
    }
    out.push('\n');
}

fn record(out: &mut String, v: &Variant, contig: &str) {
    let nhet = v
        .calls
        .iter()
        .filter(|c| c.genotype == Genotype::Het && c.filters.is_empty())
        .count();
    let nhom = v
        .calls
        .iter()
        .filter(|c| c.genotype == Genotype::Hom && c.filters.is_empty())
        .count();
    let mut info = format!("HGVS={};LOCUS={}", v.name, v.locus);
    if let Some(p) = &v.pathogenic {
        let _ = write!(
            info,
            ";PATHOGENIC={}|{};TARGET",
            vcf_text(&p.disease),
            vcf_text(&p.class)
        );
    }
    if v.artefact_site.is_some() {
        info.push_str(";ARTEFACT_SITE");
    }
    let _ = write!(info, ";NHET={nhet};NHOM={nhom}");
    let _ = write!(
        out,
        "{contig}\t{}\t.\t{}\t{}\t{}\t{}\t{info}\tGT:DP:AD:ADF:ADR:AF:AFLO:AFHI:UB:LOD:BG:FT",
        v.pos,
        v.ref_allele,
        v.alt_allele,
        fmt_f((v.qual * 100.0).round() / 100.0),
        v.filters.join(";"),
    );
    for c in &v.calls {
        let _ = write!(
            out,
            "\t{}:{}:{},{}:{},{}:{},{}:{}:{}:{}:{}:{}:{}:{}",
            c.genotype.vcf(),
            c.depth,
            c.ref_count,
            c.alt_count,
            c.ref_fwd,
            c.alt_fwd,
            c.ref_rev,
            c.alt_rev,
            fmt_f(c.af),
            fmt_f(c.af_ci.lo),
            fmt_f(c.af_ci.hi),
            fmt_f(c.upper_bound),
            fmt_f(c.lod),
            fmt_f(c.background),
            c.ft()
        );
    }
    out.push('\n');
}

/// Text safe inside an INFO value (no spaces, `;`, `=` or `,`).
fn vcf_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ' ' => '_',
            ';' | '=' | ',' | '\t' => '_',
            c => c,
        })
        .collect()
}

/// Write `<path>` (bgzipped VCF) and `<path>.tbi`, atomically.
pub fn write(path: &Path, set: &CallSet, contig: &str, command_line: &str) -> Result<()> {
    let text = render(set, contig, command_line);
    let file = AtomicFile::create(path)?;
    let mut w = BgzfWriter::new(file);
    w.write_all(text.as_bytes())
        .map_err(|e| Error::io(path, "cannot write", e))?;
    let file = w.finish().map_err(|e| Error::io(path, "cannot write", e))?;
    let tbi = {
        let mut p = path.as_os_str().to_owned();
        p.push(".tbi");
        std::path::PathBuf::from(p)
    };
    let tbi_tmp = temp_path_for(&tbi);
    let result = file.commit_with(|tmp| {
        let c_vcf = std::ffi::CString::new(tmp.to_string_lossy().as_bytes()).map_err(|_| {
            Error::Input(format!("{}: the path contains a NUL byte", path.display()))
        })?;
        let c_idx = std::ffi::CString::new(tbi_tmp.to_string_lossy().as_bytes()).map_err(|_| {
            Error::Input(format!("{}: the path contains a NUL byte", path.display()))
        })?;
        // SAFETY: both strings are valid NUL-terminated paths; tbx_conf_vcf is a static.
        let rc = unsafe {
            rust_htslib::htslib::tbx_index_build3(
                c_vcf.as_ptr(),
                c_idx.as_ptr(),
                0,
                0,
                &rust_htslib::htslib::tbx_conf_vcf,
            )
        };
        if rc != 0 {
            return Err(Error::io(
                &tbi,
                "cannot build the tabix index",
                std::io::Error::other("tbx_index_build failed"),
            ));
        }
        std::fs::rename(&tbi_tmp, &tbi).map_err(|e| Error::io(&tbi, "cannot rename into place", e))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tbi_tmp);
    }
    result
}
