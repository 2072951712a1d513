//! Passages and the sample sheet of `mitosieve track`.

use crate::error::{Error, Result};
use crate::input::sanitize_clone_name;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// How a passage is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PassageKind {
    /// A passage number (`5`, `P12`, `7.5`).
    Number,
    /// An ISO date (`2024-03-15`).
    Date,
}

/// When a clone was sequenced: a passage number or a date, as written in the sheet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// As written (`5`, `P5`, `2024-03-15`); it names the passage in every output.
    pub label: String,
    /// Number or date.
    pub kind: PassageKind,
    /// The passage number, or for a date the days since 1970-01-01 (so passages sort
    /// by it).
    pub value: f64,
}

impl Passage {
    /// Parse a passage: a number (optionally written `P5` or `p5`) or an ISO date
    /// `YYYY-MM-DD`.
    ///
    /// ```
    /// use mitosieve::track::{Passage, PassageKind};
    /// let p = Passage::parse("P12").unwrap();
    /// assert_eq!((p.kind, p.value, p.label.as_str()), (PassageKind::Number, 12.0, "P12"));
    /// let d = Passage::parse("2024-03-15").unwrap();
    /// assert_eq!(d.kind, PassageKind::Date);
    /// assert_eq!(Passage::parse("2024-04-14").unwrap().value - d.value, 30.0);
    /// assert!(Passage::parse("2024-02-30").is_err());
    /// assert!(Passage::parse("late").is_err());
    /// ```
    pub fn parse(text: &str) -> std::result::Result<Passage, String> {
        let s = text.trim();
        if let Some(days) = parse_date(s)? {
            return Ok(Passage {
                label: s.to_string(),
                kind: PassageKind::Date,
                value: days as f64,
            });
        }
        let digits = s.strip_prefix(['p', 'P']).unwrap_or(s);
        match digits.parse::<f64>() {
            Ok(v) if v.is_finite() && !digits.is_empty() => Ok(Passage {
                label: s.to_string(),
                kind: PassageKind::Number,
                value: v,
            }),
            _ => Err(format!(
                "passage '{text}' is neither a number (5, P5) nor a date (2024-03-15)"
            )),
        }
    }
}

/// Days since 1970-01-01 of an ISO date `YYYY-MM-DD`; `Ok(None)` when `s` does not
/// look like a date at all, `Err` when it does but is not a valid day.
fn parse_date(s: &str) -> std::result::Result<Option<i64>, String> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Ok(None);
    }
    let y: i64 = s[0..4].parse().map_err(|_| format!("bad year in '{s}'"))?;
    let m: u32 = s[5..7].parse().map_err(|_| format!("bad month in '{s}'"))?;
    let d: u32 = s[8..10].parse().map_err(|_| format!("bad day in '{s}'"))?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(format!("'{s}' is not a date: month {m} does not exist")),
    };
    if d == 0 || d > month_days {
        return Err(format!(
            "'{s}' is not a date: that month has {month_days} days"
        ));
    }
    Ok(Some(days_from_civil(y, m, d)))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let (m, d) = (i64::from(m), i64::from(d));
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// One row of the sheet: a clone sequenced at a passage.
#[derive(Clone, Debug, PartialEq)]
pub struct SheetRow {
    /// Clone name.
    pub clone: String,
    /// Passage.
    pub passage: Passage,
    /// BAM/CRAM or counts file (relative paths resolved against the sheet's folder).
    pub path: PathBuf,
    /// Line in the sheet (1-based).
    pub line: usize,
}

/// Columns the sheet must have (in any order; other columns are ignored).
pub const SHEET_COLUMNS: &[&str] = &["clone", "passage", "path"];

/// Read a sheet file (see [`parse_sheet`]).
pub fn read_sheet(path: &Path) -> Result<Vec<SheetRow>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read the sheet", e))?;
    let base = path.parent().unwrap_or(Path::new(""));
    parse_sheet(path, &text, base)
}

