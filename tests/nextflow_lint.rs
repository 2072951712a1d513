//! Lint of the Nextflow modules (`modules/mitosieve/{count,call,select}/main.nf`) and the
//! minimal pipeline (`nextflow/main.nf`) against the command line of this build, without
//! Nextflow (it cannot be installed from the package registries CI uses):
//!
//! - nf-core conventions: `tag "$meta.id"`, a `process_*` label, `when:` on
//!   `task.ext.when`, `task.ext.args`, a `versions.yml` output written by the script
//!   and the stub, and a `meta.yml` whose inputs, emits and patterns are the module's;
//! - every flag a module passes (in its script or its argument `def`s) is one that
//!   `mitosieve <cmd> --help` lists;
//! - the script block, rendered as Nextflow would render it (Groovy interpolation of
//!   the task's variables, common indentation stripped), is run with bash in a task
//!   directory with its inputs staged, on the bundled `test-data/plate/*.bam`: every
//!   output the module declares is written and every file written is declared; the same
//!   for the stub block; `versions.yml` names this version;
//! - the pipeline includes existing modules and calls each with as many channels as
//!   it declares inputs.
#![cfg(feature = "cli")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mitosieve"))
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

// ---------------------------------------------------------------------------------
// Parsing a process definition.

/// One `output:` declaration.
#[derive(Debug, Clone)]
struct Output {
    /// The `path(...)` pattern (`calls.vcf.gz`, `*.counts.tsv.gz`, `*_mqc.{tsv,json}`).
    pattern: String,
    /// `emit:` name.
    emit: String,
    /// `optional: true`.
    optional: bool,
}

/// A process, cut into its sections.
#[derive(Debug)]
struct Process {
    name: String,
    file: PathBuf,
    text: String,
    /// Input declarations, one per line (one channel each).
    inputs: Vec<String>,
    outputs: Vec<Output>,
    when: String,
    script: Block,
    stub: Block,
}

/// A `script:` or `stub:` section: Groovy statements, then a `"""` template.
#[derive(Debug, Default)]
struct Block {
    /// `def name = expression` statements (continuation lines joined).
    defs: Vec<(String, String)>,
    /// The template between the triple quotes, as written.
    template: String,
}

fn sections(body: &str) -> BTreeMap<String, String> {
    let labels = ["input:", "output:", "when:", "script:", "stub:"];
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in body.lines() {
        let t = line.trim();
        if labels.contains(&t) {
            current = Some(t.trim_end_matches(':').to_string());
            out.entry(t.trim_end_matches(':').to_string()).or_default();
            continue;
        }
        if let Some(c) = &current {
            let s = out.get_mut(c).unwrap();
            s.push_str(line);
            s.push('\n');
        }
    }
    out
}

fn parse_block(section: &str, what: &str) -> Block {
    let first = section
        .find("\"\"\"")
        .unwrap_or_else(|| panic!("{what}: no \"\"\" template"));
    let last = section.rfind("\"\"\"").unwrap();
    assert!(last > first, "{what}: unterminated \"\"\" template");
    let mut defs: Vec<(String, String)> = Vec::new();
    for line in section[..first].lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("//") {
            continue;
        }
        if let Some(d) = t.strip_prefix("def ") {
            let (name, expr) = d
                .split_once('=')
                .unwrap_or_else(|| panic!("{what}: cannot read `{t}`"));
            defs.push((name.trim().to_string(), expr.trim().to_string()));
        } else if t.starts_with('.') {
            let last = defs
                .last_mut()
                .unwrap_or_else(|| panic!("{what}: continuation `{t}` without a def"));
            last.1.push_str(t);
        } else {
            panic!("{what}: only `def` statements may precede the template, found `{t}`");
        }
    }
    Block {
        defs,
        template: section[first + 3..last].to_string(),
    }
}

