//! The one rule of dependency between the library's modules (README, "How it works";
//! `src/lib.rs`, "Architecture"): a module uses only modules before it on the data path.
//! Read from the sources: every `crate::<module>` outside comments and `#[cfg(test)]`
//! code.

use std::path::{Path, PathBuf};

/// The data path, in order.
const ORDER: &[&str] = &[
    "error",
    "reference",
    "output",
    "input",
    "filter",
    "model",
    "deletion",
    "count",
    "call",
    "policy",
    "track",
    "select",
    "report",
    "plan",
    "screen",
];

/// Modules beside the data path, and what they may use.
const APART: &[(&str, &[&str])] = &[
    (
        "sim",
        &["error", "reference", "output", "input", "filter", "count"],
    ),
    ("fuzzing", &["error", "input", "count", "policy", "select"]),
];

fn sources(module: &str) -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let file = src.join(format!("{module}.rs"));
    if file.exists() {
        return vec![file];
    }
    let mut out = Vec::new();
    let mut stack = vec![src.join(module)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out
}

/// The modules `crate::<m>` named in non-test, non-comment code of a file.
fn uses(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = Vec::new();
    for line in code.lines() {
        let l = line.trim_start();
        if l.starts_with("//") {
            continue;
        }
        let l = l.split("//").next().unwrap_or("");
        let mut rest = l;
        while let Some(i) = rest.find("crate::") {
            let tail = &rest[i + 7..];
            let name: String = tail
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name.chars().next().is_some_and(|c| c.is_lowercase()) {
                out.push(name);
            }
            rest = tail;
        }
    }
    out
}

#[test]
fn modules_use_only_modules_before_them_on_the_data_path() {
    let mut broken = Vec::new();
    let check = |module: &str, allowed: &[&str], broken: &mut Vec<String>| {
        for f in sources(module) {
            for u in uses(&f) {
                let known = ORDER.contains(&u.as_str()) || APART.iter().any(|(m, _)| *m == u);
                if known && u != module && !allowed.contains(&u.as_str()) {
                    broken.push(format!("{} uses crate::{u}", f.display()));
                }
            }
        }
    };
    for (i, m) in ORDER.iter().enumerate() {
        check(m, &ORDER[..i], &mut broken);
    }
    for (m, allowed) in APART {
        check(m, allowed, &mut broken);
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
