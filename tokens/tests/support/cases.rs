//! The adversarial cases of `tests/fixtures/tokens/` (see `cases.json`'s "about"), shared
//! by the equivalence test and the `reference_counts` example.

use serde_json::Value;

pub struct Case {
    pub name: String,
    pub text: String,
    /// Where the committed counts come from: "tiktoken" (npm) or "tiktoken-rs".
    pub reference: String,
}

fn fixture(file: &str) -> Value {
    let path = format!(
        "{}/../tests/fixtures/tokens/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn generate(gen: &Value) -> String {
    let s = |key: &str| gen[key].as_str().unwrap_or("").to_string();
    let n = |key: &str| gen[key].as_u64().unwrap_or_else(|| panic!("gen.{key}")) as usize;
    let body = if let Some(unit) = gen["repeat"].as_str() {
        unit.repeat(n("times"))
    } else {
        let alphabet: Vec<char> = s("random").chars().collect();
        let mut x = n("seed") as u32;
        (0..n("length"))
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345) & 0x7fff_ffff;
                alphabet[(x >> 16) as usize % alphabet.len()]
            })
            .collect()
    };
    s("prefix") + &body + &s("suffix")
}

pub fn load() -> Vec<Case> {
    let doc = fixture("cases.json");
    let cases = doc["cases"].as_array().expect("cases");
    cases
        .iter()
        .map(|c| {
            let text = if let Some(t) = c["text"].as_str() {
                t.to_string()
            } else if let Some(units) = c["utf16"].as_array() {
                let units: Vec<u16> = units
                    .iter()
                    .map(|u| u.as_u64().expect("code unit") as u16)
                    .collect();
                String::from_utf16_lossy(&units)
            } else {
                generate(&c["gen"])
            };
            Case {
                name: c["name"].as_str().expect("name").to_string(),
                text,
                reference: c["reference"].as_str().unwrap_or("tiktoken").to_string(),
            }
        })
        .collect()
}

#[allow(dead_code)] // the example does not read them
/// The committed counts: case name → encoding name → count.
pub fn counts() -> Value {
    fixture("counts.json")["counts"].clone()
}
