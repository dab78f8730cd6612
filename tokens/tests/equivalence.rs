//! Counts must equal tiktoken-rs's `encode_ordinary(text).len()`, the reference.
//!
//! * `corpus`: every document of the bench corpus (`benches/corpus/corpus.txt`, built by
//!   `node benches/corpus/make-corpus.mjs`); skipped with a note when it has not been built.
//! * `fixtures`: the committed cases of `tests/fixtures/tokens/`, with the counts the npm
//!   `tiktoken` gave for them (see `tests/fixtures/tokens/make-fixtures.mjs`).
//! * `class_combinations`, `random_mixtures`, `long_pieces`: generated text where the
//!   pre-tokeniser's hand-worked backtracking and the merge's two algorithms could slip.

use edge_llm_tokens::Encoding;
use tiktoken_rs::CoreBPE;

mod support {
    pub mod cases;
}

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
        // Straight to stderr, past the test harness's capture, so CI logs show the skip.
        let note = format!(
            "note: {path} not built; run `node benches/corpus/make-corpus.mjs` to test on it\n"
        );
        std::io::Write::write_all(&mut std::io::stderr(), note.as_bytes()).ok();
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

/// Every committed case: our count equals the committed reference count and, for the
/// cases small enough to run it on quickly, tiktoken-rs agrees with that reference.
#[test]
fn fixtures() {
    let counts = support::cases::counts();
    let cases = support::cases::load();
    assert!(cases.len() >= 50, "the adversarial set is there");
    for case in &cases {
        for encoding in Encoding::ALL {
            let expected = counts[&case.name][encoding.name()]
                .as_u64()
                .unwrap_or_else(|| {
                    panic!(
                        "counts.json has no {} count for {}",
                        encoding.name(),
                        case.name
                    )
                }) as usize;
            let got = encoding.count(&case.text);
            assert_eq!(
                got,
                expected,
                "{} on {} ({:?}…)",
                encoding.name(),
                case.name,
                preview(&case.text)
            );
            // The tiktoken-rs cases were counted by tiktoken-rs itself; re-checking the
            // npm ones here keeps both references honest (and would catch a pattern change).
            if case.reference != "tiktoken-rs" && case.text.len() <= 100_000 {
                assert_eq!(
                    reference(encoding).encode_ordinary(&case.text).len(),
                    expected,
                    "tiktoken-rs on {}",
                    case.name
                );
            }
        }
    }
}

/// Split points that only backtracking reaches, checked piece by piece against tiktoken-rs
/// over every short combination of the character classes the patterns distinguish.
#[test]
fn class_combinations() {
    let samples = [
        "a", "A", "ǅ", "ʰ", "中", "\u{301}", "1", "½", " ", "\t", "\n", "\r", "\u{3000}", "'", "s",
        "S", "ſ", "l", "r", "e", "/", ".", "🙂", "\u{FFFD}",
    ];
    let mut text = String::new();
    for a in &samples {
        for b in &samples {
            for c in &samples {
                text.clear();
                text.push_str(a);
                text.push_str(b);
                text.push_str(c);
                for encoding in Encoding::ALL {
                    assert_same(encoding, "combination", &text);
                    let with_space = format!(" {text} ");
                    assert_same(encoding, "combination", &with_space);
                }
            }
        }
    }
}

/// Random strings over an alphabet that mixes every class the patterns tell apart, with
/// the characters that steer contractions and whitespace backtracking over-represented.
#[test]
fn random_mixtures() {
    let alphabet: Vec<char> = "aAzZǅʰ中あ한\u{301}\u{94d}1٣½ \t\n\r\u{3000}\u{a0}'’sSſtTlLrReEvVmMdD/.,!?-_(){}\"🙂\u{fffd}\u{feff}\u{0}"
        .chars()
        .collect();
    let mut x: u32 = 12345;
    let mut next = |n: usize| {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345) & 0x7fff_ffff;
        (x >> 8) as usize % n
    };
    for _ in 0..3000 {
        let len = 1 + next(40);
        let text: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
        for encoding in Encoding::ALL {
            assert_same(encoding, "random mixture", &text);
        }
    }
}

/// Pieces around and above the 96-byte switch from the stack scan to the heap merge.
#[test]
fn long_pieces() {
    let mut x: u32 = 777;
    let mut next = |n: usize| {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345) & 0x7fff_ffff;
        (x >> 8) as usize % n
    };
    for len in (80..140).chain([255, 256, 257, 1000, 4096]) {
        for alphabet in [
            "etaoinshrdlu",
            "ab",
            "abcdefghijklmnopqrstuvwxyz",
            " \t",
            "!?.-=",
            "中文字词",
        ] {
            let a: Vec<char> = alphabet.chars().collect();
            let text: String = (0..len).map(|_| a[next(a.len())]).collect();
            for encoding in Encoding::ALL {
                assert_same(encoding, "long piece", &text);
            }
        }
    }
}
