//! The report of `mitosieve run`: `report.html` (every clone, every plot, nothing
//! fetched from anywhere, hostile clone names escaped), checked as text, in a real
//! headless browser (Debian's `chromium`) and the MultiQC custom content checked with
//! MultiQC itself.
//!
//! Data: `$MITOSIEVE_TEST_DATA/sim_clones/*.bam` when the variable is set (the issue's
//! seven-clone plate), else the bundled `test-data/plate/*.bam`; SKIP when neither is
//! there. The browser test SKIPs when `chromium` is missing (`apt-get install chromium`;
//! `$MITOSIEVE_CHROMIUM` names another binary), the MultiQC test when `multiqc` is not
//! on PATH (`pip install multiqc`). Set `$MITOSIEVE_REPORT_SCREENSHOT=<file.png>` to
//! keep the browser's screenshot.
//!
//! ## How "no network request" is checked
//! The page carries a Content-Security-Policy of `default-src 'none'`, so a browser
//! would refuse any fetch; the test must therefore detect *attempts*, not only
//! requests that got through. Chromium runs with
//! 1. `--host-resolver-rules="MAP * ~NOTFOUND"`: no host name resolves, so nothing can
//!    leave the machine whatever happens;
//! 2. `--log-net-log=<file>`: Chromium's own log of its network stack. Every URL request
//!    it starts is a `URL_REQUEST_START_JOB` event with the URL, its `initiator` and
//!    its `network_isolation_key`. Requests made for the page have the page's opaque
//!    file origin as initiator (`"null"`) and a `file://` isolation key; the browser's
//!    own background traffic (component updates, network time, sign-in — not all of
//!    it is switched off by the flags) has initiator `"not an origin"` and no `file://`
//!    key. The test fails on any page request whose URL is not `file:` or `data:`;
//! 3. `--enable-logging=stderr`: console messages reach stderr, so a fetch refused by
//!    the CSP ("violates the following Content Security Policy directive") and any
//!    script error fail the test too.
//!
//! A positive control proves the detector works with the installed Chromium: a page
//! with an `<img src="http://…">` and no CSP must be flagged, or the test fails
//! (rather than passing because the net-log format changed).
//!
//! ## How "no label overlaps another" is checked
//! A copy of the page with one more inline script is opened in the same isolated
//! Chromium: the script takes the box of every upright `<text>` of every plot with
//! `getBBox()` (so with the font the browser really chose) and writes each pair that
//! overlaps, and each label that leaves its plot, into the DOM, which the test reads
//! back with `--dump-dom`. It runs on the report and on a crowded page made from it
//! (35 clones, long, wide and non-ASCII names, a five-digit depth scale).

mod common;

use common::note;
use mitosieve::call::read_report;
use mitosieve::report::{html_escape, render_html, selection_mqc_tsv};
use mitosieve::select::{read_selection, Selection};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

/// Every plot of the report.
const PLOTS: &[&str] = &[
    "verdict-table",
    "target-loads",
    "coverage",
    "heatmap",
    "deletions",
];

/// A clone name that runs script if anything forgets to escape it.
const HOSTILE: &str = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>";

fn bams_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bam"))
        .collect();
    v.sort();
    v
}

