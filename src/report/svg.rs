//! Small building blocks for the inline SVG plots of the report and of `plan`: an SVG
//! builder ([`Svg`]) that escapes every attribute value and text itself, scales,
//! ticks, number formats and colour-blind-safe colours. No dependency.

use std::fmt::Write as _;

/// A value of an SVG attribute: text is escaped ([`esc`]), a coordinate (`f64`) is
/// written with at most one decimal ([`n1`]), an integer as it is.
pub trait AttrValue {
    /// Append the value, escaped, to `out`.
    fn write_to(&self, out: &mut String);
}

impl AttrValue for f64 {
    fn write_to(&self, out: &mut String) {
        out.push_str(&n1(*self));
    }
}

impl AttrValue for &str {
    fn write_to(&self, out: &mut String) {
        push_escaped(out, self);
    }
}

impl AttrValue for String {
    fn write_to(&self, out: &mut String) {
        push_escaped(out, self);
    }
}

impl AttrValue for &String {
    fn write_to(&self, out: &mut String) {
        push_escaped(out, self);
    }
}

macro_rules! int_attr {
    ($($t:ty),*) => {$(
        impl AttrValue for $t {
            fn write_to(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
int_attr!(u32, u64, usize, i32, i64);

/// An SVG document or fragment under construction. Elements are started with
/// [`Svg::el`] (or a shortcut: [`Svg::line`], [`Svg::rect`], [`Svg::text`] …), given
/// attributes in the order they are written, and then either closed empty (`/>`, which
/// happens when the [`Tag`] is dropped), given escaped text ([`Tag::text`]) or opened
/// for children ([`Tag::open`], closed by [`Svg::close`] or [`Svg::finish`]). Every
/// attribute value and text goes through [`esc`] here, so a caller never escapes.
///
/// (The type is crate-internal: the example is not a doctest; the unit tests below
/// check the same.)
///
/// ```ignore
/// let mut s = Svg::new();
/// s.el("svg").attr("width", 20.0).attr("height", 10.0).open();
/// s.line(0.0, 20.0, 5.0, 5.0).attr("stroke", "#000");
/// s.text(2.0, 9.0).text("a<b");
/// assert_eq!(
///     s.finish(),
///     "<svg width=\"20\" height=\"10\"><line x1=\"0\" x2=\"20\" y1=\"5\" y2=\"5\" stroke=\"#000\"/><text x=\"2\" y=\"9\">a&lt;b</text></svg>"
/// );
/// ```
#[derive(Debug, Default)]
pub struct Svg {
    out: String,
    open: Vec<&'static str>,
}

impl Svg {
    /// An empty fragment.
    pub fn new() -> Self {
        Svg::default()
    }

    /// Start an element `<name`; its attributes follow on the returned [`Tag`].
    pub fn el(&mut self, name: &'static str) -> Tag<'_> {
        self.out.push('<');
        self.out.push_str(name);
        Tag {
            svg: self,
            name,
            done: false,
        }
    }

    /// `<line x1 x2 y1 y2 …/>`.
    pub fn line(
        &mut self,
        x1: impl AttrValue,
        x2: impl AttrValue,
        y1: impl AttrValue,
        y2: impl AttrValue,
    ) -> Tag<'_> {
        self.el("line")
            .attr("x1", x1)
            .attr("x2", x2)
            .attr("y1", y1)
            .attr("y2", y2)
    }

    /// `<rect x y width height …/>`.
    pub fn rect(
        &mut self,
        x: impl AttrValue,
        y: impl AttrValue,
        width: impl AttrValue,
        height: impl AttrValue,
    ) -> Tag<'_> {
        self.el("rect")
            .attr("x", x)
            .attr("y", y)
            .attr("width", width)
            .attr("height", height)
    }

    /// `<circle cx cy r …/>`.
    pub fn circle(&mut self, cx: impl AttrValue, cy: impl AttrValue, r: impl AttrValue) -> Tag<'_> {
        self.el("circle").attr("cx", cx).attr("cy", cy).attr("r", r)
    }

    /// `<text x y …>`: give it its content with [`Tag::text`] (or open it for `<tspan>`s).
    pub fn text(&mut self, x: impl AttrValue, y: impl AttrValue) -> Tag<'_> {
        self.el("text").attr("x", x).attr("y", y)
    }

    /// `<path d …/>`.
    pub fn path(&mut self, d: impl AttrValue) -> Tag<'_> {
        self.el("path").attr("d", d)
    }

    /// `<polyline … points/>`: the points (already formatted) go last, after the
    /// attributes set with `style`.
    pub fn polyline(&mut self, style: &[(&str, &str)], points: &[String]) {
        let mut t = self.el("polyline");
        for (k, v) in style {
            t = t.attr(k, *v);
        }
        t.attr("points", points.join(" "));
    }

    /// `<g …>`: open it for its children ([`Tag::open`]) and [`Svg::close`] it.
    pub fn group(&mut self) -> Tag<'_> {
        self.el("g")
    }

    /// `<title>text</title>` (a tooltip of the enclosing element).
    pub fn title(&mut self, text: &str) {
        self.el("title").text(text);
    }

    /// Escaped text inside the open element.
    pub fn content(&mut self, text: &str) {
        push_escaped(&mut self.out, text);
    }

    /// Markup made by another [`Svg`] (or whitespace between elements), as it is.
    pub fn raw(&mut self, markup: &str) {
        self.out.push_str(markup);
    }

    /// Close the innermost open element.
    pub fn close(&mut self) {
        if let Some(name) = self.open.pop() {
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push('>');
        }
    }

    /// Close every open element and return the markup.
    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        self.out
    }
}

