//! What to simulate: a plate of clones, each a mixture of mtDNA haplotypes.

use crate::error::{Error, Result};
use crate::input::sanitize_clone_name;
use crate::reference::{ref_base, Position, MT_LENGTH, RCRS_N_POSITION};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

fn default_seed() -> u64 {
    1
}
fn default_contig() -> String {
    "chrM".into()
}
fn default_read_length() -> u32 {
    150
}
fn default_fragment_mean() -> f64 {
    350.0
}
fn default_fragment_sd() -> f64 {
    50.0
}

/// A whole simulation: the seed, the donors, and the clones.
///
/// The spec is plain data (serde), normally written as TOML:
///
/// ```
/// use mitosieve::sim::SimSpec;
/// let spec = SimSpec::from_toml_str(r#"
///     seed = 7
///
///     [donors]
///     A = ["263A>G", "750A>G", "1438A>G"]
///
///     [[clones]]
///     name = "clone01"
///     donor = "A"
///     depth = 100
///
///     [[clones]]
///     name = "clone02"
///     donor = "A"
///     depth = 100
///     haplotypes = [
///         { fraction = 0.4, snvs = ["3243A>G"] },
///         { fraction = 0.3, deletion = { start = 8470, end = 13446 } },
///     ]
/// "#)?;
/// assert_eq!(spec.clones[1].haplotypes.len(), 2);
/// # Ok::<(), mitosieve::Error>(())
/// ```
///
/// Each clone is a mixture: the listed haplotypes with their fractions of molecules, and
/// the rest (1 − their sum) molecules that carry only the donor's variants. Every
/// haplotype carries its donor's homoplasmic variants (the clone's `donor`, or its own
/// `donor` to model a mixture of two donors).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSpec {
    /// Seed of the whole plate; each clone draws from its own stream derived from this
    /// seed and the clone's name, so adding or reordering clones changes no other clone.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Name of the mitochondrial contig in the BAM header (default `chrM`).
    #[serde(default = "default_contig")]
    pub contig: String,
    /// Donors by name: each a list of homoplasmic variants (e.g. `"263A>G"`).
    #[serde(default)]
    pub donors: BTreeMap<String, Vec<Snv>>,
    /// The clones, one BAM each.
    pub clones: Vec<CloneSpec>,
    /// Recurrent sequencing artefacts, applied to the reads of every clone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artefacts: Vec<ArtefactSpec>,
}

/// A recurrent technical error: at one position, a fraction of the reads of one strand
/// (or of both) show another base, with a given base quality, in every clone of the
/// plate — as a chemistry- or context-specific error does in every library of a run.
/// It changes reads, not molecules: it is no variant and appears in `truth.tsv` as
/// kind `artefact`.
///
/// ```
/// use mitosieve::sim::SimSpec;
/// let spec = SimSpec::from_toml_str(r#"
///     [[clones]]
///     name = "c1"
///     depth = 100
///
///     [[artefacts]]
///     snv = "2617A>G"     # the base written into the reads
///     strand = "forward"  # forward, reverse or both
///     fraction = 0.02     # of the reads of that strand that cover 2617
///     quality = 12        # base quality of the changed bases
/// "#)?;
/// assert_eq!(spec.artefacts[0].fraction, 0.02);
/// # Ok::<(), mitosieve::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtefactSpec {
    /// Position, rCRS base and the base written into the reads.
    pub snv: Snv,
    /// Reads of which strand are affected.
    pub strand: ArtefactStrand,
    /// Fraction of the affected strand's reads covering the position that show it
    /// (0 < fraction ≤ 1).
    pub fraction: f64,
    /// Base quality given to the changed bases (2..=60).
    pub quality: u8,
}

/// The strand an artefact affects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArtefactStrand {
    /// Reads aligned to the forward strand.
    Forward,
    /// Reads aligned to the reverse strand.
    Reverse,
    /// Reads of both strands.
    Both,
}