/// The text between `(` at `open` and its matching `)`.
fn parenthesised(s: &str, open: usize) -> &str {
    let mut depth = 0;
    for (i, c) in s[open..].char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return &s[open + 1..open + i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses in {s}")
}

/// Split at commas outside brackets and quotes.
fn top_level_commas(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(String::new());
                continue;
            }
            _ => {}
        }
        out.last_mut().unwrap().push(c);
    }
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn parse_outputs(section: &str, what: &str) -> Vec<Output> {
    let mut out = Vec::new();
    for line in section.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parts = top_level_commas(line);
        let emit = parts
            .iter()
            .find_map(|p| p.strip_prefix("emit:"))
            .unwrap_or_else(|| panic!("{what}: output without emit: `{line}`"))
            .trim()
            .to_string();
        let optional = parts.iter().any(|p| p.replace(' ', "") == "optional:true");
        let pattern = if let Some(i) = line.find("path(") {
            parenthesised(line, i + 4)
                .trim()
                .trim_matches('"')
                .to_string()
        } else if let Some(rest) = line.strip_prefix("path ") {
            rest.split(',')
                .next()
                .unwrap()
                .trim()
                .trim_matches('"')
                .to_string()
        } else {
            panic!("{what}: output without a path: `{line}`")
        };
        out.push(Output {
            pattern,
            emit,
            optional,
        });
    }
    out
}

fn parse_process(file: &Path) -> Process {
    let text = read(file);
    let what = file.display().to_string();
    let start = text
        .find("process ")
        .unwrap_or_else(|| panic!("{what}: no process"));
    let name = text[start + 8..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let body = &text[start..text.rfind('}').unwrap()];
    let s = sections(body);
    let get = |k: &str| {
        s.get(k)
            .cloned()
            .unwrap_or_else(|| panic!("{what}: no {k}: section"))
    };
    Process {
        name,
        file: file.to_owned(),
        inputs: get("input")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("//"))
            .map(str::to_string)
            .collect(),
        outputs: parse_outputs(&get("output"), &what),
        when: get("when"),
        script: parse_block(&get("script"), &format!("{what} script")),
        stub: parse_block(&get("stub"), &format!("{what} stub")),
        text,
    }
}

/// Names an input declaration binds: `tuple val(meta), path(bam)` -> meta, bam;
/// `path catalogue` -> catalogue.
fn input_names(decl: &str) -> Vec<String> {
    let decl = decl.strip_prefix("tuple ").unwrap_or(decl);
    top_level_commas(decl)
        .iter()
        .map(|p| {
            if let Some(i) = p.find('(') {
                let inner = parenthesised(p, i);
                inner.split(',').next().unwrap().trim().to_string()
            } else {
                p.split_whitespace().nth(1).unwrap_or("").to_string()
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------
// Rendering a template as Nextflow does.

/// Groovy values of a task: `None` is null.
type Vars = BTreeMap<String, Option<String>>;

fn lookup(vars: &Vars, name: &str, what: &str) -> String {
    match vars.get(name) {
        Some(Some(v)) => v.clone(),
        Some(None) => "null".into(),
        None => panic!(
            "{what}: the lint does not know `{name}`; give it a value in tests/nextflow_lint.rs"
        ),
    }
}

/// Interpolate a GString body (`$x`, `${x}`, `$a.b`, `\$`, `\\`).
fn interpolate(s: &str, vars: &Vars, what: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\\') => out.push('\\'),
                Some('$') => out.push('$'),
                Some('"') => out.push('"'),
                Some(x) => panic!("{what}: escape \\{x} not handled by the lint"),
                None => out.push('\\'),
            },
            '$' if chars.peek() == Some(&'{') => {
                chars.next();
                let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                out.push_str(&lookup(vars, name.trim(), what));
            }
            '$' => {
                let mut name = String::new();
                while let Some(&c) = chars.peek() {
                    let ok = c.is_ascii_alphanumeric()
                        || c == '_'
                        || (c == '.'
                            && !name.is_empty()
                            && chars
                                .clone()
                                .nth(1)
                                .is_some_and(|n| n.is_ascii_alphabetic()));
                    if !ok {
                        break;
                    }
                    name.push(c);
                    chars.next();
                }
                assert!(
                    !name.is_empty(),
                    "{what}: a lone $ (write \\$ for the shell)"
                );
                out.push_str(&lookup(vars, &name, what));
            }
            c => out.push(c),
        }
    }
    out
}

/// A Groovy literal or simple expression: 'text', "gstring", a variable, `a ?: b`,
/// `a ? b : c`. Anything else must be given by the test.
fn eval(expr: &str, vars: &Vars, what: &str) -> Option<String> {
    let e = expr.trim();
    if let Some((a, b)) = e.split_once("?:") {
        return eval(a, vars, what).or_else(|| eval(b, vars, what));
    }
    if let Some((cond, rest)) = e.split_once(" ? ") {
        let (yes, no) = rest
            .split_once(" : ")
            .unwrap_or_else(|| panic!("{what}: cannot read `{e}`"));
        let truthy = eval(cond, vars, what).is_some_and(|v| !v.is_empty());
        return eval(if truthy { yes } else { no }, vars, what);
    }
    if e.len() >= 2 && e.starts_with('\'') && e.ends_with('\'') {
        return Some(e[1..e.len() - 1].to_string());
    }
    if e.len() >= 2 && e.starts_with('"') && e.ends_with('"') {
        return Some(interpolate(&e[1..e.len() - 1], vars, what));
    }
    if e.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return match vars.get(e) {
            Some(v) => v.clone(),
            None => panic!("{what}: the lint does not know `{e}`"),
        };
    }
    panic!("{what}: `{e}` is too complex for the lint; give its value in tests/nextflow_lint.rs")
}

