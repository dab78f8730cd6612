//! Precomputes, at build time, everything the engine would otherwise build at cold start.
//!
//! * `vocab.{bytes,lens,counts,sizes,checkpoints}` and `<encoding>.{ranks,ranks_hi}`: both
//!   vocabularies as one ready-made hash table, so nothing is built at start-up (see
//!   `vocab.rs` for the format and the numbers).
//! * `unicode.rs`: a two-level table from code point to the character class the
//!   pre-tokeniser needs, taken from the Unicode tables of `regex-syntax`, the engine under
//!   tiktoken-rs's fancy-regex, so both agree on every code point.
//!
//! The source of truth is tiktoken-rs (the reference of the equivalence tests): its
//! vocabularies are embedded in the crate, so the build needs no network.

use std::{env, fs, path::PathBuf};

use regex_syntax::hir::{Class, HirKind};

#[path = "src/hash.rs"]
mod hash;

/// The longest token in either vocabulary (also `vocab::MAX_TOKEN_LEN`).
const MAX_TOKEN_LEN: usize = 128;

/// Character classes, as `split.rs` numbers them.
const OTHER: u8 = 0; // punctuation, symbols, controls, unassigned: in [^\r\n\p{L}\p{N}] and [^\s\p{L}\p{N}]
const UPPER: u8 = 1; // Lu, Lt
const LOWER: u8 = 2; // Ll
const LETTER_OTHER: u8 = 3; // Lm, Lo (both "upper" and "lower" in the o200k pattern)
const MARK: u8 = 4; // M (not a letter, but counted with letters by o200k)
const NUMBER: u8 = 5; // N
const SPACE: u8 = 6; // \s except \r and \n
const NEWLINE: u8 = 7; // \r, \n
const NON_ASCII: u8 = 9; // in BYTE_CLASS: a byte of a multi-byte character

/// Code points per block of the two-level table.
const BLOCK_SHIFT: u32 = 7;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));

    let o200k = tiktoken_rs::o200k_base().expect("tiktoken-rs builds o200k_base");
    let cl100k = tiktoken_rs::cl100k_base().expect("tiktoken-rs builds cl100k_base");
    let encodings = [
        ("o200k_base", ordinary_tokens("o200k_base", &o200k, 199_998)),
        (
            "cl100k_base",
            ordinary_tokens("cl100k_base", &cl100k, 100_256),
        ),
    ];
    write_vocabulary(&out, &encodings);

    fs::write(out.join("unicode.rs"), unicode_tables()).expect("write unicode.rs");
}

/// The ordinary tokens of `bpe`, by rank (`0..count`).
fn ordinary_tokens(name: &str, bpe: &tiktoken_rs::CoreBPE, count: u32) -> Vec<Vec<u8>> {
    let tokens: Vec<Vec<u8>> = (0..count)
        .map(|rank| {
            bpe.decode_bytes(&[rank])
                .expect("ordinary ranks are contiguous")
        })
        .collect();
    for (rank, bytes) in tokens.iter().enumerate() {
        assert!(
            (1..=MAX_TOKEN_LEN).contains(&bytes.len()),
            "{name}: token {rank} is {} bytes",
            bytes.len()
        );
    }
    // The rank after the last ordinary token is unused (special tokens start later), so
    // `count` is exactly the ordinary vocabulary.
    assert!(
        bpe.decode_bytes(&[count]).is_err(),
        "{name}: more than {count} ordinary tokens"
    );
    tokens
}

/// A rank that says "not in this encoding".
const NONE: u32 = (1 << 18) - 1;

/// Writes one bucketed hash table for the union of the encodings' tokens (85k of
/// cl100k's 100k tokens are also o200k's: one table is 0.4 MB smaller than two), with a
/// rank array per encoding.
fn write_vocabulary(out: &std::path::Path, encodings: &[(&str, Vec<Vec<u8>>)]) {
    let mut union: std::collections::BTreeMap<&[u8], Vec<u32>> = Default::default();
    for (e, (_, tokens)) in encodings.iter().enumerate() {
        for (rank, bytes) in tokens.iter().enumerate() {
            union
                .entry(bytes)
                .or_insert_with(|| vec![NONE; encodings.len()])[e] = rank as u32;
        }
    }
    // About 6 tokens per bucket: a miss reads ~6 length bytes before giving up.
    let bits = (union.len() / 6).ilog2();
    let mut buckets: Vec<Vec<(&[u8], &Vec<u32>)>> = vec![Vec::new(); 1 << bits];
    for (bytes, ranks) in &union {
        buckets[(hash::hash(bytes) >> (64 - bits)) as usize].push((bytes, ranks));
    }

    // Parallel arrays in bucket order (shortest first within a bucket, so a lookup stops
    // at the first longer token). Apart, they gzip ~0.35 MB smaller than interleaved
    // records: the random rank bytes no longer break up the text, and the lengths get
    // their own Huffman table.
    let (mut bytes, mut lens) = (Vec::new(), Vec::new());
    let mut ranks = vec![(Vec::new(), Vec::new()); encodings.len()];
    let (mut counts, mut sizes) = (Vec::with_capacity(buckets.len()), Vec::new());
    for bucket in &mut buckets {
        bucket.sort_by_key(|(token, _)| (token.len(), *token));
        counts.push(u8::try_from(bucket.len()).expect("fewer than 256 tokens per bucket"));
        let size: usize = bucket.iter().map(|(token, _)| token.len()).sum();
        let size = u16::try_from(size).expect("a bucket's bytes fit in u16");
        sizes.extend_from_slice(&size.to_le_bytes());
        for (token, token_ranks) in bucket.iter() {
            for ((lo, hi), &rank) in ranks.iter_mut().zip(token_ranks.iter()) {
                if lens.len() % 4 == 0 {
                    hi.push(0);
                }
                *hi.last_mut().expect("pushed") |= ((rank >> 16) as u8) << (2 * (lens.len() % 4));
                lo.extend_from_slice(&(rank as u16).to_le_bytes());
            }
            bytes.extend_from_slice(token);
            lens.push(token.len() as u8);
        }
    }

    // Where each group of 8 buckets starts (token index, byte offset), so a lookup can find
    // its bucket with two word-sized prefix sums and no index is built at run time.
    let mut checkpoints = Vec::new();
    let (mut token, mut offset) = (0u32, 0u32);
    for (group, group_sizes) in counts.chunks(8).zip(sizes.chunks(16)) {
        checkpoints.extend_from_slice(&token.to_le_bytes());
        checkpoints.extend_from_slice(&offset.to_le_bytes());
        let group_count: u32 = group.iter().map(|&c| u32::from(c)).sum();
        assert!(group_count < 256, "a group's counts sum in one byte lane");
        let group_size: u32 = group_sizes
            .chunks(2)
            .map(|s| u32::from(u16::from_le_bytes([s[0], s[1]])))
            .sum();
        assert!(group_size < 1 << 16, "a group's sizes sum in one u16 lane");
        token += group_count;
        offset += group_size;
    }
    let write =
        |name: &str, data: &[u8]| fs::write(out.join(name), data).expect("write vocabulary");
    write("vocab.bytes", &bytes);
    write("vocab.lens", &lens);
    write("vocab.counts", &counts);
    write("vocab.sizes", &sizes);
    write("vocab.checkpoints", &checkpoints);
    for ((name, _), (lo, hi)) in encodings.iter().zip(&ranks) {
        write(&format!("{name}.ranks"), lo);
        write(&format!("{name}.ranks_hi"), hi);
    }
}

