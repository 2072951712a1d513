//! Criterion benchmark of the library's `count` on one thread, on BAMs made by the
//! project's simulator at a few depths (one clean clone, 2x150, fragments 350 ± 50).
//!
//!     cargo bench --bench count
//!
//! The BAMs are generated once into a temporary directory before measuring. For
//! whole-command comparisons with samtools and perbase see `benches/compare.sh`.

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use mitosieve::count::{count, CountConfig};
use mitosieve::sim::{simulate, SimSpec};
use std::path::PathBuf;
use std::time::Duration;

/// Mean depths of the generated clones.
const DEPTHS: [u32; 3] = [300, 1_000, 3_000];

fn bench_count(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut text = String::from("seed = 1\n");
    for d in DEPTHS {
        text.push_str(&format!("[[clones]]\nname = \"d{d}\"\ndepth = {d}\n"));
    }
    let spec = SimSpec::from_toml_str(&text).expect("a valid spec");
    let report = simulate(&spec, dir.path(), 0).expect("simulated BAMs");

    let config = CountConfig {
        threads: 1,
        ..CountConfig::default()
    };
    let mut group = c.benchmark_group("count_threads1");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(10));
    for (clone, depth) in report.clones.iter().zip(DEPTHS) {
        let inputs: Vec<PathBuf> = vec![clone.bam.clone()];
        // Throughput in reads (records) per second.
        group.throughput(Throughput::Elements(clone.stats.records));
        group.bench_with_input(BenchmarkId::new("depth", depth), &inputs, |b, inputs| {
            b.iter(|| count(inputs, &config).expect("counted"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_count);
criterion_main!(benches);
