//! Built-in domain knowledge, shipped as versioned data: the catalogue of confirmed
//! pathogenic point mutations (the targets every clone is screened for), the
//! artefact-prone sites, and the gene annotation of rCRS.
//!
//! ```
//! use mitosieve::call::{artefact_site, locus_of, Catalogue};
//! use mitosieve::Position;
//! let pos = Position::new(3243).unwrap();
//! let catalogue = Catalogue::builtin();
//! let melas = catalogue.find(pos, 'G').expect("m.3243A>G is a target");
//! assert_eq!((melas.name().as_str(), melas.class.as_str()), ("m.3243A>G", "P"));
//! assert_eq!(locus_of(pos), "MT-TL1");
//! assert!(artefact_site(Position::new(310).unwrap()).is_some()); // homopolymer
//! ```

use crate::error::{Error, Result};
use crate::reference::{ref_base, Position};
use serde::{Deserialize, Serialize};
use std::path::Path;

const BUILTIN_CATALOGUE: &str = include_str!("data/pathogenic.tsv");
const LOCI: &str = include_str!("data/loci.tsv");
const ARTEFACT_SITES: &str = include_str!("data/artefact_sites.tsv");

/// One pathogenic variant of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Position on rCRS.
    pub pos: Position,
    /// Reference base (checked against rCRS).
    pub ref_base: char,
    /// Alternative base.
    pub alt_base: char,
    /// Gene or locus.
    pub locus: String,
    /// Associated disease(s).
    pub disease: String,
    /// Classification (P, LP, ...).
    pub class: String,
}

impl Target {
    /// HGVS-like name, e.g. `m.3243A>G`.
    pub fn name(&self) -> String {
        format!("m.{}{}>{}", self.pos, self.ref_base, self.alt_base)
    }
}

/// A versioned list of targets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    /// Version string (`#version=` line).
    pub version: String,
    /// Source description (`#source=` line).
    pub source: String,
    /// The targets, in file order.
    pub targets: Vec<Target>,
}

impl Catalogue {
    /// The catalogue built into this version of mitosieve.
    pub fn builtin() -> Self {
        Self::parse(Path::new("<built-in catalogue>"), BUILTIN_CATALOGUE)
            .expect("the built-in catalogue is valid (checked by a unit test)")
    }

    /// Read a user catalogue (`--targets FILE`), same format as the built-in one.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read targets", e))?;
        Self::parse(path, &text)
    }

    /// Parse the catalogue format.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let mut version = String::from("unversioned");
        let mut source = String::new();
        let mut targets = Vec::new();
        let mut header_seen = false;
        for (i, line) in text.lines().enumerate() {
            let ln = i + 1;
            let line = line.trim_end_matches('\r');
            if let Some(v) = line.strip_prefix("#version=") {
                version = v.trim().to_string();
                continue;
            }
            if let Some(v) = line.strip_prefix("#source=") {
                source = v.trim().to_string();
                continue;
            }
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if !header_seen && f.first() == Some(&"pos") {
                header_seen = true;
                continue;
            }
            if f.len() < 3 {
                return Err(Error::parse(
                    path,
                    ln,
                    "expected tab-separated columns pos, ref, alt[, locus, disease, class]",
                ));
            }
            let pos = f[0]
                .trim()
                .parse::<u32>()
                .ok()
                .and_then(Position::new)
                .ok_or_else(|| {
                    Error::parse(path, ln, format!("position '{}' is not in 1..16569", f[0]))
                })?;
            let base = |s: &str, what: &str| -> Result<char> {
                let s = s.trim().to_ascii_uppercase();
                match s.as_str() {
                    "A" | "C" | "G" | "T" => Ok(s.chars().next().unwrap_or('N')),
                    _ => Err(Error::parse(
                        path,
                        ln,
                        format!("{what} '{s}' must be one base (A, C, G or T)"),
                    )),
                }
            };
            let r = base(f[1], "ref")?;
            let a = base(f[2], "alt")?;
            let expected = ref_base(pos) as char;
            if r != expected {
                return Err(Error::parse(
                    path,
                    ln,
                    format!("ref '{r}' at {pos} does not match rCRS ('{expected}'); are these hg19 coordinates?"),
                ));
            }
            if r == a {
                return Err(Error::parse(path, ln, format!("alt equals ref at {pos}")));
            }
            let get = |k: usize| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
            let locus = if f.len() > 3 && !get(3).is_empty() {
                get(3)
            } else {
                locus_of(pos).to_string()
            };
            targets.push(Target {
                pos,
                ref_base: r,
                alt_base: a,
                locus,
                disease: get(4),
                class: get(5),
            });
        }
        if targets.is_empty() {
            return Err(Error::parse(path, 0, "no targets in the file"));
        }
        Ok(Catalogue {
            version,
            source,
            targets,
        })
    }

    /// The target with this position and alternative base, if any.
    pub fn find(&self, pos: Position, alt: char) -> Option<&Target> {
        self.targets
            .iter()
            .find(|t| t.pos == pos && t.alt_base == alt)
    }
}

/// The gene or locus at a position (`MT-DLOOP` for the control region, `intergenic`).
pub fn locus_of(pos: Position) -> &'static str {
    let p = pos.get();
    LOCI.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("start"))
        .filter_map(|l| {
            let mut f = l.split('\t');
            let s: u32 = f.next()?.parse().ok()?;
            let e: u32 = f.next()?.parse().ok()?;
            let name = f.next()?;
            (s <= p && p <= e).then_some(name)
        })
        .next()
        .unwrap_or("intergenic")
}

/// Whether a position is artefact-prone, and why.
pub fn artefact_site(pos: Position) -> Option<&'static str> {
    let p = pos.get();
    ARTEFACT_SITES
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split('\t');
            let s: u32 = f.next()?.parse().ok()?;
            let e: u32 = f.next()?.parse().ok()?;
            let why = f.next()?;
            (s <= p && p <= e).then_some(why)
        })
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_matches_rcrs() {
        let c = Catalogue::builtin();
        assert!(c.targets.len() >= 45, "{}", c.targets.len());
        assert!(c.version.starts_with("mitosieve-pathogenic-"));
        let melas = c.find(Position::new(3243).unwrap(), 'G').unwrap();
        assert_eq!(melas.name(), "m.3243A>G");
        assert_eq!(melas.locus, "MT-TL1");
        assert!(c.find(Position::new(8993).unwrap(), 'C').is_some());
    }

    #[test]
    fn loci_and_artefacts() {
        let p = |x| Position::new(x).unwrap();
        assert_eq!(locus_of(p(3243)), "MT-TL1");
        assert_eq!(locus_of(p(16093)), "MT-DLOOP");
        assert_eq!(locus_of(p(100)), "MT-DLOOP");
        assert_eq!(locus_of(p(12315)), "MT-TL2");
        assert!(artefact_site(p(302)).is_some());
        assert!(artefact_site(p(310)).is_some());
        assert!(artefact_site(p(3243)).is_none());
    }

    #[test]
    fn bad_catalogues_name_the_line() {
        let path = Path::new("t.tsv");
        let e = Catalogue::parse(path, "pos\tref\talt\n3243\tG\tA\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.tsv:2:") && e.contains("does not match rCRS"),
            "{e}"
        );
        let e = Catalogue::parse(path, "99999\tA\tG\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.tsv:1:"), "{e}");
        let e = Catalogue::parse(path, "# nothing\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no targets"), "{e}");
    }
}
