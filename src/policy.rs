//! The selection policy: a TOML file, every key documented, unknown keys refused with
//! their line, defaults that a clinical geneticist can read back from every output.
//!
//! ```toml
//! # mitosieve selection policy (all keys optional; these are the defaults)
//! [targets]
//! include = "catalogue"        # every confirmed pathogenic variant, or a list: ["m.3243A>G"]
//! max_load = 0.05              # maximum heteroplasmy of any target
//! [targets.max_load_for]       # per-target maxima
//! "m.3243A>G" = 0.05
//! [deletions]
//! max_load = 0.01              # maximum large-deletion heteroplasmy
//! [coverage]
//! min_mean_depth = 50          # usable reads per position, averaged over the genome
//! min_breadth = 0.95           # share of positions with at least the caller's --min-depth
//! [identity]
//! check = true                 # compare homoplasmies with the donor profile
//! max_differences = 0          # homoplasmic differences tolerated
//! mixture = "inconclusive"     # a second haplotype among heteroplasmies: fail | inconclusive | warn
//! [drift]
//! max_increase = 0.02          # largest rise of a target's load across passages (track)
//! ```

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

/// What to do when a clone's heteroplasmies look like a second haplotype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MixtureAction {
    /// The clone fails.
    Fail,
    /// The clone is inconclusive.
    Inconclusive,
    /// Only a warning in the reasons.
    Warn,
}

/// Which targets are screened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TargetSet {
    /// `"catalogue"`: every target of the call run's catalogue.
    All(String),
    /// Target names, e.g. `["m.3243A>G", "m.8344A>G"]`.
    List(Vec<String>),
}

/// Target rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetPolicy {
    /// Which targets.
    pub include: TargetSet,
    /// Maximum load of any target.
    pub max_load: f64,
    /// Per-target maxima, by name.
    pub max_load_for: BTreeMap<String, f64>,
}

/// Large-deletion rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeletionPolicy {
    /// Maximum deletion heteroplasmy.
    pub max_load: f64,
}

/// Coverage rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoveragePolicy {
    /// Minimum mean usable depth.
    pub min_mean_depth: f64,
    /// Minimum share of positions with the caller's minimum depth.
    pub min_breadth: f64,
}

/// Donor identity rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdentityPolicy {
    /// Check homoplasmies against the donor profile.
    pub check: bool,
    /// Homoplasmic differences tolerated.
    pub max_differences: u32,
    /// What a second haplotype among the heteroplasmies does to the verdict.
    pub mixture: MixtureAction,
}

/// Drift rule (used with passages, see `track`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftPolicy {
    /// Largest allowed rise of a target's load between the first and last passage.
    pub max_increase: f64,
}