/// The code point ranges of a Unicode class, as regex-syntax (and so fancy-regex) sees it.
fn ranges(pattern: &str) -> Vec<(u32, u32)> {
    let hir = regex_syntax::Parser::new()
        .parse(pattern)
        .expect("valid class");
    match hir.kind() {
        HirKind::Class(Class::Unicode(class)) => class
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
        other => panic!("{pattern} is not a Unicode class: {other:?}"),
    }
}

fn unicode_tables() -> String {
    let mut class = vec![OTHER; 0x110000];
    let mut assign = |pattern: &str, value: u8| {
        for (lo, hi) in ranges(pattern) {
            for cp in lo..=hi {
                assert_eq!(
                    class[cp as usize], OTHER,
                    "{pattern} overlaps at U+{cp:04X}"
                );
                class[cp as usize] = value;
            }
        }
    };
    assign(r"[\p{Lu}\p{Lt}]", UPPER);
    assign(r"\p{Ll}", LOWER);
    assign(r"[\p{Lm}\p{Lo}]", LETTER_OTHER);
    assign(r"\p{M}", MARK);
    assign(r"\p{N}", NUMBER);
    assign(r"[\s&&[^\r\n]]", SPACE);
    assign(r"[\r\n]", NEWLINE);
    // Sanity: the union of the letter classes is exactly \p{L}.
    let letters: u32 = ranges(r"\p{L}").iter().map(|(lo, hi)| hi - lo + 1).sum();
    let counted = class
        .iter()
        .filter(|&&c| matches!(c, UPPER | LOWER | LETTER_OTHER))
        .count();
    assert_eq!(letters as usize, counted);

    // Two levels: block index per 128 code points, then deduplicated blocks.
    let block_len = 1usize << BLOCK_SHIFT;
    let mut blocks: Vec<&[u8]> = Vec::new();
    let mut index = Vec::new();
    for chunk in class.chunks(block_len) {
        let i = blocks.iter().position(|b| *b == chunk).unwrap_or_else(|| {
            blocks.push(chunk);
            blocks.len() - 1
        });
        index.push(u16::try_from(i).expect("fewer than 65536 blocks"));
    }

    // Characters that `(?i)` folds onto the contraction letters, beyond ASCII case.
    let mut folds = Vec::new();
    for letter in ['s', 't', 'r', 'e', 'v', 'm', 'l', 'd'] {
        for (lo, hi) in ranges(&format!("(?i){letter}")) {
            for cp in lo..=hi {
                let c = char::from_u32(cp).expect("scalar value");
                if !c.is_ascii() {
                    folds.push(format!("('\\u{{{cp:x}}}', b'{letter}')"));
                }
            }
        }
    }

    let mut src = String::from("// Generated by build.rs from regex-syntax's Unicode tables.\n");
    src += &format!("pub(crate) const BLOCK_SHIFT: u32 = {BLOCK_SHIFT};\n");
    src += &format!(
        "pub(crate) static BLOCK_INDEX: [u16; {}] = {index:?};\n",
        index.len()
    );
    let flat: Vec<u8> = blocks.concat();
    // Per byte: its class if ASCII, else NON_ASCII (in no set), for the ASCII run loops.
    let bytes: Vec<u8> = (0..256)
        .map(|b| if b < 128 { class[b] } else { NON_ASCII })
        .collect();
    src += &format!("pub(crate) static BYTE_CLASS: [u8; 256] = {bytes:?};\n");
    src += &format!(
        "pub(crate) static BLOCKS: [u8; {}] = {flat:?};\n",
        flat.len()
    );
    src += &format!(
        "/// Non-ASCII characters that `(?i)` matches for a contraction letter.\n\
         pub(crate) static CASE_FOLDS: [(char, u8); {}] = [{}];\n",
        folds.len(),
        folds.join(", ")
    );
    src
}
