//! Native throughput on the bench corpus, ours against tiktoken-rs (a profiling aid; the
//! real bench runs in Node: `benches/tokens`).
//! `cargo run --release -p edge-llm-tokens --example native_speed [corpus.txt]`
use std::time::Instant;

use edge_llm_tokens::Encoding;

fn main() {
    let ours_only = std::env::args().any(|a| a == "--ours-only");
    // One pass per encoding and nothing else, for `valgrind --tool=cachegrind`.
    let once = std::env::args().any(|a| a == "--once");
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_else(|| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../benches/corpus/corpus.txt").into()
        });
    let corpus =
        std::fs::read_to_string(&path).expect("corpus: run benches/corpus/make-corpus.mjs");
    let docs: Vec<&str> = corpus.split('\0').collect();
    let mb = corpus.len() as f64 / 1e6;
    for encoding in Encoding::ALL {
        let t = Instant::now();
        encoding.count("hello world");
        let warm = t.elapsed();
        let t = Instant::now();
        let ours: usize = docs.iter().map(|d| encoding.count(d)).sum();
        let ours_s = t.elapsed().as_secs_f64();
        if once {
            println!("{:12} {ours}", encoding.name());
            continue;
        }
        if ours_only {
            let mut ours_s = ours_s;
            for _ in 0..6 {
                let t = Instant::now();
                assert_eq!(docs.iter().map(|d| encoding.count(d)).sum::<usize>(), ours);
                ours_s = ours_s.min(t.elapsed().as_secs_f64());
            }
            println!(
                "{:12} ours {:7.1} MB/s ({ours})",
                encoding.name(),
                mb / ours_s
            );
            continue;
        }
        let reference = match encoding {
            Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
        };
        let t = Instant::now();
        let theirs: usize = docs
            .iter()
            .map(|d| reference.encode_ordinary(d).len())
            .sum();
        let theirs_s = t.elapsed().as_secs_f64();
        println!(
            "{:12} first count {:>6.2} ms | ours {:7.1} MB/s ({ours}) | tiktoken-rs {:6.1} MB/s ({theirs}) | {:.1}x",
            encoding.name(),
            warm.as_secs_f64() * 1e3,
            mb / ours_s,
            mb / theirs_s,
            theirs_s / ours_s
        );
    }
}