/// A resolved policy: every value set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Target rules.
    pub targets: TargetPolicy,
    /// Deletion rule.
    pub deletions: DeletionPolicy,
    /// Coverage rules.
    pub coverage: CoveragePolicy,
    /// Identity rules.
    pub identity: IdentityPolicy,
    /// Drift rule.
    pub drift: DriftPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            targets: TargetPolicy {
                include: TargetSet::All("catalogue".into()),
                max_load: 0.05,
                max_load_for: BTreeMap::new(),
            },
            deletions: DeletionPolicy { max_load: 0.01 },
            coverage: CoveragePolicy {
                min_mean_depth: 50.0,
                min_breadth: 0.95,
            },
            identity: IdentityPolicy {
                check: true,
                max_differences: 0,
                mixture: MixtureAction::Inconclusive,
            },
            drift: DriftPolicy { max_increase: 0.02 },
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    targets: Option<RawTargets>,
    deletions: Option<RawDeletions>,
    coverage: Option<RawCoverage>,
    identity: Option<RawIdentity>,
    drift: Option<RawDrift>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    include: Option<Spanned<TargetSet>>,
    max_load: Option<Spanned<f64>>,
    max_load_for: Option<BTreeMap<String, Spanned<f64>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeletions {
    max_load: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCoverage {
    min_mean_depth: Option<Spanned<f64>>,
    min_breadth: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    check: Option<bool>,
    max_differences: Option<u32>,
    mixture: Option<MixtureAction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDrift {
    max_increase: Option<Spanned<f64>>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

impl Policy {
    /// Read a policy file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read policy", e))?;
        Self::parse(path, &text)
    }

    /// Parse policy text (`path` is only used in messages).
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            Error::parse(path, line, e.message().trim().to_string())
        })?;
        let mut p = Policy::default();
        let frac = |v: &Spanned<f64>, key: &str| -> Result<f64> {
            let x = *v.get_ref();
            if (0.0..=1.0).contains(&x) {
                Ok(x)
            } else {
                Err(Error::parse(
                    path,
                    line_of(text, v.span().start),
                    format!("{key} = {x} is outside 0–1 (write fractions: 5% is 0.05)"),
                ))
            }
        };
        if let Some(t) = raw.targets {
            if let Some(inc) = t.include {
                if let TargetSet::All(s) = inc.get_ref() {
                    if s != "catalogue" {
                        return Err(Error::parse(
                            path,
                            line_of(text, inc.span().start),
                            format!("include = \"{s}\": use \"catalogue\" or a list of names like [\"m.3243A>G\"]"),
                        ));
                    }
                }
                p.targets.include = inc.into_inner();
            }
            if let Some(v) = t.max_load {
                p.targets.max_load = frac(&v, "targets.max_load")?;
            }
            for (name, v) in t.max_load_for.unwrap_or_default() {
                let x = frac(&v, &format!("targets.max_load_for.\"{name}\""))?;
                p.targets.max_load_for.insert(name, x);
            }
        }
        if let Some(d) = raw.deletions {
            if let Some(v) = d.max_load {
                p.deletions.max_load = frac(&v, "deletions.max_load")?;
            }
        }
        if let Some(c) = raw.coverage {
            if let Some(v) = c.min_mean_depth {
                let x = *v.get_ref();
                if x < 0.0 {
                    return Err(Error::parse(
                        path,
                        line_of(text, v.span().start),
                        "coverage.min_mean_depth must not be negative",
                    ));
                }
                p.coverage.min_mean_depth = x;
            }
            if let Some(v) = c.min_breadth {
                p.coverage.min_breadth = frac(&v, "coverage.min_breadth")?;
            }
        }
        if let Some(i) = raw.identity {
            if let Some(v) = i.check {
                p.identity.check = v;
            }
            if let Some(v) = i.max_differences {
                p.identity.max_differences = v;
            }
            if let Some(v) = i.mixture {
                p.identity.mixture = v;
            }
        }
        if let Some(d) = raw.drift {
            if let Some(v) = d.max_increase {
                p.drift.max_increase = frac(&v, "drift.max_increase")?;
            }
        }
        Ok(p)
    }

    /// The maximum load of a target.
    pub fn max_load(&self, target: &str) -> f64 {
        self.targets
            .max_load_for
            .get(target)
            .copied()
            .unwrap_or(self.targets.max_load)
    }

    /// Every target name the policy mentions (`targets.include` and
    /// `targets.max_load_for`).
    pub fn named_targets(&self) -> Vec<&str> {
        let mut v: Vec<&str> = match &self.targets.include {
            TargetSet::All(_) => Vec::new(),
            TargetSet::List(l) => l.iter().map(String::as_str).collect(),
        };
        v.extend(self.targets.max_load_for.keys().map(String::as_str));
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Refuse a policy that names a target the catalogue (`known` names) does not hold,
    /// naming the closest entry: a typo would otherwise screen nothing.
    ///
    /// ```
    /// use mitosieve::select::Policy;
    /// let p = Policy::parse("p.toml".as_ref(), "[targets]\ninclude = [\"3243A>G\"]\n")?;
    /// let e = p.check_targets(&["m.3243A>G", "m.8344A>G"], "p.toml".as_ref(), None).unwrap_err();
    /// assert!(e.to_string().contains("did you mean m.3243A>G?"), "{e}");
    /// # Ok::<(), mitosieve::Error>(())
    /// ```
    ///
    /// `text`, the policy file's text when there is one, gives the line of the name.
    pub fn check_targets(&self, known: &[&str], path: &Path, text: Option<&str>) -> Result<()> {
        for name in self.named_targets() {
            if known.contains(&name) {
                continue;
            }
            let closest = known
                .iter()
                .min_by_key(|k| (edit_distance(name, k), **k))
                .map_or_else(String::new, |k| format!("; did you mean {k}?"));
            let quoted = format!("\"{name}\"");
            let line = text
                .and_then(|t| t.lines().position(|l| l.contains(&quoted)))
                .map_or(0, |i| i + 1);
            return Err(Error::parse(
                path,
                line,
                format!(
                    "target '{name}' is not in the catalogue ({} targets, names like m.3243A>G){closest}",
                    known.len()
                ),
            ));
        }
        Ok(())
    }

    /// Whether a target is screened.
    pub fn includes(&self, target: &str) -> bool {
        let listed = match &self.targets.include {
            TargetSet::All(_) => true,
            TargetSet::List(l) => l.iter().any(|t| t == target),
        };
        listed || self.targets.max_load_for.contains_key(target)
    }

    /// The resolved policy as TOML (written into every output for provenance).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

/// Levenshtein distance (for "did you mean").
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<Policy> {
        Policy::parse(Path::new("p.toml"), t)
    }

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(parse("").unwrap(), Policy::default());
        let p = parse("[targets]\nmax_load = 0.1\n[targets.max_load_for]\n\"m.3243A>G\" = 0.02\n")
            .unwrap();
        assert_eq!(p.max_load("m.3243A>G"), 0.02);
        assert_eq!(p.max_load("m.8344A>G"), 0.1);
        let p = parse("[targets]\ninclude = [\"m.3243A>G\"]\n").unwrap();
        assert!(p.includes("m.3243A>G") && !p.includes("m.8344A>G"));
        // Written back and read again: the same policy.
        let again = parse(&p.to_toml()).unwrap();
        assert_eq!(again, p);
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("[targets]\nmax_load = 0.05\nmax_lod = 0.1\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.toml:3:") && e.contains("max_lod"), "{e}");
        let e = parse("[coverage]\n\nmin_breadth = \"high\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.toml:3:"), "{e}");
        let e = parse("[deletions]\nmax_load = 5\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("p.toml:2:") && e.contains("outside 0–1"),
            "{e}"
        );
        let e = parse("[nonsense]\n").unwrap_err().to_string();
        assert!(e.starts_with("p.toml:1:") && e.contains("nonsense"), "{e}");
    }
}