/// The start tag of an element of an [`Svg`], taking attributes. Dropped as it is, the
/// element is closed empty (`/>`).
#[derive(Debug)]
pub struct Tag<'a> {
    svg: &'a mut Svg,
    name: &'static str,
    done: bool,
}

impl Tag<'_> {
    /// Add ` key="value"` (the value escaped).
    pub fn attr(self, key: &str, value: impl AttrValue) -> Self {
        let out = &mut self.svg.out;
        out.push(' ');
        out.push_str(key);
        out.push_str("=\"");
        value.write_to(out);
        out.push('"');
        self
    }

    /// Add the attribute only when `value` is `Some`.
    pub fn attr_opt(self, key: &str, value: Option<impl AttrValue>) -> Self {
        match value {
            Some(v) => self.attr(key, v),
            None => self,
        }
    }

    /// End the start tag; children follow until [`Svg::close`].
    pub fn open(mut self) {
        self.done = true;
        self.svg.out.push('>');
        self.svg.open.push(self.name);
    }

    /// End the element with `text` (escaped) as its content.
    pub fn text(mut self, text: &str) {
        self.done = true;
        let out = &mut self.svg.out;
        out.push('>');
        push_escaped(out, text);
        out.push_str("</");
        out.push_str(self.name);
        out.push('>');
    }
}

impl Drop for Tag<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.svg.out.push_str("/>");
        }
    }
}

/// Escape text for HTML and SVG, in element content and in quoted attribute values.
/// Control characters (which HTML forbids) become U+FFFD.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    push_escaped(&mut out, s);
    out
}