/// The clone BAMs: `sim_clones` when `$MITOSIEVE_TEST_DATA` is set, else the bundled
/// plate; `None` when neither exists.
fn plate() -> Option<(String, Vec<PathBuf>)> {
    // The public plate where the data directory is there; the bundled one otherwise
    // (the report tests need no external data).
    if let Some(d) = std::env::var_os("MITOSIEVE_TEST_DATA").map(PathBuf::from) {
        if d.is_dir() {
            return Some((
                "sim_clones".into(),
                bams_in(&common::need(&d, "sim_clones")),
            ));
        }
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-data/plate");
    if dir.is_dir() {
        let b = bams_in(&dir);
        if !b.is_empty() {
            return Some(("test-data/plate".into(), b));
        }
    }
    None
}

/// Remove run directories of earlier test processes (older than an hour).
fn sweep_old_runs(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if old && e.file_name().to_string_lossy().starts_with("report-run-") {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// One `mitosieve run` per test process, shared by the tests; `None` (after a SKIP
/// line) without data.
fn run_dir(test: &str) -> Option<&'static Path> {
    static RUN: OnceLock<Option<PathBuf>> = OnceLock::new();
    let dir = RUN.get_or_init(|| {
        let (label, bams) = plate()?;
        let parent = Path::new(env!("CARGO_TARGET_TMPDIR"));
        sweep_old_runs(parent);
        let out = parent.join(format!("report-run-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let t = Instant::now();
        let o = Command::new(env!("CARGO_BIN_EXE_mitosieve"))
            .arg("run")
            .args(&bams)
            .arg("-o")
            .arg(&out)
            .args(["--quiet", "--threads", "2"])
            .output()
            .expect("run mitosieve");
        assert!(
            o.status.success(),
            "mitosieve run failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        note(&format!(
            "report tests: mitosieve run on {label} ({} clones) took {:.1} s",
            bams.len(),
            t.elapsed().as_secs_f64()
        ));
        Some(out)
    });
    if dir.is_none() {
        common::skip(
            test,
            "no clone data (set MITOSIEVE_TEST_DATA, or generate test-data/plate)",
        );
    }
    dir.as_deref()
}

fn selection(dir: &Path) -> Selection {
    read_selection(&dir.join("selection.json")).expect("selection.json")
}

/// The values of attribute `name` (preceded by white space, any quoting).
fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let pat = format!("{name}=");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&pat) {
        let at = from + i;
        from = at + pat.len();
        let before = lower[..at].chars().next_back();
        if !before.is_some_and(|c| c.is_ascii_whitespace()) {
            continue;
        }
        let rest = html[from..].trim_start();
        let v = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
            _ => rest
                .split(|c: char| c.is_ascii_whitespace() || c == '>')
                .next()
                .unwrap_or(""),
        };
        out.push(v.trim().to_string());
    }
    out
}

/// Every way a page could pull in something from elsewhere, found in `html`.
fn external_references(html: &str) -> Vec<String> {
    let mut bad = Vec::new();
    for attr in [
        "src",
        "href",
        "xlink:href",
        "action",
        "formaction",
        "poster",
        "srcset",
        "background",
        "data",
        "ping",
        "manifest",
    ] {
        for v in attribute_values(html, attr) {
            let l = v.to_ascii_lowercase();
            if !(l.starts_with('#') || l.starts_with("data:")) {
                bad.push(format!("{attr}={v}"));
            }
        }
    }
    // CSS references: url(...) other than a fragment or data, and @import.
    let lower = html.to_ascii_lowercase();
    for (i, _) in lower.match_indices("url(") {
        let v = lower[i + 4..].trim_start_matches(['"', '\'', ' ']);
        if !(v.starts_with('#') || v.starts_with("data:")) {
            bad.push(format!("url({}", &v[..v.len().min(40)]));
        }
    }
    for tag in [
        "@import", "<link", "<iframe", "<object", "<embed", "<img", "<base",
    ] {
        if lower.contains(tag) {
            bad.push(tag.to_string());
        }
    }
    for scheme in ["http://", "https://", "ftp://", "ws://", "wss://"] {
        if lower.contains(scheme) {
            bad.push(scheme.to_string());
        }
    }
    bad
}

fn assert_has_clones_and_plots(html: &str, sel: &Selection, what: &str) {
    for p in PLOTS {
        assert!(
            html.contains(&format!("data-plot=\"{p}\"")),
            "{what}: plot {p} missing"
        );
    }
    for c in &sel.clones {
        let attr = format!("data-clone=\"{}\"", html_escape(&c.clone));
        // Verdict row, target card and its plot, coverage track, heatmap row, deletion row.
        let n = html.matches(&attr).count();
        assert!(n >= 5, "{what}: {} appears {n} times", c.clone);
        assert!(
            html.contains(&format!(
                "data-plot=\"target-loads\" data-clone=\"{}\"",
                html_escape(&c.clone)
            )),
            "{what}: target plot of {}",
            c.clone
        );
    }
}