impl ArtefactStrand {
    /// Whether a read on the reverse strand (`reverse`) is affected.
    pub fn affects(self, reverse: bool) -> bool {
        match self {
            ArtefactStrand::Forward => !reverse,
            ArtefactStrand::Reverse => reverse,
            ArtefactStrand::Both => true,
        }
    }
}

/// One clone: a sequencing library of a mixture of haplotypes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloneSpec {
    /// Clone name: the read group's ID and SM, and the BAM's file stem.
    pub name: String,
    /// Mean read depth (both mates counted, as `samtools depth` would).
    pub depth: u32,
    /// Donor (a key of the spec's `donors`) whose variants every haplotype carries;
    /// none: the donor is rCRS itself.
    #[serde(default)]
    pub donor: Option<String>,
    /// Read length in bp (both mates).
    #[serde(default = "default_read_length")]
    pub read_length: u32,
    /// Mean fragment (insert) length in bp.
    #[serde(default = "default_fragment_mean")]
    pub fragment_mean: f64,
    /// Standard deviation of the fragment length in bp.
    #[serde(default = "default_fragment_sd")]
    pub fragment_sd: f64,
    /// Base qualities and the sequencing errors they imply.
    #[serde(default)]
    pub quality: QualityModel,
    /// Haplotypes other than the donor's own, with their fractions of molecules.
    #[serde(default)]
    pub haplotypes: Vec<HaplotypeSpec>,
}

/// A haplotype: the donor's variants plus its own SNVs and at most one large deletion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaplotypeSpec {
    /// Fraction of the clone's molecules (0 < fraction ≤ 1; fractions of a clone sum to
    /// at most 1).
    pub fraction: f64,
    /// Single-nucleotide variants of this haplotype.
    #[serde(default)]
    pub snvs: Vec<Snv>,
    /// A large deletion carried by this haplotype.
    #[serde(default)]
    pub deletion: Option<Deletion>,
    /// Another donor for this haplotype (e.g. a contaminating sample); default: the
    /// clone's donor.
    #[serde(default)]
    pub donor: Option<String>,
}

/// A deletion of the 1-based closed interval `start..=end` of rCRS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deletion {
    /// First deleted position.
    pub start: Position,
    /// Last deleted position.
    pub end: Position,
}

impl Deletion {
    /// Number of deleted bases.
    pub fn len(&self) -> u32 {
        self.end.get() + 1 - self.start.get()
    }

    /// Always false: a deletion removes at least one base.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether the deletion removes a position.
    pub fn contains(&self, pos: Position) -> bool {
        self.start <= pos && pos <= self.end
    }
}

/// A single-nucleotide variant against rCRS, written `3243A>G` (or `m.3243A>G`).
///
/// Its reference base must be the rCRS base; position 3107 (`N`) cannot carry one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Snv {
    /// The position.
    pub pos: Position,
    /// The rCRS base there.
    pub ref_base: u8,
    /// The alternative base (A, C, G or T, not the reference).
    pub alt: u8,
}

impl std::str::FromStr for Snv {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let t = s.trim();
        let t = t.strip_prefix("m.").unwrap_or(t);
        let bad = || format!("'{s}' is not an SNV: write it like 3243A>G");
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        let rest = &t.as_bytes()[digits..];
        if digits == 0 || rest.len() != 3 || rest[1] != b'>' {
            return Err(bad());
        }
        let pos: u32 = t[..digits].parse().map_err(|_| bad())?;
        let pos = Position::new(pos)
            .ok_or_else(|| format!("'{s}': position {pos} is outside 1..={MT_LENGTH}"))?;
        let (r, a) = (rest[0].to_ascii_uppercase(), rest[2].to_ascii_uppercase());
        if pos == RCRS_N_POSITION {
            return Err(format!(
                "'{s}': position 3107 is the rCRS placeholder N; no variant can be simulated there"
            ));
        }
        let want = ref_base(pos);
        if r != want {
            return Err(format!(
                "'{s}': the rCRS base at {pos} is {}, not {}",
                want as char, r as char
            ));
        }
        if !matches!(a, b'A' | b'C' | b'G' | b'T') || a == r {
            return Err(format!(
                "'{s}': the alternative base must be A, C, G or T and differ from the reference"
            ));
        }
        Ok(Snv {
            pos,
            ref_base: r,
            alt: a,
        })
    }
}