/// Nextflow strips the common indentation of a script.
fn strip_indent(s: &str) -> String {
    let indent = s
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for l in s.lines() {
        out.push_str(l.get(indent..).unwrap_or("").trim_end());
        out.push('\n');
    }
    out.trim_start_matches('\n').to_string()
}

/// Render a block: evaluate its defs (those in `given` are taken as given), then the
/// template.
fn render(block: &Block, vars: &Vars, given: &Vars, what: &str) -> String {
    let mut vars = vars.clone();
    for (name, expr) in &block.defs {
        let v = match given.get(name) {
            Some(v) => v.clone(),
            None => eval(expr, &vars, &format!("{what} def {name}")),
        };
        vars.insert(name.clone(), v);
    }
    strip_indent(&interpolate(&block.template, &vars, what))
}

// ---------------------------------------------------------------------------------
// Flags.

/// Every flag `mitosieve <cmd> --help` lists.
fn help_flags(cmd: &str) -> BTreeSet<String> {
    let out = Command::new(bin()).args([cmd, "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let mut flags = BTreeSet::new();
    for line in help
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
    {
        for tok in line.split_whitespace() {
            let tok = tok.trim_end_matches(',');
            if tok.starts_with('-') {
                flags.insert(tok.split('=').next().unwrap().to_string());
            }
        }
    }
    assert!(flags.contains("--outdir"), "{help}");
    flags
}

/// Tokens that look like flags in shell or Groovy text.
fn flags_in(s: &str) -> BTreeSet<String> {
    s.split(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '(' || c == ')')
        .filter(|t| {
            t.starts_with('-')
                && t.trim_start_matches('-')
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
        })
        .map(|t| t.split('=').next().unwrap().to_string())
        .collect()
}

/// The template without the versions heredoc (which runs `mitosieve --version`).
fn without_versions(template: &str) -> String {
    match (
        template.find("cat <<-END_VERSIONS"),
        template.rfind("END_VERSIONS"),
    ) {
        (Some(a), Some(b)) if b > a => format!("{}{}", &template[..a], &template[b..]),
        _ => template.to_string(),
    }
}

// ---------------------------------------------------------------------------------
// Globs.

fn expand_braces(p: &str) -> Vec<String> {
    match (p.find('{'), p.find('}')) {
        (Some(a), Some(b)) if b > a => p[a + 1..b]
            .split(',')
            .flat_map(|alt| expand_braces(&format!("{}{alt}{}", &p[..a], &p[b + 1..])))
            .collect(),
        _ => vec![p.to_string()],
    }
}

fn wildcard(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| wildcard(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && wildcard(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && wildcard(rest, &s[1..]),
    }
}

fn glob_match(pattern: &str, name: &str) -> bool {
    expand_braces(pattern)
        .iter()
        .any(|p| wildcard(p.as_bytes(), name.as_bytes()))
}

#[test]
fn globs() {
    assert!(glob_match("*.counts.tsv.gz", "c1.counts.tsv.gz"));
    assert!(!glob_match("*.counts.tsv.gz", "c1.summary.json"));
    assert!(glob_match(
        "*_mqc.{tsv,json}",
        "mitosieve_coverage_mqc.json"
    ));
    assert!(glob_match(
        "*_mqc.{tsv,json}",
        "mitosieve_selection_mqc.tsv"
    ));
    assert!(!glob_match("*_mqc.{tsv,json}", "x_mqc.html"));
    assert!(glob_match("calls.vcf.gz", "calls.vcf.gz"));
    assert!(!glob_match("calls.vcf.gz", "calls.vcf.gz.tbi"));
}

#[test]
fn interpolation_as_nextflow() {
    let mut vars = Vars::new();
    vars.insert("args".into(), Some("--min-mapq 30".into()));
    vars.insert("task.cpus".into(), Some("4".into()));
    vars.insert("policy".into(), None);
    vars.insert("meta.id".into(), Some("c1".into()));
    assert_eq!(
        interpolate(
            "x $args \\\\\n --threads $task.cpus ${meta.id}.gz \\$(y)",
            &vars,
            "t"
        ),
        "x --min-mapq 30 \\\n --threads 4 c1.gz $(y)"
    );
    assert_eq!(
        eval("policy ? \"--policy ${policy}\" : ''", &vars, "t"),
        Some(String::new())
    );
    vars.insert("policy".into(), Some("p.toml".into()));
    assert_eq!(
        eval("policy ? \"--policy ${policy}\" : ''", &vars, "t"),
        Some("--policy p.toml".into())
    );
    vars.insert("task.ext.args".into(), None);
    assert_eq!(eval("task.ext.args ?: ''", &vars, "t"), Some(String::new()));
    assert_eq!(strip_indent("\n    a\n      b\n"), "a\n  b\n");
    assert_eq!(
        flags_in("mitosieve call \\\n --threads 2 -o . \"--targets ${x}\" $(a --version | sed 's/^m //')"),
        ["--targets", "--threads", "--version", "-o"].iter().map(|s| s.to_string()).collect()
    );
}

// ---------------------------------------------------------------------------------
// Running a block in a task directory.

/// Run a rendered script with bash in `dir`, `mitosieve` of this build on PATH.
fn run_script(script: &str, dir: &Path, what: &str) {
    let sh = dir.with_extension("command.sh");
    std::fs::write(&sh, script).unwrap();
    let path = format!(
        "{}:{}",
        bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-euo", "pipefail"])
        .arg(&sh)
        .current_dir(dir)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{what} failed:\n{script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Files in a task directory (recursively, relative), without the staged inputs.
fn written(dir: &Path, staged: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            if staged.contains(&rel) {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(rel);
            }
        }
    }
    out
}

/// Every non-optional output is matched; every file written is declared.
fn check_outputs(p: &Process, files: &BTreeSet<String>, what: &str) {
    for o in &p.outputs {
        let hits = files.iter().filter(|f| glob_match(&o.pattern, f)).count();
        assert!(
            o.optional || hits > 0,
            "{what}: output `{}` (emit {}) is declared but the command wrote no such file; it wrote {files:?}",
            o.pattern,
            o.emit
        );
    }
    for f in files {
        assert!(
            p.outputs.iter().any(|o| glob_match(&o.pattern, f)),
            "{what}: the command writes {f}, which no output of {} declares",
            p.name
        );
    }
}

/// Stage `files` into `dir` (as symlinks, as Nextflow does) under the given names.
fn stage(dir: &Path, files: &[(String, PathBuf)]) -> BTreeSet<String> {
    std::fs::create_dir_all(dir).unwrap();
    let mut staged = BTreeSet::new();
    for (name, src) in files {
        let dst = dir.join(name);
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).unwrap();
            if parent != dir {
                staged.insert(
                    parent
                        .strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
        std::os::unix::fs::symlink(src.canonicalize().unwrap(), &dst).unwrap();
        staged.insert(name.clone());
    }
    staged
}

fn task_vars(process: &str, cpus: u32) -> Vars {
    let mut v = Vars::new();
    v.insert("task.process".into(), Some(process.into()));
    v.insert("task.cpus".into(), Some(cpus.to_string()));
    v.insert("task.ext.args".into(), None);
    v.insert("task.ext.prefix".into(), None);
    v.insert("task.ext.when".into(), None);
    v
}

fn module(cmd: &str) -> Process {
    parse_process(&root().join(format!("modules/mitosieve/{cmd}/main.nf")))
}

// ---------------------------------------------------------------------------------
// The checks.

#[test]
fn modules_follow_nf_core_conventions() {
    for cmd in ["count", "call", "select"] {
        let p = module(cmd);
        let what = p.file.display().to_string();
        assert_eq!(
            p.name,
            format!("MITOSIEVE_{}", cmd.to_uppercase()),
            "{what}"
        );
        assert!(
            p.text.contains("tag \"$meta.id\""),
            "{what}: tag \"$meta.id\""
        );
        assert!(
            p.text.contains("label 'process_"),
            "{what}: a process_* label"
        );
        assert!(
            p.when.contains("task.ext.when == null || task.ext.when"),
            "{what}: when: task.ext.when"
        );
        assert!(
            p.script
                .defs
                .iter()
                .any(|(n, e)| n == "args" && e.starts_with("task.ext.args")),
            "{what}: def args = task.ext.args ?: ''"
        );
        assert!(p.script.template.contains("$args"), "{what}: $args passed");
        assert!(
            p.inputs[0].starts_with("tuple val(meta)"),
            "{what}: the first input is a meta tuple"
        );
        let versions = p
            .outputs
            .iter()
            .find(|o| o.emit == "versions")
            .unwrap_or_else(|| panic!("{what}: emit versions"));
        assert_eq!(versions.pattern, "versions.yml");
        for o in p.outputs.iter().filter(|o| o.emit != "versions") {
            assert!(
                p.text
                    .lines()
                    .any(|l| l.contains(&format!("emit: {}", o.emit))
                        && l.contains("tuple val(meta)")),
                "{what}: output {} carries meta",
                o.emit
            );
        }
        for b in [&p.script, &p.stub] {
            assert!(
                b.template.contains("cat <<-END_VERSIONS > versions.yml")
                    && b.template.contains("\"${task.process}\":")
                    && b.template
                        .contains("mitosieve: \\$(mitosieve --version | sed 's/^mitosieve //')"),
                "{what}: versions.yml as nf-core writes it"
            );
        }
        assert!(
            p.script.template.contains(&format!("mitosieve {cmd} ")),
            "{what}: runs mitosieve {cmd}"
        );
        if cmd != "select" {
            assert!(
                p.script.template.contains("--threads $task.cpus"),
                "{what}: --threads $task.cpus"
            );
        }
    }
}

#[test]
fn module_flags_exist_in_the_cli() {
    let global = help_flags("count")
        .into_iter()
        .filter(|f| f == "--version" || f == "-V")
        .collect::<BTreeSet<_>>();
    assert!(global.contains("--version"));
    for cmd in ["count", "call", "select"] {
        let p = module(cmd);
        let known = help_flags(cmd);
        let mut text = without_versions(&p.script.template);
        for (_, e) in &p.script.defs {
            text.push('\n');
            text.push_str(e);
        }
        let used = flags_in(&text);
        assert!(used.contains("--outdir"), "{}: --outdir", p.file.display());
        for f in &used {
            assert!(
                known.contains(f),
                "{}: passes {f}, which `mitosieve {cmd} --help` does not list",
                p.file.display()
            );
        }
        for f in flags_in(&p.text[p.text.find("cat <<-END_VERSIONS").unwrap()..]) {
            assert!(
                global.contains(&f),
                "{}: {f} in versions.yml",
                p.file.display()
            );
        }
    }
}

#[test]
fn meta_yml_matches_the_modules() {
    for cmd in ["count", "call", "select"] {
        let p = module(cmd);
        let path = root().join(format!("modules/mitosieve/{cmd}/meta.yml"));
        let meta = read(&path);
        let what = path.display().to_string();
        assert!(
            meta.starts_with(&format!("name: \"mitosieve_{cmd}\"")),
            "{what}: name"
        );
        let (inputs, outputs) = meta
            .split_once("\noutput:\n")
            .unwrap_or_else(|| panic!("{what}: output:"));
        let inputs = inputs
            .split_once("\ninput:\n")
            .unwrap_or_else(|| panic!("{what}: input:"))
            .1;
        let outputs = outputs.split("\nauthors:").next().unwrap();
        // Inputs: every name a channel binds, in order.
        let listed: Vec<String> = inputs
            .lines()
            .filter(|l| l.trim_start().starts_with("- "))
            .map(|l| {
                l.trim_start()
                    .trim_start_matches("- ")
                    .trim_start_matches("- ")
                    .trim_end_matches(':')
                    .to_string()
            })
            .collect();
        let declared: Vec<String> = p.inputs.iter().flat_map(|d| input_names(d)).collect();
        assert_eq!(listed, declared, "{what}: inputs");
        // Outputs: each emit with its pattern.
        let mut emits: Vec<(String, String)> = Vec::new();
        for l in outputs.lines() {
            if l.len() > 2 && l.starts_with("  ") && !l.starts_with("   ") && l.ends_with(':') {
                emits.push((l.trim().trim_end_matches(':').to_string(), String::new()));
            } else if let Some(e) = emits.last_mut() {
                let t = l
                    .trim_start()
                    .trim_start_matches("- ")
                    .trim_start_matches("- ");
                if e.1.is_empty() && t.ends_with(':') && t != "meta:" {
                    e.1 = t.trim_end_matches(':').trim_matches('"').to_string();
                }
            }
        }
        let from_nf: Vec<(String, String)> = p
            .outputs
            .iter()
            .map(|o| (o.emit.clone(), o.pattern.clone()))
            .collect();
        assert_eq!(emits, from_nf, "{what}: outputs (emit, pattern)");
    }
}

#[test]
fn modules_run_on_the_bundled_plate() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path();
    let plate = root().join("test-data/plate");
    let mut bams: Vec<PathBuf> = std::fs::read_dir(&plate)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "bam"))
        .collect();
    bams.sort();
    assert!(bams.len() >= 3);
    let version = format!("mitosieve: {}", env!("CARGO_PKG_VERSION"));

    // Scatter: one MITOSIEVE_COUNT task per BAM.
    let count = module("count");
    let mut counts: Vec<PathBuf> = Vec::new();
    for bam in &bams {
        let id = bam.file_stem().unwrap().to_str().unwrap().to_string();
        let bam_name = bam.file_name().unwrap().to_str().unwrap().to_string();
        let bai = format!("{bam_name}.bai");
        let dir = work.join(format!("count-{id}"));
        let staged = stage(
            &dir,
            &[
                (bam_name.clone(), bam.clone()),
                (bai.clone(), plate.join(&bai)),
            ],
        );
        let mut vars = task_vars("MITOSIEVE_COUNT", 2);
        vars.insert("meta.id".into(), Some(id.clone()));
        vars.insert("bam".into(), Some(bam_name));
        vars.insert("index".into(), Some(bai));
        vars.insert("fasta".into(), None);
        let script = render(&count.script, &vars, &Vars::new(), "count script");
        run_script(&script, &dir, "MITOSIEVE_COUNT");
        let files = written(&dir, &staged);
        check_outputs(&count, &files, "MITOSIEVE_COUNT");
        assert!(read(&dir.join("versions.yml")).contains(&version));
        counts.extend(
            files
                .iter()
                .filter(|f| f.ends_with(".counts.tsv.gz"))
                .map(|f| dir.join(f)),
        );
        // The stub writes what the module declares, too.
        let stub_dir = work.join(format!("count-stub-{id}"));
        std::fs::create_dir_all(&stub_dir).unwrap();
        run_script(
            &render(&count.stub, &vars, &Vars::new(), "count stub"),
            &stub_dir,
            "MITOSIEVE_COUNT stub",
        );
        check_outputs(
            &count,
            &written(&stub_dir, &BTreeSet::new()),
            "MITOSIEVE_COUNT stub",
        );
    }
    assert_eq!(counts.len(), bams.len());

    // Gather: MITOSIEVE_CALL, counts staged as counts/* in reverse order; `inputs` is
    // what the module's Groovy makes of them (name order).
    let call = module("call");
    let dir = work.join("call");
    let staging: Vec<(String, PathBuf)> = counts
        .iter()
        .rev()
        .map(|p| {
            (
                format!("counts/{}", p.file_name().unwrap().to_str().unwrap()),
                p.clone(),
            )
        })
        .collect();
    let staged = stage(&dir, &staging);
    let mut names: Vec<&String> = staging.iter().map(|(n, _)| n).collect();
    names.sort_by_key(|n| n.trim_end_matches(".counts.tsv.gz").to_string());
    let mut vars = task_vars("MITOSIEVE_CALL", 2);
    vars.insert("meta.id".into(), Some("plate".into()));
    vars.insert("counts".into(), Some("(staged)".into()));
    vars.insert("catalogue".into(), None);
    let mut given = Vars::new();
    given.insert(
        "inputs".into(),
        Some(
            names
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
    );
    let script = render(&call.script, &vars, &given, "call script");
    run_script(&script, &dir, "MITOSIEVE_CALL");
    check_outputs(&call, &written(&dir, &staged), "MITOSIEVE_CALL");
    assert!(read(&dir.join("versions.yml")).contains(&version));
    let calls_json = dir.join("calls.json");
    let stub_dir = work.join("call-stub");
    std::fs::create_dir_all(&stub_dir).unwrap();
    run_script(
        &render(&call.stub, &vars, &given, "call stub"),
        &stub_dir,
        "MITOSIEVE_CALL stub",
    );
    check_outputs(
        &call,
        &written(&stub_dir, &BTreeSet::new()),
        "MITOSIEVE_CALL stub",
    );

    // MITOSIEVE_SELECT with the bundled policy.
    let select = module("select");
    let dir = work.join("select");
    let staged = stage(
        &dir,
        &[
            ("calls.json".into(), calls_json),
            ("policy.toml".into(), root().join("test-data/policy.toml")),
        ],
    );
    let mut vars = task_vars("MITOSIEVE_SELECT", 1);
    vars.insert("meta.id".into(), Some("plate".into()));
    vars.insert("calls_json".into(), Some("calls.json".into()));
    vars.insert("policy".into(), Some("policy.toml".into()));
    vars.insert("donor".into(), None);
    let script = render(&select.script, &vars, &Vars::new(), "select script");
    assert!(script.contains("--policy policy.toml"), "{script}");
    run_script(&script, &dir, "MITOSIEVE_SELECT");
    check_outputs(&select, &written(&dir, &staged), "MITOSIEVE_SELECT");
    assert!(read(&dir.join("versions.yml")).contains(&version));
    let sel = read(&dir.join("selection.tsv"));
    assert_eq!(sel.lines().count(), bams.len() + 1, "{sel}");
    let stub_dir = work.join("select-stub");
    std::fs::create_dir_all(&stub_dir).unwrap();
    run_script(
        &render(&select.stub, &vars, &Vars::new(), "select stub"),
        &stub_dir,
        "MITOSIEVE_SELECT stub",
    );
    check_outputs(
        &select,
        &written(&stub_dir, &BTreeSet::new()),
        "MITOSIEVE_SELECT stub",
    );
}

#[test]
fn pipeline_uses_the_modules_as_declared() {
    let path = root().join("nextflow/main.nf");
    let text = read(&path);
    let mut included = 0;
    for line in text.lines().filter(|l| l.starts_with("include {")) {
        let name = line[9..line.find('}').unwrap()].trim().to_string();
        let from = line.split('\'').nth(1).expect("include ... from '...'");
        let file = path.parent().unwrap().join(format!("{from}.nf"));
        assert!(file.is_file(), "{line}: {} does not exist", file.display());
        let p = parse_process(&file);
        assert_eq!(p.name, name, "{line}");
        // Called with one argument per input channel.
        let call = text
            .find(&format!("{name}("))
            .unwrap_or_else(|| panic!("{}: {name} is never called", path.display()));
        let args = top_level_commas(parenthesised(&text, call + name.len()));
        assert_eq!(
            args.len(),
            p.inputs.len(),
            "{}: {name} is called with {args:?} but declares the inputs {:?}",
            path.display(),
            p.inputs
        );
        // Every emit the pipeline reads exists.
        for (i, _) in text.match_indices(&format!("{name}.out.")) {
            let emit: String = text[i + name.len() + 5..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(
                p.outputs.iter().any(|o| o.emit == emit),
                "{}: {name}.out.{emit} is not an emit of {name}",
                path.display()
            );
        }
        included += 1;
    }
    assert_eq!(
        included,
        3,
        "{}: includes the three modules",
        path.display()
    );
    let config = read(&root().join("nextflow/nextflow.config"));
    for param in [
        "input", "outdir", "run_id", "fasta", "targets", "policy", "donor",
    ] {
        assert!(
            text.contains(&format!("params.{param}")),
            "params.{param} is unused"
        );
        assert!(
            config.contains(&format!("    {param} ")),
            "nextflow.config does not set params.{param}"
        );
    }
}