/// The verdict table's "decisive item" of every clone is what decided its verdict: an
/// item of the clone's own verdict for a FAIL or INCONCLUSIVE (never a target below its
/// maximum beside a clone that failed on its deletion or a rule), the target with the
/// highest upper bound for a PASS; and its numbers are labelled (load, upper bound,
/// max), so that the bound cannot be read as the load.
fn assert_decisive_items(html: &str, sel: &Selection) {
    for c in &sel.clones {
        let row = html
            .find(&format!("data-clone=\"{}\"><td", html_escape(&c.clone)))
            .unwrap_or_else(|| panic!("no verdict row for {}", c.clone));
        let cell = row + html[row..].find("<td class=\"worst\"").expect("worst cell");
        let cell = &html[cell..cell + html[cell..].find("</td>").unwrap()];
        let verdict = c.verdict.as_str();
        match c.verdict {
            mitosieve::select::Verdict::Pass => assert!(
                cell.contains("data-item=\"target\" data-item-verdict=\"PASS\""),
                "{}: {cell}",
                c.clone
            ),
            _ => assert!(
                cell.contains(&format!("data-item-verdict=\"{verdict}\"")),
                "{} is {verdict} but its decisive item is not: {cell}",
                c.clone
            ),
        }
        if cell.contains("data-item=\"target\"") || cell.contains("data-item=\"deletion\"") {
            for label in ["load ", "upper bound ", "· max "] {
                assert!(
                    cell.contains(label),
                    "{}: '{label}' missing in {cell}",
                    c.clone
                );
            }
        }
        if c.verdict != mitosieve::select::Verdict::Pass {
            assert!(
                !cell.contains("below max"),
                "{} ({verdict}) shows an item below its maximum: {cell}",
                c.clone
            );
        }
    }
}

/// Runs of four or more digits that stand alone (counts, depths) in the text a reader
/// sees: every one should have thousands separators. Names (`m.8470_13446del`),
/// decimals, dates and exponents are not counts; the verbatim TOML blocks, the style
/// sheet and the script are not read as prose.
fn ungrouped_counts(html: &str) -> Vec<String> {
    let mut s = html.to_string();
    for (open, close) in [
        ("<style", "</style>"),
        ("<script", "</script>"),
        ("<pre", "</pre>"),
    ] {
        while let Some(a) = s.find(open) {
            let b = a + s[a..].find(close).expect("closed") + close.len();
            s.replace_range(a..b, " ");
        }
    }
    let mut text = String::new();
    let mut in_tag = false;
    for ch in s.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let chars: Vec<char> = text.chars().collect();
    let mut bad = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let before = start.checked_sub(1).map(|k| chars[k]);
        let after = chars.get(i).copied();
        let after2 = chars.get(i + 1).copied();
        let glued_before = before.is_some_and(|c| {
            c.is_alphanumeric() || matches!(c, '.' | '_' | ',' | '-' | '/' | ':' | '+' | '#' | '&')
        });
        let glued_after = match after {
            Some('x') => after2.is_some_and(char::is_alphanumeric),
            Some(c) if c.is_alphanumeric() => true,
            Some('-' | '/' | ':' | '_' | ',' | '.') => after2.is_some_and(|c| c.is_ascii_digit()),
            _ => false,
        };
        if i - start >= 4 && !glued_before && !glued_after && chars[start] != '0' {
            let from = start.saturating_sub(30);
            bad.push(chars[from..(i + 10).min(chars.len())].iter().collect());
        }
    }
    bad
}