/// [`esc`] appending to `out`.
fn push_escaped(out: &mut String, s: &str) {
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// A coordinate with at most one decimal (keeps the SVG small and stable).
pub fn n1(x: f64) -> String {
    if !x.is_finite() {
        return "0".into();
    }
    let r = (x * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// A linear map from a data domain onto a pixel range (either may be reversed).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Linear {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Linear {
    /// Map `d0..d1` onto `r0..r1`. A zero-width domain maps everything to `r0`.
    pub fn new((d0, d1): (f64, f64), (r0, r1): (f64, f64)) -> Self {
        Linear { d0, d1, r0, r1 }
    }

    /// The pixel position of `x` (not clamped).
    pub fn at(&self, x: f64) -> f64 {
        if self.d1 == self.d0 {
            return self.r0;
        }
        self.r0 + (x - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }

    /// The pixel position of `x` clamped to the domain.
    pub fn clamped(&self, x: f64) -> f64 {
        let (lo, hi) = (self.d0.min(self.d1), self.d0.max(self.d1));
        self.at(x.clamp(lo, hi))
    }
}

/// A base-10 logarithmic map from a positive domain onto a pixel range. Values at or
/// below the domain's lower end (including 0) map to its lower end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Log10 {
    inner: Linear,
    lo: f64,
    hi: f64,
}

impl Log10 {
    /// Map `lo..hi` (both > 0, `lo < hi`) onto `r0..r1`.
    pub fn new((lo, hi): (f64, f64), range: (f64, f64)) -> Self {
        debug_assert!(lo > 0.0 && hi > lo);
        Log10 {
            inner: Linear::new((lo.log10(), hi.log10()), range),
            lo,
            hi,
        }
    }

    /// The pixel position of `x`, clamped to the domain.
    pub fn at(&self, x: f64) -> f64 {
        let x = if x.is_nan() {
            self.lo
        } else {
            x.clamp(self.lo, self.hi)
        };
        self.inner.at(x.log10())
    }

    /// Whether `x` lies below the domain (drawn at its edge).
    pub fn below(&self, x: f64) -> bool {
        x < self.lo
    }

    /// Powers of ten within the domain.
    pub fn ticks(&self) -> Vec<f64> {
        let a = self.lo.log10().ceil() as i32;
        let b = self.hi.log10().floor() as i32;
        (a..=b).map(|k| 10f64.powi(k)).collect()
    }
}

/// A "nice" step (1, 2, 2.5 or 5 times a power of ten) giving about `n` intervals over
/// `span`.
pub fn nice_step(span: f64, n: usize) -> f64 {
    if span <= 0.0 || !span.is_finite() || n == 0 {
        return 1.0;
    }
    let raw = span / n as f64;
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let f = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 2.5 {
        2.5
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    f * p
}

/// Ticks from 0 to at least `max` in nice steps (about `n` of them); the last tick is
/// the axis maximum.
pub fn nice_ticks(max: f64, n: usize) -> Vec<f64> {
    let max = if max > 0.0 && max.is_finite() {
        max
    } else {
        1.0
    };
    let step = nice_step(max, n);
    let k = (max / step - 1e-9).ceil().max(1.0) as usize;
    (0..=k).map(|i| i as f64 * step).collect()
}

/// A fraction as a percentage with as few digits as make sense (`0.07%`, `2.5%`,
/// `43%`); 0 is `0%`.
pub fn pct(f: f64) -> String {
    let p = f * 100.0;
    if p < 0.005 {
        // Rounds to 0.00%.
        "0%".into()
    } else if p < 0.1 {
        format!("{p:.2}%")
    } else if p < 1.0 {
        trim(format!("{p:.2}")) + "%"
    } else if p < 10.0 {
        trim(format!("{p:.1}")) + "%"
    } else {
        format!("{p:.0}%")
    }
}

/// A fraction as a tick label (`0.01%`, `1%`, `100%`).
pub fn pct_tick(f: f64) -> String {
    trim(format!("{:.4}", f * 100.0)) + "%"
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// An integer with thousands separators (`16,569`): the one formatter of
/// [`crate::call::thousands`].
pub fn thousands(n: u64) -> String {
    crate::call::thousands(n)
}

/// Thousands separators in the counts of a sentence written elsewhere (a reason of the
/// selection): every standalone run of four or more digits (`2464 usable reads`,
/// `about 19505150 reads`, `3000x`) gets its commas; digits that are part of a name, a
/// decimal, a date or an exponent (`m.8470_13446del`, `0.12345`, `2024-03-01`,
/// `9.8e-12`) are left alone. Already grouped numbers stay as they are.
pub fn group_digits(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        let before = start.checked_sub(1).map(|k| chars[k]);
        let after = chars.get(i).copied();
        let after2 = chars.get(i + 1).copied();
        let glued_before = before.is_some_and(|c| {
            c.is_alphanumeric() || matches!(c, '.' | '_' | ',' | '-' | '/' | ':' | '+' | '#')
        });
        let glued_after = match after {
            None => false,
            // A count of reads or a depth (`3000x`), not a word.
            Some('x') => after2.is_some_and(|c| c.is_alphanumeric()),
            Some(c) if c.is_alphanumeric() => true,
            Some('-' | '/' | ':' | '_' | ',') => after2.is_some_and(|c| c.is_ascii_digit()),
            Some('.') => after2.is_some_and(|c| c.is_ascii_digit()),
            Some(_) => false,
        };
        let decimal = after == Some('.') && after2.is_some_and(|c| c.is_ascii_digit());
        if run.len() >= 4 && !glued_before && !glued_after && !decimal && run.len() <= 19 {
            match run.parse::<u64>() {
                Ok(n) if !run.starts_with('0') => out.push_str(&thousands(n)),
                _ => out.push_str(&run),
            }
        } else {
            out.push_str(&run);
        }
    }
    out
}

/// A generous estimate of the width in pixels of `text` set at `px` pixels in the
/// page's sans-serif font (system-ui, else DejaVu Sans, the widest of the usual
/// fallbacks), for laying out SVG labels so that they never overlap. Widths per
/// character class are those of DejaVu Sans rounded up; anything outside ASCII counts
/// as a full em.
pub fn text_width(text: &str, px: f64, bold: bool) -> f64 {
    let em: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | 'I' => 0.32,
            ' ' | 'f' | 't' | 'r' | '(' | ')' | '[' | ']' | '-' | '/' => 0.42,
            'm' | 'w' | 'M' | 'W' | '%' | '@' | '…' | '—' | '–' => 1.0,
            '0'..='9' => 0.64,
            'a'..='z' => 0.63,
            'A'..='Z' => 0.78,
            c if c.is_ascii() => 0.84,
            _ => 1.0,
        })
        .sum();
    em * px * if bold { 1.1 } else { 1.0 }
}

/// `text` shortened with an ellipsis so that [`text_width`] at `px` stays within
/// `max_w` pixels (unchanged when it fits).
pub fn fit_text(text: &str, px: f64, max_w: f64) -> String {
    if text_width(text, px, false) <= max_w {
        return text.to_string();
    }
    let mut t: String = text.chars().collect();
    while !t.is_empty() {
        t.pop();
        let candidate = format!("{t}…");
        if text_width(&candidate, px, false) <= max_w {
            return candidate;
        }
    }
    "…".to_string()
}

/// Viridis (perceptually uniform and readable with every common colour-vision
/// deficiency), sampled at nine points and interpolated linearly.
const VIRIDIS: [[u8; 3]; 9] = [
    [68, 1, 84],
    [71, 44, 122],
    [59, 81, 139],
    [44, 113, 142],
    [33, 144, 141],
    [39, 173, 129],
    [92, 200, 99],
    [170, 220, 50],
    [253, 231, 37],
];

/// The viridis colour at `t` in [0, 1] as `#rrggbb`.
pub fn viridis(t: f64) -> String {
    let [r, g, b] = viridis_rgb(t);
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn viridis_rgb(t: f64) -> [u8; 3] {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let x = t * (VIRIDIS.len() - 1) as f64;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - i as f64;
    let mut out = [0u8; 3];
    for (k, o) in out.iter_mut().enumerate() {
        let a = VIRIDIS[i][k] as f64;
        let b = VIRIDIS[i + 1][k] as f64;
        *o = (a + (b - a) * f).round() as u8;
    }
    out
}

/// Whether text on the viridis colour at `t` should be dark (light background).
pub fn viridis_wants_dark_text(t: f64) -> bool {
    let [r, g, b] = viridis_rgb(t);
    // Relative luminance (sRGB, approximate).
    0.2126 * r as f64 + 0.7152 * g as f64 + 0.0722 * b as f64 > 140.0
}

/// The colour scale of allele fractions: square root, so that 1–10% (where the
/// decisions are) gets as much of the scale as 25–100%.
pub fn af_to_t(af: f64) -> f64 {
    af.clamp(0.0, 1.0).sqrt()
}

/// An SVG `<linearGradient>` (horizontal) of the viridis scale with id `id`.
pub fn viridis_gradient(id: &str) -> String {
    let mut s = Svg::new();
    s.el("linearGradient")
        .attr("id", id)
        .attr("x1", "0")
        .attr("x2", "1")
        .attr("y1", "0")
        .attr("y2", "0")
        .open();
    for i in 0..=16 {
        let t = i as f64 / 16.0;
        s.el("stop")
            .attr("offset", n1(t * 100.0) + "%")
            .attr("stop-color", viridis(t));
    }
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_writes_elements_in_order_and_closes_them() {
        let mut s = Svg::new();
        s.el("svg").attr("width", 20.0).attr("height", 10.5).open();
        s.line(0.0, 20.04, 5.0, 5.06).attr("stroke", "#000");
        s.group().attr("data-n", 3usize).open();
        s.rect(1.0, 2.0, 3.0, 4.0).open();
        s.title("t");
        s.close();
        s.text(2.0, 9.0).open();
        s.content("a ");
        s.el("tspan").attr("class", "ci").text("b");
        s.close();
        s.close();
        s.polyline(&[("fill", "none")], &["1,2".into(), "3,4".into()]);
        assert_eq!(
            s.finish(),
            "<svg width=\"20\" height=\"10.5\"><line x1=\"0\" x2=\"20\" y1=\"5\" y2=\"5.1\" stroke=\"#000\"/>\
             <g data-n=\"3\"><rect x=\"1\" y=\"2\" width=\"3\" height=\"4\"><title>t</title></rect>\
             <text x=\"2\" y=\"9\">a <tspan class=\"ci\">b</tspan></text></g>\
             <polyline fill=\"none\" points=\"1,2 3,4\"/></svg>"
        );
    }

    /// A clone name with markup and quotes is escaped once in attributes, text and
    /// titles, so it can neither close an attribute nor open an element.
    #[test]
    fn the_builder_escapes_a_hostile_clone_name_everywhere() {
        let name = "c<&\">'1";
        let mut s = Svg::new();
        s.group().attr("data-clone", name).open();
        s.title(name);
        s.text(0.0, 0.0).text(&format!("{name} at 5%"));
        let out = s.finish();
        assert_eq!(
            out,
            "<g data-clone=\"c&lt;&amp;&quot;&gt;&#39;1\"><title>c&lt;&amp;&quot;&gt;&#39;1</title>\
             <text x=\"0\" y=\"0\">c&lt;&amp;&quot;&gt;&#39;1 at 5%</text></g>"
        );
        assert!(!out.contains(name));
    }

    #[test]
    fn escaping_covers_markup_quotes_and_controls() {
        assert_eq!(
            esc("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(esc("a&b \"c\" 'd'"), "a&amp;b &quot;c&quot; &#39;d&#39;");
        assert_eq!(esc("x\u{0}y\u{7}"), "x\u{FFFD}y\u{FFFD}");
        assert_eq!(esc("m.3243A>G"), "m.3243A&gt;G");
        assert_eq!(esc("klon-ü 1"), "klon-ü 1");
        // Escaping twice is visible (not idempotent): callers escape exactly once.
        assert_eq!(esc("&amp;"), "&amp;amp;");
    }

    #[test]
    fn linear_scale_maps_ends_and_clamps() {
        let s = Linear::new((0.0, 16569.0), (100.0, 1100.0));
        assert_eq!(s.at(0.0), 100.0);
        assert_eq!(s.at(16569.0), 1100.0);
        assert!((s.at(16569.0 / 2.0) - 600.0).abs() < 1e-9);
        assert_eq!(s.clamped(-5.0), 100.0);
        assert_eq!(s.clamped(1e9), 1100.0);
        // Reversed range (y axes grow downwards).
        let y = Linear::new((0.0, 2000.0), (50.0, 10.0));
        assert_eq!(y.at(0.0), 50.0);
        assert_eq!(y.at(2000.0), 10.0);
        assert_eq!(y.at(1000.0), 30.0);
        // Degenerate domain.
        assert_eq!(Linear::new((3.0, 3.0), (1.0, 9.0)).at(7.0), 1.0);
    }

    #[test]
    fn log_scale_maps_decades_evenly_and_clamps_zero() {
        let s = Log10::new((1e-4, 1.0), (0.0, 400.0));
        assert!((s.at(1e-4) - 0.0).abs() < 1e-9);
        assert!((s.at(1e-3) - 100.0).abs() < 1e-9);
        assert!((s.at(0.01) - 200.0).abs() < 1e-9);
        assert!((s.at(1.0) - 400.0).abs() < 1e-9);
        assert_eq!(s.at(0.0), 0.0);
        assert_eq!(s.at(f64::NAN), 0.0);
        assert_eq!(s.at(5.0), 400.0);
        assert!(s.below(0.0) && !s.below(0.05));
        assert_eq!(s.ticks(), vec![1e-4, 1e-3, 1e-2, 1e-1, 1.0]);
        let t: Vec<String> = s.ticks().into_iter().map(pct_tick).collect();
        assert_eq!(t, ["0.01%", "0.1%", "1%", "10%", "100%"]);
    }

    #[test]
    fn nice_ticks_cover_the_maximum() {
        assert_eq!(nice_ticks(1488.0, 3), vec![0.0, 500.0, 1000.0, 1500.0]);
        assert_eq!(nice_ticks(100.0, 4), vec![0.0, 25.0, 50.0, 75.0, 100.0]);
        assert_eq!(nice_ticks(0.0, 4), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(nice_step(16569.0, 8), 2500.0);
        for max in [3.0, 17.0, 999.0, 8123.0, 0.37] {
            let t = nice_ticks(max, 4);
            assert!(*t.last().unwrap() >= max && t.len() <= 7, "{max}: {t:?}");
        }
    }

    #[test]
    fn number_formats() {
        assert_eq!(pct(0.0), "0%");
        assert_eq!(pct(0.0007), "0.07%");
        assert_eq!(pct(0.00002), "0%");
        assert_eq!(pct(0.0042), "0.42%");
        assert_eq!(pct(0.005), "0.5%");
        assert_eq!(pct(0.025), "2.5%");
        assert_eq!(pct(0.05), "5%");
        assert_eq!(pct(0.434), "43%");
        assert_eq!(thousands(16569), "16,569");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(n1(3.04), "3");
        assert_eq!(n1(3.06), "3.1");
        assert_eq!(n1(-0.0), "0");
        assert_eq!(n1(f64::NAN), "0");
    }

    #[test]
    fn counts_in_sentences_get_separators_names_do_not() {
        assert_eq!(
            group_digits("m.3243A>G at 5.0% with upper bound 5.8% straddles the maximum 5.0% (2464 usable reads); about 19505150 usable reads would settle it"),
            "m.3243A>G at 5.0% with upper bound 5.8% straddles the maximum 5.0% (2,464 usable reads); about 19,505,150 usable reads would settle it"
        );
        assert_eq!(
            group_digits("mean usable depth 1438x is below the minimum 3000x"),
            "mean usable depth 1,438x is below the minimum 3,000x"
        );
        // Names, positions, decimals, dates, exponents and grouped numbers stay.
        for same in [
            "deletion m.8470_13446del at 31%",
            "+m.16519T>C, -m.12612A>G",
            "0.12345 and 1234.5",
            "between passages 2024-01-05 and 2024-03-01",
            "p = 9.8e-12",
            "already 19,505,150 reads",
            "999 reads, 16569bp, clone1234",
            "0012 reads",
        ] {
            assert_eq!(group_digits(same), same);
        }
        assert_eq!(group_digits("1234"), "1,234");
        assert_eq!(group_digits("(1234)"), "(1,234)");
    }

    #[test]
    fn text_fits_its_width() {
        assert!(text_width("WWW", 12.0, false) > text_width("iii", 12.0, false) * 2.5);
        assert!(text_width("2,000x", 10.5, false) > 30.0);
        let t = fit_text("a_very_long_clone_name_WWWWWW", 12.0, 120.0);
        assert!(
            t.ends_with('…') && text_width(&t, 12.0, false) <= 120.0,
            "{t}"
        );
        assert_eq!(fit_text("clone01", 12.0, 120.0), "clone01");
    }

    #[test]
    fn viridis_ends_and_contrast() {
        assert_eq!(viridis(0.0), "#440154");
        assert_eq!(viridis(1.0), "#fde725");
        assert_eq!(viridis(-1.0), "#440154");
        assert_eq!(viridis(f64::NAN), "#440154");
        assert!(!viridis_wants_dark_text(0.1));
        assert!(viridis_wants_dark_text(0.95));
        assert!((af_to_t(0.25) - 0.5).abs() < 1e-12);
        assert!(viridis_gradient("g\"x").contains("id=\"g&quot;x\""));
    }
}
