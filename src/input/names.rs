//! Clone names become file names: they must never lead outside the output directory.

/// A clone name made safe for use as a file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SanitizedName {
    /// The safe name.
    pub name: String,
    /// The name as found in the input, when it had to be changed.
    pub original: Option<String>,
}

/// Keep letters, digits, `.`, `_`, `-` and `+`; replace anything else (path separators,
/// control characters, spaces) with `_`; never start with `.`; at most 128 characters.
pub fn sanitize_clone_name(raw: &str) -> SanitizedName {
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+') {
                c
            } else {
                '_'
            }
        })
        .take(128)
        .collect();
    if name.starts_with('.') {
        name.replace_range(0..1, "_");
    }
    if name.is_empty() {
        name = "clone".into();
    }
    let original = (name != raw).then(|| raw.to_string());
    SanitizedName { name, original }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_stay_inside() {
        for raw in [
            "../../x",
            "/etc/passwd",
            "a\u{7}b\nc",
            "..",
            ".",
            "",
            "x/../../y",
            "CB:Z:AAAC-1",
        ] {
            let s = sanitize_clone_name(raw);
            assert!(!s.name.contains('/'), "{raw:?} -> {}", s.name);
            assert!(!s.name.starts_with('.'), "{raw:?} -> {}", s.name);
            assert!(!s.name.is_empty());
            assert!(s.name.chars().all(|c| !c.is_control()));
            assert_eq!(s.original.is_some(), s.name != raw);
        }
        assert_eq!(sanitize_clone_name("clone01").original, None);
        assert_eq!(sanitize_clone_name("AAACGT-1").name, "AAACGT-1");
    }
}