#[test]
fn report_has_every_clone_and_plot_and_references_nothing() {
    let Some(dir) = run_dir("report_has_every_clone_and_plot_and_references_nothing") else {
        return;
    };
    let sel = selection(dir);
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_has_clones_and_plots(&html, &sel, "report.html");
    let bad = external_references(&html);
    assert!(bad.is_empty(), "external references: {bad:?}");
    assert!(
        html.contains("content=\"default-src 'none';"),
        "Content-Security-Policy missing"
    );
    // The header counts, and the policy and provenance blocks.
    for (v, n) in mitosieve::select::tally(&sel) {
        assert!(
            html.contains(&format!("data-count=\"{v}\"><svg"))
                && html.contains(&format!(
                    "<span class=\"num\">{n}</span><span class=\"lbl\">{v}</span>"
                )),
            "count of {v}"
        );
    }
    assert_decisive_items(&html, &sel);
    assert!(
        !html.contains("0 other heteroplasm"),
        "'0 other heteroplasmies' said"
    );
    let bare = ungrouped_counts(&html);
    assert!(bare.is_empty(), "counts without separators: {bare:?}");
    assert!(html.contains("data-block=\"policy\""));
    assert!(html.contains("data-block=\"provenance\""));
    assert!(html.contains(&html_escape(&sel.policy.to_toml())));
    // The MultiQC files beside it.
    let tsv = std::fs::read_to_string(dir.join("mitosieve_selection_mqc.tsv")).unwrap();
    assert!(tsv.contains("# plot_type: 'table'"));
    for c in &sel.clones {
        assert!(
            tsv.lines()
                .any(|l| l.starts_with(&format!("{}\t{}\t", c.clone, c.verdict.as_str()))),
            "{} in the MultiQC table",
            c.clone
        );
    }
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("mitosieve_coverage_mqc.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["plot_type"], "linegraph");
    assert_eq!(json["data"].as_object().unwrap().len(), sel.clones.len());
}

#[test]
fn hostile_clone_names_are_escaped() {
    let Some(dir) = run_dir("hostile_clone_names_are_escaped") else {
        return;
    };
    let mut calls = read_report(&dir.join("calls.json")).expect("calls.json");
    let mut sel = selection(dir);
    let old = sel.clones[0].clone.clone();
    // Rename the first clone everywhere it is named.
    sel.clones[0].clone = HOSTILE.into();
    let set = &mut calls.calls;
    for s in set.samples.iter_mut().filter(|s| **s == old) {
        *s = HOSTILE.into();
    }
    for s in set.summaries.iter_mut().filter(|s| s.sample == old) {
        s.sample = HOSTILE.into();
    }
    for t in set.targets.iter_mut().filter(|t| t.sample == old) {
        t.sample = HOSTILE.into();
    }
    for d in set.deletions.iter_mut().filter(|d| d.sample == old) {
        d.sample = HOSTILE.into();
    }
    let html = render_html(&sel, &calls);
    assert!(!html.contains(HOSTILE), "raw hostile name in the page");
    assert!(!html.contains("<script>alert"), "script injected");
    assert!(!html.contains("<img"), "element injected");
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the page's own script"
    );
    // Escaped in the plots (the SVG builder writes ' as &#39;) and in the page's HTML
    // (maud's templates leave ' as it is: every attribute is double-quoted).
    assert!(html.contains(&html_escape(HOSTILE)));
    assert!(html.contains(&html_escape(HOSTILE).replace("&#39;", "'")));
    assert_has_clones_and_plots(&html, &sel, "hostile report");
    // The MultiQC table stays one row per clone.
    let tsv = selection_mqc_tsv(&sel);
    let rows = tsv.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(rows, 1 + sel.clones.len());
}

/// The Chromium binary, if installed.
fn chromium(test: &str) -> Option<PathBuf> {
    let p = std::env::var_os("MITOSIEVE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if p.exists() {
        Some(p)
    } else {
        common::skip(
            test,
            &format!(
                "{} not found (apt-get install chromium, or set MITOSIEVE_CHROMIUM)",
                p.display()
            ),
        );
        None
    }
}

/// Run a command, killing it after `limit`.
fn output_within(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    // Read the pipes on threads so that a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut v).ok();
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut v).ok();
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for chromium") {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("chromium did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: t_out.join().unwrap_or_default(),
        stderr: t_err.join().unwrap_or_default(),
    }
}

