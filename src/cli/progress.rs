//! Progress bars on stderr (only when it is a terminal and `--quiet` is not given) and
//! warnings.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use mitosieve::count::Observer;
use std::io::IsTerminal;
use std::sync::Mutex;

/// Shows one bar per input being counted, plus a total.
pub struct Bars {
    multi: Option<MultiProgress>,
    bars: Mutex<Vec<Option<ProgressBar>>>,
    total: Option<ProgressBar>,
    quiet: bool,
}

impl Bars {
    pub fn new(n_sources: usize, quiet: bool) -> Self {
        let show = !quiet && std::io::stderr().is_terminal();
        let multi = show.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        let total = multi.as_ref().map(|m| {
            let b = m.add(ProgressBar::new(n_sources as u64));
            b.set_style(
                ProgressStyle::with_template(
                    "{prefix:>12.bold} [{bar:30}] {pos}/{len} inputs, {elapsed}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            b.set_prefix("total");
            b
        });
        Bars {
            multi,
            bars: Mutex::new(vec![None; n_sources]),
            total,
            quiet,
        }
    }

    pub fn finish(&self) {
        if let Some(t) = &self.total {
            t.finish_and_clear();
        }
    }

    /// Print a message above the bars.
    pub fn message(&self, msg: &str) {
        if self.quiet {
            return;
        }
        match &self.multi {
            Some(m) => {
                let _ = m.println(msg);
            }
            None => eprintln!("{msg}"),
        }
    }
}

impl Observer for Bars {
    fn warn(&self, message: &str) {
        self.message(&format!("mitosieve: warning: {message}"));
    }

    fn source_started(&self, source: usize, label: &str, total: u64) {
        if let Some(m) = &self.multi {
            let b = m.insert_from_back(1, ProgressBar::new(total));
            b.set_style(
                ProgressStyle::with_template("{prefix:>12} [{bar:30}] {percent:>3}% {msg}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            let short: String = label.chars().take(40).collect();
            b.set_prefix("counting");
            b.set_message(short);
            if let Some(slot) = self
                .bars
                .lock()
                .expect("no panics while locked")
                .get_mut(source)
            {
                *slot = Some(b);
            }
        }
    }

    fn progress(&self, source: usize, delta: u64) {
        if let Some(Some(b)) = self
            .bars
            .lock()
            .expect("no panics while locked")
            .get(source)
        {
            b.inc(delta);
        }
    }

    fn source_finished(&self, source: usize) {
        if let Some(slot) = self
            .bars
            .lock()
            .expect("no panics while locked")
            .get_mut(source)
        {
            if let Some(b) = slot.take() {
                b.finish_and_clear();
            }
        }
        if let Some(t) = &self.total {
            t.inc(1);
        }
    }
}
