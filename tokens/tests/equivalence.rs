//! Counts must equal tiktoken-rs's `encode_ordinary(text).len()`, the reference.
//!
//! * `corpus`: every document of the bench corpus (`benches/corpus/corpus.txt`, built by
//!   `node benches/corpus/make-corpus.mjs`); skipped with a note when it has not been built.
//! * `adversarial_*`: the hard cases, generated here.
//! * `fixtures`: the committed cases of `tests/fixtures/tokens/`, with the counts the npm
//!   `tiktoken` gave for them (see `tests/fixtures/tokens/make-fixtures.mjs`).

use edge_llm_tokens::Encoding;
use tiktoken_rs::CoreBPE;

fn reference(encoding: Encoding) -> &'static CoreBPE {
    match encoding {
        Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
        Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
    }
}

fn assert_same(encoding: Encoding, label: &str, text: &str) {
    let expected = reference(encoding).encode_ordinary(text).len();
    let got = encoding.count(text);
    assert_eq!(
        got,
        expected,
        "{} on {label} ({} bytes): {:?}",
        encoding.name(),
        text.len(),
        preview(text)
    );
}

fn preview(text: &str) -> String {
    text.chars().take(80).collect()
}

#[test]
fn corpus() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../benches/corpus/corpus.txt");
    let Ok(corpus) = std::fs::read_to_string(path) else {
        println!("note: {path} not built; run `node benches/corpus/make-corpus.mjs` to test on it");
        return;
    };
    for encoding in Encoding::ALL {
        let (mut ours, mut theirs) = (0, 0);
        for (i, doc) in corpus.split('\0').enumerate() {
            let expected = reference(encoding).encode_ordinary(doc).len();
            let got = encoding.count(doc);
            if got != expected {
                // Narrow the failure down to a line for the message.
                for line in doc.split_inclusive('\n') {
                    assert_same(encoding, &format!("document {i}"), line);
                }
                panic!("{}: document {i}: {got} != {expected}", encoding.name());
            }
            ours += got;
            theirs += expected;
        }
        println!(
            "{}: {} documents, {ours} tokens (tiktoken-rs: {theirs})",
            encoding.name(),
            corpus.split('\0').count()
        );
    }
}