/// Run headless Chromium on `page` with the network isolated and logged; returns the
/// process output and the path of its net log.
fn headless(
    chromium: &Path,
    work: &Path,
    tag: &str,
    action: &[String],
    page: &Path,
) -> (Output, PathBuf) {
    let profile = work.join(format!("profile-{tag}"));
    let netlog = work.join(format!("netlog-{tag}.json"));
    let url = format!(
        "file://{}",
        page.canonicalize().expect("page path").display()
    );
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--enable-logging=stderr",
        "--v=0",
        "--net-log-capture-mode=Default",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--log-net-log={}", netlog.display()))
    .args(action)
    .arg(url);
    let out = output_within(&mut cmd, Duration::from_secs(120));
    assert!(
        out.status.success(),
        "chromium failed on {}: {}",
        page.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, netlog)
}

/// URLs of the requests Chromium started for the page (see the module docs), from its
/// net log.
fn page_requests(netlog: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(netlog)
        .unwrap_or_else(|e| panic!("no net log at {}: {e}", netlog.display()));
    // A log cut short lacks its closing brackets (Chromium documents appending them).
    let v: Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .unwrap_or_else(|e| panic!("net log {} is not JSON: {e}", netlog.display()));
    let start_job = v["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("net log names URL_REQUEST_START_JOB");
    let events = v["events"].as_array().expect("net log has events");
    let mut urls = Vec::new();
    for e in events {
        if e["type"].as_u64() != Some(start_job) {
            continue;
        }
        let p = &e["params"];
        let url = p["url"].as_str().unwrap_or("");
        let initiator = p["initiator"].as_str().unwrap_or("");
        let nik = p["network_isolation_key"].as_str().unwrap_or("");
        let for_page =
            nik.contains("file://") || initiator == "null" || initiator.starts_with("file:");
        let local = url.starts_with("file:") || url.starts_with("data:");
        if for_page && !local {
            urls.push(url.to_string());
        }
    }
    urls
}

/// Console lines that mean the page tried to fetch something or broke.
fn console_problems(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| {
            l.contains("Content Security Policy")
                || l.contains("Content-Security-Policy")
                || l.contains("Refused to")
                || (l.contains("CONSOLE") && (l.contains("Uncaught") || l.contains("Error")))
        })
        .map(str::to_string)
        .collect()
}

fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).expect("screenshot written");
    assert!(b.len() > 24 && b[..8] == *b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    (be(16), be(20))
}

/// A script that measures, in the browser, the box of every upright label of every
/// plot (`getBBox`, the font the page really got) and writes the pairs that overlap,
/// and the labels that leave their plot, into `<pre id="text-overlaps">`.
const MEASURE_LABELS: &str = r#"(function(){var out=[],n=0,svgs=document.querySelectorAll("svg[data-plot]");for(var i=0;i<svgs.length;i++){var sv=svgs[i],w=sv.viewBox.baseVal.width,ts=sv.querySelectorAll("text"),b=[];for(var j=0;j<ts.length;j++){var t=ts[j],rot=false;for(var e=t;e&&e!==sv;e=e.parentNode){if(e.getAttribute&&e.getAttribute("transform"))rot=true}if(rot||!t.textContent.trim())continue;var r=t.getBBox();b.push([r.x,r.y,r.x+r.width,r.y+r.height,t.textContent]);n++}var name=sv.getAttribute("data-plot")+"["+(sv.getAttribute("data-clone")||"")+"]";for(var j=0;j<b.length;j++){if(b[j][0]<-0.5||b[j][2]>w+0.5)out.push(name+": '"+b[j][4]+"' leaves the plot");for(var k=j+1;k<b.length;k++){var p=b[j],q=b[k],ox=Math.min(p[2],q[2])-Math.max(p[0],q[0]),oy=Math.min(p[3],q[3])-Math.max(p[1],q[1]);if(ox>0.5&&oy>0.5)out.push(name+": '"+p[4]+"' overlaps '"+q[4]+"' ("+ox.toFixed(1)+" x "+oy.toFixed(1)+" px)")}}}var pre=document.createElement("pre");pre.id="text-overlaps";pre.textContent="MEASURED "+n+" LABELS\n"+out.join("\n")+"\nEND";document.body.appendChild(pre)})();"#;