impl TryFrom<String> for Snv {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Snv> for String {
    fn from(s: Snv) -> String {
        s.to_string()
    }
}

impl fmt::Display for Snv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}>{}",
            self.pos, self.ref_base as char, self.alt as char
        )
    }
}

fn default_high_min() -> u8 {
    30
}
fn default_high_max() -> u8 {
    40
}
fn default_low_min() -> u8 {
    2
}
fn default_low_fraction() -> f64 {
    0.05
}

/// Base qualities: most bases draw from `high_min..=high_max` (higher values more
/// likely: weight `q - high_min + 1`), a tail of `low_fraction` of the bases draws
/// uniformly from `low_min..high_min`; the tail grows along the read (half the average
/// at the first cycle, one and a half times at the last), as on Illumina instruments.
/// With `bins` (e.g. NovaSeq's `[2, 12, 23, 37]`), every drawn quality is replaced by
/// the nearest bin (ties to the lower one). Each base is then miscalled with the
/// probability its (reported) quality states, `10^(-Q/10)`, as a uniformly chosen other
/// base; a base whose drawn quality is 2 is written as `N`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityModel {
    /// Lowest quality of the main body.
    #[serde(default = "default_high_min")]
    pub high_min: u8,
    /// Highest quality.
    #[serde(default = "default_high_max")]
    pub high_max: u8,
    /// Lowest quality of the tail.
    #[serde(default = "default_low_min")]
    pub low_min: u8,
    /// Average fraction of bases in the low tail.
    #[serde(default = "default_low_fraction")]
    pub low_fraction: f64,
    /// Quality bins (empty: no binning).
    #[serde(default)]
    pub bins: Vec<u8>,
}

impl Default for QualityModel {
    fn default() -> Self {
        QualityModel {
            high_min: default_high_min(),
            high_max: default_high_max(),
            low_min: default_low_min(),
            low_fraction: default_low_fraction(),
            bins: Vec::new(),
        }
    }
}

impl SimSpec {
    /// Parse a spec from TOML text and check it ([`SimSpec::validate`]).
    pub fn from_toml_str(text: &str) -> Result<Self> {
        Self::parse_toml(text, Path::new("<spec>"))
    }