/// Parse a sample sheet: tab-separated, a header line naming the columns `clone`,
/// `passage` and `path` (any order, more columns allowed), then one row per clone and
/// passage. Blank lines and lines starting with `#` are skipped. Relative paths are
/// resolved against `base` (the sheet's folder). Clone names must be safe as file and
/// sample names (letters, digits, `.`, `_`, `-`, `+`); passages of one sheet are all
/// numbers or all dates, and no clone has the same passage twice. `path` names the
/// sheet in error messages.
///
/// ```
/// use mitosieve::track::parse_sheet;
/// use std::path::Path;
/// let text = "clone\tpassage\tpath\n\
///             c1\t5\tc1_p5.bam\n\
///             c1\t10\t/data/c1_p10.counts.tsv.gz\n";
/// let rows = parse_sheet(Path::new("sheet.tsv"), text, Path::new("runs")).unwrap();
/// assert_eq!(rows.len(), 2);
/// assert_eq!(rows[0].path, Path::new("runs/c1_p5.bam"));
/// assert_eq!(rows[1].path, Path::new("/data/c1_p10.counts.tsv.gz"));
/// assert_eq!(rows[1].passage.value, 10.0);
/// ```
pub fn parse_sheet(path: &Path, text: &str, base: &Path) -> Result<Vec<SheetRow>> {
    let mut cols: Option<[usize; 3]> = None;
    let mut rows: Vec<SheetRow> = Vec::new();
    let mut seen: HashMap<(String, u64), usize> = HashMap::new();
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let ln = i + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        let Some(c) = cols else {
            let mut idx = [usize::MAX; 3];
            for (k, want) in SHEET_COLUMNS.iter().enumerate() {
                idx[k] = fields
                    .iter()
                    .position(|f| f.eq_ignore_ascii_case(want))
                    .ok_or_else(|| {
                        Error::parse(
                            path,
                            ln,
                            format!(
                                "the header must name the tab-separated columns clone, passage and path (found: {})",
                                fields.join(", ")
                            ),
                        )
                    })?;
            }
            cols = Some(idx);
            continue;
        };
        let get = |k: usize| fields.get(c[k]).copied().unwrap_or("");
        let (clone, passage, file) = (get(0), get(1), get(2));
        if clone.is_empty() || passage.is_empty() || file.is_empty() {
            return Err(Error::parse(
                path,
                ln,
                format!(
                    "a row needs a clone, a passage and a path, separated by tabs (got {} field(s))",
                    fields.len()
                ),
            ));
        }
        if sanitize_clone_name(clone).original.is_some() {
            return Err(Error::parse(
                path,
                ln,
                format!("clone name '{clone}' may only use letters, digits, '.', '_', '-' and '+' (and not start with '.')"),
            ));
        }
        let passage = Passage::parse(passage).map_err(|m| Error::parse(path, ln, m))?;
        let kind = match passage.kind {
            PassageKind::Number => "numbers",
            PassageKind::Date => "dates",
        };
        kinds.entry(kind).or_insert(ln);
        if kinds.len() > 1 {
            let other = kinds
                .iter()
                .find(|(k, _)| **k != kind)
                .map_or(0, |(_, l)| *l);
            return Err(Error::parse(
                path,
                ln,
                format!("passage '{}' is one of the {kind}, but line {other} is not: write every passage of a sheet as a number or every one as a date", passage.label),
            ));
        }
        if let Some(prev) = seen.insert((clone.to_string(), passage.value.to_bits()), ln) {
            return Err(Error::parse(
                path,
                ln,
                format!(
                    "clone '{clone}' has passage {} twice (also on line {prev})",
                    passage.label
                ),
            ));
        }
        let p = PathBuf::from(file);
        let resolved = if p.is_absolute() { p } else { base.join(p) };
        rows.push(SheetRow {
            clone: clone.to_string(),
            passage,
            path: resolved,
            line: ln,
        });
    }
    if cols.is_none() {
        return Err(Error::parse(
            path,
            0,
            "the sheet is empty: it needs a header (clone, passage, path) and one row per clone and passage",
        ));
    }
    if rows.is_empty() {
        return Err(Error::parse(path, 0, "the sheet has a header but no rows"));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<SheetRow>> {
        parse_sheet(Path::new("s.tsv"), text, Path::new("base"))
    }

    #[test]
    fn dates_are_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(
            days_from_civil(2024, 3, 1) - days_from_civil(2024, 2, 28),
            2
        );
        assert!(parse_date("2023-02-29").is_err());
        assert!(parse_date("2024-02-29").unwrap().is_some());
        assert!(parse_date("2024-13-01").is_err());
        assert_eq!(parse_date("20240301").unwrap(), None);
    }

    #[test]
    fn sheet_errors_name_the_line() {
        let e = parse("clone\tpath\nc\tx.bam\n").unwrap_err().to_string();
        assert!(e.starts_with("s.tsv:1:") && e.contains("passage"), "{e}");
        let e = parse("clone\tpassage\tpath\nc\t5\tx.bam\nc\t5.0\ty.bam\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.tsv:3:") && e.contains("twice"), "{e}");
        let e = parse("clone\tpassage\tpath\nc\t5\tx.bam\nc\t2024-01-01\ty.bam\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.tsv:3:") && e.contains("line 2"), "{e}");
        let e = parse("clone\tpassage\tpath\nc d\t5\tx.bam\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.tsv:2:") && e.contains("clone name"), "{e}");
        let e = parse("clone\tpassage\tpath\nc\t5\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.tsv:2:"), "{e}");
        let e = parse("# nothing\n\n").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        let e = parse("clone\tpassage\tpath\n").unwrap_err().to_string();
        assert!(e.contains("no rows"), "{e}");
    }

    #[test]
    fn columns_in_any_order_comments_and_crlf() {
        let rows = parse(
            "# sheet\r\npath\tnote\tPassage\tclone\r\na.bam\tx\tP3\tc1\r\n\r\nb.bam\t\t2\tc1\r\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].passage.label, "P3");
        assert_eq!(rows[1].path, Path::new("base/b.bam"));
        assert_eq!(rows[1].line, 5);
    }
}