/// Open a copy of `page` with [`MEASURE_LABELS`] in headless Chromium (network
/// isolated and checked as for the report); returns how many labels it measured and
/// the overlaps it found.
fn label_overlaps(chromium: &Path, work: &Path, tag: &str, page: &Path) -> (usize, Vec<String>) {
    let html = std::fs::read_to_string(page).expect("page");
    let measured = work.join(format!("measured-{tag}.html"));
    std::fs::write(
        &measured,
        html.replacen(
            "</body>",
            &format!("<script>{MEASURE_LABELS}</script></body>"),
            1,
        ),
    )
    .unwrap();
    let (out, log) = headless(chromium, work, tag, &["--dump-dom".into()], &measured);
    let requests = page_requests(&log);
    assert!(requests.is_empty(), "{tag}: network requests: {requests:?}");
    let problems = console_problems(&out.stderr);
    assert!(problems.is_empty(), "{tag}: console: {problems:?}");
    let dom = String::from_utf8_lossy(&out.stdout);
    let at = dom
        .find("<pre id=\"text-overlaps\">")
        .map(|i| i + "<pre id=\"text-overlaps\">".len())
        .unwrap_or_else(|| panic!("{tag}: the measuring script did not run"));
    let body = &dom[at..dom[at..].find("\nEND").map_or(dom.len(), |e| at + e)];
    let mut lines = body.lines();
    let n: usize = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .expect("label count");
    (n, lines.map(str::to_string).collect())
}

/// A crowded page made from the run: 30 more clones with long, wide and non-ASCII
/// names and a five-digit depth scale.
fn crowded_page(dir: &Path, out: &Path) {
    let mut calls = read_report(&dir.join("calls.json")).expect("calls.json");
    let mut sel = selection(dir);
    let first = sel.clones[0].clone();
    let summary = calls.calls.summaries[0].clone();
    for i in 0..30 {
        let name = match i % 3 {
            0 => format!("WWWWWWWWWWWWWWWWWWWWWWWWWWWW-{i}"),
            1 => format!("klon-ü-øæå-東京-細胞株-{i}"),
            _ => format!("iPSC_line_A_clone_{i:03}_passage_12_rep1"),
        };
        let mut c = first.clone();
        c.clone = name.clone();
        c.rank = None;
        sel.clones.push(c);
        let mut s = summary.clone();
        s.sample = name;
        s.mean_depth *= 60.0;
        for b in &mut s.coverage_bins {
            *b *= 60.0;
        }
        calls.calls.summaries.push(s);
    }
    std::fs::write(out, render_html(&sel, &calls)).unwrap();
}