    /// Read a spec from a TOML file and check it.
    pub fn from_path(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(path, "cannot read the spec", e))?;
        Self::parse_toml(&text, path)
    }

    fn parse_toml(text: &str, path: &Path) -> Result<Self> {
        let spec: SimSpec = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| {
                text.as_bytes()[..s.start.min(text.len())]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1
            });
            Error::parse(path, line, e.message().to_string())
        })?;
        // A spec that is well-formed TOML but not a valid plate is bad input: name it.
        spec.validate().map_err(|e| match e {
            Error::Config(m) => Error::parse(path, 0, m),
            other => other,
        })?;
        Ok(spec)
    }

    /// The spec as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Check everything that can be checked before simulating: unique, file-safe clone
    /// names; known donors; fractions; read and fragment lengths; SNVs that do not
    /// collide with each other or fall inside their own haplotype's deletion.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(m));
        if self.contig.is_empty() || !self.contig.bytes().all(|b| b.is_ascii_graphic()) {
            return bad(format!(
                "contig name '{}' must be non-empty and printable without spaces",
                self.contig
            ));
        }
        if self.clones.is_empty() {
            return bad("the spec has no [[clones]]".into());
        }
        let mut artefact_sites = BTreeSet::new();
        for a in &self.artefacts {
            let who = format!("artefact {}", a.snv);
            if !(a.fraction > 0.0 && a.fraction <= 1.0) {
                return bad(format!("{who}: fraction must be in (0, 1]"));
            }
            if !(2..=60).contains(&a.quality) {
                return bad(format!("{who}: quality must be in 2..=60"));
            }
            if !artefact_sites.insert(a.snv.pos) {
                return bad(format!("{who}: another artefact is at the same position"));
            }
        }
        for (name, vars) in &self.donors {
            check_distinct_positions(vars, &format!("donor '{name}'"))?;
        }
        let mut names = BTreeSet::new();
        for c in &self.clones {
            let who = format!("clone '{}'", c.name);
            if sanitize_clone_name(&c.name).original.is_some() {
                return bad(format!(
                    "{who}: a clone name may use only letters, digits, '.', '_', '-' and '+' and must not start with '.'"
                ));
            }
            if !names.insert(c.name.as_str()) {
                return bad(format!("{who} appears twice"));
            }
            if c.depth == 0 || c.depth > 2_000_000 {
                return bad(format!("{who}: depth must be in 1..=2000000"));
            }
            if !(30..=1000).contains(&c.read_length) {
                return bad(format!("{who}: read_length must be in 30..=1000"));
            }
            let rl = f64::from(c.read_length);
            if !c.fragment_mean.is_finite() || c.fragment_mean < rl {
                return bad(format!(
                    "{who}: fragment_mean must be at least the read length ({rl})"
                ));
            }
            if !c.fragment_sd.is_finite() || c.fragment_sd < 0.0 {
                return bad(format!("{who}: fragment_sd must be zero or positive"));
            }
            if c.fragment_mean + 6.0 * c.fragment_sd > 4000.0 {
                return bad(format!(
                    "{who}: fragments longer than 4,000 bp (mean + 6 sd) are not supported"
                ));
            }
            c.quality.check(&who)?;
            let mut total = 0.0;
            for (i, h) in c.haplotypes.iter().enumerate() {
                let hwho = format!("{who}, haplotype {}", i + 1);
                if !(h.fraction > 0.0 && h.fraction <= 1.0) {
                    return bad(format!("{hwho}: fraction must be in (0, 1]"));
                }
                total += h.fraction;
                let donor = h.donor.as_ref().or(c.donor.as_ref());
                let donor_vars = match donor {
                    Some(d) => match self.donors.get(d) {
                        Some(v) => v.as_slice(),
                        None => return bad(format!("{hwho}: unknown donor '{d}'")),
                    },
                    None => &[],
                };
                let mut all = donor_vars.to_vec();
                all.extend_from_slice(&h.snvs);
                check_distinct_positions(&all, &hwho)?;
                if let Some(d) = h.deletion {
                    if d.start > d.end {
                        return bad(format!("{hwho}: deletion start is after its end"));
                    }
                    if d.start.get() < 2 || d.end.get() >= MT_LENGTH {
                        return bad(format!(
                            "{hwho}: a deletion must leave at least the first and last base of the genome"
                        ));
                    }
                    let left = f64::from(MT_LENGTH - d.len());
                    if left < c.fragment_mean + 6.0 * c.fragment_sd {
                        return bad(format!(
                            "{hwho}: the deleted molecule ({left} bp) is shorter than the longest fragment"
                        ));
                    }
                    if let Some(s) = h.snvs.iter().find(|s| d.contains(s.pos)) {
                        return bad(format!(
                            "{hwho}: SNV {s} lies inside the haplotype's own deletion"
                        ));
                    }
                }
            }
            if let Some(d) = &c.donor {
                if !self.donors.contains_key(d) {
                    return bad(format!("{who}: unknown donor '{d}'"));
                }
            }
            if total > 1.0 + 1e-9 {
                return bad(format!(
                    "{who}: haplotype fractions add up to {total}, more than 1"
                ));
            }
        }
        Ok(())
    }
}

fn check_distinct_positions(vars: &[Snv], who: &str) -> Result<()> {
    let mut seen = BTreeSet::new();
    for v in vars {
        if !seen.insert(v.pos) {
            return Err(Error::Config(format!(
                "{who}: two variants at position {} (a haplotype has one base per position)",
                v.pos
            )));
        }
    }
    Ok(())
}

