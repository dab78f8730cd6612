//! Prints tiktoken-rs's counts for the fixture cases whose reference is tiktoken-rs (the
//! huge pieces the npm tokenizers cannot count), as JSON; `make-fixtures.mjs` runs it.
//! `cargo run --release -p edge-llm-tokens --example reference_counts`

#[path = "../tests/support/cases.rs"]
mod cases;

fn main() {
    let mut out = serde_json::Map::new();
    for case in cases::load()
        .into_iter()
        .filter(|c| c.reference == "tiktoken-rs")
    {
        let count = |bpe: &tiktoken_rs::CoreBPE| bpe.encode_ordinary(&case.text).len();
        out.insert(
            case.name,
            serde_json::json!({
                "o200k_base": count(tiktoken_rs::o200k_base_singleton()),
                "cl100k_base": count(tiktoken_rs::cl100k_base_singleton()),
            }),
        );
    }
    println!("{}", serde_json::Value::Object(out));
}