#[test]
fn report_renders_in_headless_chromium_without_network() {
    let test = "report_renders_in_headless_chromium_without_network";
    let Some(dir) = run_dir(test) else { return };
    let Some(chromium) = chromium(test) else {
        return;
    };
    let t = Instant::now();
    let work = tempfile::tempdir().unwrap();
    let sel = selection(dir);
    let page = dir.join("report.html");

    // Positive control: a page that does fetch must be caught by the detector.
    let control = work.path().join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><html><head><title>control</title></head><body><img src=\"http://mitosieve-control.invalid/pixel.png\"></body></html>",
    )
    .unwrap();
    let (_, log) = headless(
        &chromium,
        work.path(),
        "control",
        &["--dump-dom".into()],
        &control,
    );
    let seen = page_requests(&log);
    assert!(
        seen.iter().any(|u| u.contains("mitosieve-control.invalid")),
        "the net-log detector missed the control page's request (Chromium's net-log format changed?): {seen:?}"
    );

    // The DOM after scripts ran: every clone and plot, and the sorting script ran
    // (it makes the headings focusable).
    let (out, log) = headless(&chromium, work.path(), "dom", &["--dump-dom".into()], &page);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert_has_clones_and_plots(&dom, &sel, "rendered DOM");
    assert!(
        dom.contains("title=\"Sort by this column\""),
        "the table script did not run"
    );
    let requests = page_requests(&log);
    assert!(
        requests.is_empty(),
        "the page made network requests: {requests:?}"
    );
    let problems = console_problems(&out.stderr);
    assert!(problems.is_empty(), "console: {problems:?}");

    // No label of any plot overlaps another or leaves its plot, as the browser lays
    // them out: in the report, and in a crowded page made from it.
    let (n, overlaps) = label_overlaps(&chromium, work.path(), "measure", &page);
    assert!(n > 50, "only {n} labels measured");
    assert!(overlaps.is_empty(), "report.html: {overlaps:#?}");
    let crowded = work.path().join("crowded.html");
    crowded_page(dir, &crowded);
    let (n, overlaps) = label_overlaps(&chromium, work.path(), "crowded", &crowded);
    assert!(n > 150, "only {n} labels measured in the crowded page");
    assert!(overlaps.is_empty(), "crowded page: {overlaps:#?}");

    // A screenshot, with the same isolation and checks.
    let png = work.path().join("report.png");
    let (out, log) = headless(
        &chromium,
        work.path(),
        "shot",
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1400,3000".into(),
        ],
        &page,
    );
    assert_eq!(png_size(&png), (1400, 3000));
    assert!(
        std::fs::metadata(&png).unwrap().len() > 50_000,
        "blank screenshot?"
    );
    let requests = page_requests(&log);
    assert!(
        requests.is_empty(),
        "the page made network requests: {requests:?}"
    );
    let problems = console_problems(&out.stderr);
    assert!(problems.is_empty(), "console: {problems:?}");
    if let Some(keep) = std::env::var_os("MITOSIEVE_REPORT_SCREENSHOT") {
        std::fs::copy(&png, &keep).expect("copy the screenshot");
        note(&format!(
            "report screenshot: {}",
            PathBuf::from(keep).display()
        ));
    }
    note(&format!(
        "{test}: chromium checks took {:.1} s",
        t.elapsed().as_secs_f64()
    ));
}

#[test]
fn multiqc_finds_the_mitosieve_section() {
    let test = "multiqc_finds_the_mitosieve_section";
    let Some(dir) = run_dir(test) else { return };
    if !common::have_tool(test, "multiqc", "pip install multiqc") {
        return;
    }
    let t = Instant::now();
    let sel = selection(dir);
    let out = tempfile::tempdir().unwrap();
    let o = Command::new("multiqc")
        .arg(dir)
        .arg("-o")
        .arg(out.path())
        .args(["--no-ansi", "--no-version-check", "--force"])
        .output()
        .expect("run multiqc");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "multiqc failed: {log}");
    assert!(log.contains("mitosieve_selection"), "{log}");
    let data: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("multiqc_data/multiqc_data.json"))
            .expect("multiqc_data.json"),
    )
    .unwrap();
    let plots = &data["report_plot_data"];
    assert!(
        plots.get("mitosieve_selection_table").is_some(),
        "no selection table"
    );
    let coverage = &plots["mitosieve_coverage_plot"];
    let lines = coverage["datasets"][0]["lines"]
        .as_array()
        .expect("coverage lines");
    assert_eq!(lines.len(), sel.clones.len());
    // x is numeric (positions), not text sorted as categories.
    assert!(
        lines[0]["pairs"][0][0].is_number(),
        "{}",
        lines[0]["pairs"][0]
    );
    let table = std::fs::read_to_string(
        out.path()
            .join("multiqc_data/multiqc_mitosieve_selection_table.txt"),
    )
    .expect("table data");
    for c in &sel.clones {
        assert!(
            table
                .lines()
                .any(|l| l.starts_with(&format!("{}\t{}", c.clone, c.verdict.as_str()))),
            "{} in {table}",
            c.clone
        );
    }
    let report = std::fs::read_to_string(out.path().join("multiqc_report.html")).unwrap();
    assert!(report.contains("Clone selection") && report.contains("mitosieve"));
    note(&format!(
        "{test}: multiqc took {:.1} s",
        t.elapsed().as_secs_f64()
    ));
}