impl QualityModel {
    fn check(&self, who: &str) -> Result<()> {
        let bad = |m: &str| Err(Error::Config(format!("{who}: quality: {m}")));
        if self.high_min > self.high_max || self.high_max > 93 {
            return bad("need high_min <= high_max <= 93");
        }
        if self.low_min < 2 || self.low_min > self.high_min {
            return bad("need 2 <= low_min <= high_min");
        }
        if !(0.0..=0.5).contains(&self.low_fraction) {
            return bad("low_fraction must be in 0..=0.5");
        }
        if self.low_fraction > 0.0 && self.low_min == self.high_min {
            return bad("a low tail needs low_min < high_min");
        }
        if self.bins.iter().any(|b| !(2..=93).contains(b))
            || self.bins.windows(2).any(|w| w[0] >= w[1])
        {
            return bad("bins must be increasing qualities in 2..=93");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snv_parses_and_checks_rcrs() {
        let s: Snv = "m.3243A>G".parse().unwrap();
        assert_eq!((s.pos.get(), s.ref_base, s.alt), (3243, b'A', b'G'));
        assert_eq!(s.to_string(), "3243A>G");
        assert!("3243C>G".parse::<Snv>().unwrap_err().contains("is A"));
        assert!("3107N>A".parse::<Snv>().is_err());
        assert!("3243A>A".parse::<Snv>().is_err());
        assert!("3243A>".parse::<Snv>().is_err());
        assert!("99999A>G".parse::<Snv>().is_err());
    }

    #[test]
    fn defaults_and_round_trip() {
        let spec = SimSpec::from_toml_str("[[clones]]\nname = \"c1\"\ndepth = 50\n").unwrap();
        let c = &spec.clones[0];
        assert_eq!(
            (c.read_length, c.fragment_mean, c.fragment_sd),
            (150, 350.0, 50.0)
        );
        assert_eq!(spec.contig, "chrM");
        assert_eq!(c.quality, QualityModel::default());
        let again = SimSpec::from_toml_str(&spec.to_toml()).unwrap();
        assert_eq!(again, spec);
    }

    #[test]
    fn invalid_specs_are_refused_with_a_reason() {
        let cases = [
            ("[[clones]]\nname = \"a/b\"\ndepth = 5\n", "clone name"),
            ("[[clones]]\nname = \"a\"\ndepth = 0\n", "depth"),
            (
                "[[clones]]\nname = \"a\"\ndepth = 5\n[[clones]]\nname = \"a\"\ndepth = 5\n",
                "twice",
            ),
            (
                "[[clones]]\nname = \"a\"\ndepth = 5\nhaplotypes = [{fraction = 0.7}, {fraction = 0.6}]\n",
                "more than 1",
            ),
            (
                "[[clones]]\nname = \"a\"\ndepth = 5\ndonor = \"X\"\n",
                "unknown donor",
            ),
            (
                "[[clones]]\nname = \"a\"\ndepth = 5\nhaplotypes = [{fraction = 0.5, snvs = [\"9055G>A\"], deletion = {start = 8470, end = 13446}}]\n",
                "inside",
            ),
            (
                "[donors]\nA = [\"263A>G\"]\n[[clones]]\nname = \"a\"\ndepth = 5\ndonor = \"A\"\nhaplotypes = [{fraction = 0.5, snvs = [\"263A>C\"]}]\n",
                "two variants",
            ),
            ("[[clones]]\nname = \"a\"\ndepth = 5\nfragment_mean = 100\n", "fragment_mean"),
        ];
        for (text, want) in cases {
            let err = SimSpec::from_toml_str(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
        let err = SimSpec::from_toml_str("[[clones]]\nname = \"a\"\ndepht = 5\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("<spec>:3"), "{err}");
        let err = SimSpec::from_toml_str("clones = [{name = \"a\", depth = 5, haplotypes = [{fraction = 0.1, snvs = [\"3243C>G\"]}]}]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("rCRS base at 3243 is A"), "{err}");
    }
}
