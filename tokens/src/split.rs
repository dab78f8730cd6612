//! Hand-written pre-tokenisers, equivalent to the official split patterns.
//!
//! tiktoken-rs splits text with fancy-regex, a backtracking engine, and that is most of its
//! time (its own performance notes say so; perf puts ~45% of its count in the regex crates
//! on our corpus). Each function here walks the same alternatives in the same order, with
//! the backtracking worked out by hand (comments say where), over one table lookup per
//! character. Dispatching on the first two characters' classes, and a byte loop for ASCII
//! runs, took the split from 266M to 193M instructions over the corpus (cachegrind).
//!
//! The patterns (tiktoken-rs 0.12, `tiktoken_ext/openai_public.rs`):
//!
//! o200k_base: `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?`
//! `|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?`
//! `|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
//!
//! cl100k_base: `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+`
//! `| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`
//!
//! (The older cl100k pattern, still used by the npm `tiktoken` and `js-tiktoken`, lacks
//! `\s++$`: the two split differently only where the text ends in a whitespace run with a
//! newline before more whitespace, and on every such text we tried ("x\n  ", "}\n    ",
//! "a\r\n  \t", …) the merges still give the same tokens. We follow tiktoken-rs and
//! current OpenAI tiktoken.)

#[allow(dead_code)] // OTHER/UPPER/LOWER/NEWLINE are named for the tables' sake
mod unicode {
    include!(concat!(env!("OUT_DIR"), "/unicode.rs"));
}
use unicode::{BLOCKS, BLOCK_INDEX, BLOCK_SHIFT, BYTE_CLASS, CASE_FOLDS};

// Character classes (numbered as build.rs writes them) and the sets the patterns use.
const UPPER: u8 = 1; // Lu, Lt
const LOWER: u8 = 2; // Ll
const LETTER_OTHER: u8 = 3; // Lm, Lo
const MARK: u8 = 4; // M
const NUMBER: u8 = 5; // N
const SPACE: u8 = 6; // \s but \r \n
const NEWLINE: u8 = 7; // \r \n
const END: u8 = 8; // past the end of the text: in no set
const NON_ASCII: u8 = 9; // `BYTE_CLASS` of a byte >= 0x80: in no set

const fn set(classes: &[u8]) -> u16 {
    let mut mask = 0;
    let mut i = 0;
    while i < classes.len() {
        mask |= 1 << classes[i];
        i += 1;
    }
    mask
}
/// `[^\r\n\p{L}\p{N}]`, the optional prefix of a word.
const PREFIX: u16 = set(&[0, MARK, SPACE]);
/// `[^\s\p{L}\p{N}]`, punctuation and symbols.
const PUNCT: u16 = set(&[0, MARK]);
/// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`
const CASED_UPPER: u16 = set(&[UPPER, LETTER_OTHER, MARK]);
/// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`
const CASED_LOWER: u16 = set(&[LOWER, LETTER_OTHER, MARK]);
/// `\p{L}`
const LETTER: u16 = set(&[UPPER, LOWER, LETTER_OTHER]);
/// `\s`
const WHITESPACE: u16 = set(&[SPACE, NEWLINE]);

#[inline(always)]
fn is(class: u8, set: u16) -> bool {
    (set >> class) & 1 != 0
}

/// The class of the character at byte `i` and its length in bytes (`END`, 0 past the end).
#[inline(always)]
fn class_at(s: &[u8], i: usize) -> (u8, usize) {
    match s.get(i) {
        // Block 0 covers ASCII, so ASCII needs one load.
        Some(&b) if b < 0x80 => (BLOCKS[b as usize], 1),
        Some(_) => non_ascii_class(s, i),
        None => (END, 0),
    }
}

#[inline(never)]
fn non_ascii_class(s: &[u8], i: usize) -> (u8, usize) {
    let (cp, len) = decode(s, i);
    let block = BLOCK_INDEX[(cp >> BLOCK_SHIFT) as usize] as usize;
    (
        BLOCKS[(block << BLOCK_SHIFT) | (cp as usize & ((1 << BLOCK_SHIFT) - 1))],
        len,
    )
}

/// Decodes the (valid, since it comes from a `&str`) UTF-8 sequence at `i`.
#[inline(always)]
fn decode(s: &[u8], i: usize) -> (u32, usize) {
    let b0 = s[i] as u32;
    let cont = |k: usize| (s[i + k] & 0x3F) as u32;
    if b0 < 0x80 {
        (b0, 1)
    } else if b0 < 0xE0 {
        ((b0 & 0x1F) << 6 | cont(1), 2)
    } else if b0 < 0xF0 {
        ((b0 & 0x0F) << 12 | cont(1) << 6 | cont(2), 3)
    } else {
        (
            (b0 & 0x07) << 18 | cont(1) << 12 | cont(2) << 6 | cont(3),
            4,
        )
    }
}

/// End of the run of characters in `set` starting at `i`, and the class that stopped it.
#[inline(always)]
fn run(s: &[u8], mut i: usize, set: u16) -> (usize, u8, usize) {
    // ASCII first, a byte at a time with no lengths to carry and no bounds checks: most
    // runs are ASCII words (this loop halved the split's instructions per character).
    for &b in &s[i..] {
        let c = BYTE_CLASS[b as usize];
        if !is(c, set) {
            if c == NON_ASCII {
                break;
            }
            return (i, c, 1);
        }
        i += 1;
    }
    loop {
        let (c, len) = class_at(s, i);
        if !is(c, set) {
            return (i, c, len);
        }
        i += len;
    }
}

/// The contraction letter `(?i)` folds the character at `i` onto, and its length.
#[inline(always)]
fn folded(s: &[u8], i: usize) -> (u8, usize) {
    match s.get(i) {
        Some(&b) if b < 0x80 => (b.to_ascii_lowercase(), 1),
        Some(_) => {
            let (cp, len) = decode(s, i);
            let letter = CASE_FOLDS
                .iter()
                .find(|(c, _)| *c as u32 == cp)
                .map_or(0, |&(_, l)| l);
            (letter, len)
        }
        None => (0, 0),
    }
}

/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)` at `i`: the end of the match, if any.
#[inline(always)]
fn contraction(s: &[u8], i: usize) -> Option<usize> {
    if s.get(i) != Some(&b'\'') {
        return None;
    }
    let (first, len1) = folded(s, i + 1);
    let second = |want: u8| {
        let (c, len2) = folded(s, i + 1 + len1);
        (c == want).then_some(i + 1 + len1 + len2)
    };
    match first {
        b's' | b't' | b'm' | b'd' => Some(i + 1 + len1),
        b'r' | b'v' => second(b'e'),
        b'l' => second(b'l'),
        _ => None,
    }
}

/// o200k alternative 1 from `start`: `[UPPER]*[LOWER]+(contraction)?`.
#[inline(always)]
fn upper_then_lower(s: &[u8], start: usize) -> Option<usize> {
    // Greedy `[UPPER]*`; remember the end of the last character that is also in `[LOWER]`
    // (Lm, Lo, M are in both sets): it is where backtracking lands if `[LOWER]+` fails at e1.
    let mut i = start;
    let mut last_lower_end = None;
    let (c, len) = loop {
        let (c, len) = class_at(s, i);
        if !is(c, CASED_UPPER) {
            break (c, len);
        }
        i += len;
        if is(c, CASED_LOWER) {
            last_lower_end = Some(i);
        }
    };
    let end = if is(c, CASED_LOWER) {
        run(s, i + len, CASED_LOWER).0
    } else {
        // Backtracking gives `[LOWER]+` exactly the last such character (the ones after it
        // are not in `[LOWER]`), or fails.
        last_lower_end?
    };
    Some(contraction(s, end).unwrap_or(end))
}

/// [`upper_then_lower`] then [`upper_word`] from `start`, not inlined: capitalised and
/// mark-led words are rarer than lowercase ones, and with three inlined copies the o200k
/// count function was 11 KB of wasm, which V8 compiles before a cold isolate's first count
/// can run (5.9 KB now, for 0.6% more instructions over the corpus).
#[inline(never)]
fn capitalised_word(s: &[u8], start: usize) -> Option<usize> {
    upper_then_lower(s, start).or_else(|| upper_word(s, start))
}

/// An o200k word at `pos`, whose first character is a mark of `len0` bytes (rare: out of
/// line). A mark is a prefix, and in both [UPPER] and [LOWER]: alternative 1 without the
/// prefix always matches (at least the mark itself) if 1 with it did not.
#[inline(never)]
fn mark_word(s: &[u8], pos: usize, len0: usize) -> usize {
    upper_then_lower(s, pos + len0)
        .or_else(|| upper_then_lower(s, pos))
        .expect("a mark is in [LOWER]")
}

/// o200k alternative 2 from `start`: `[UPPER]+[LOWER]*(contraction)?`.
#[inline(always)]
fn upper_word(s: &[u8], start: usize) -> Option<usize> {
    let (c, len) = class_at(s, start);
    if !is(c, CASED_UPPER) {
        return None;
    }
    let (upper_end, ..) = run(s, start + len, CASED_UPPER);
    let (end, ..) = run(s, upper_end, CASED_LOWER);
    Some(contraction(s, end).unwrap_or(end))
}

/// `\p{N}{1,3}` at `i` (whose character is known to be a number of length `len`).
#[inline(always)]
fn digits(s: &[u8], i: usize, len: usize) -> usize {
    let mut end = i + len;
    for _ in 0..2 {
        let (c, len) = class_at(s, end);
        if c != NUMBER {
            break;
        }
        end += len;
    }
    end
}

/// ` ?[^\s\p{L}\p{N}]+` followed by any run of the bytes in `tail`, at `pos`, whose
/// character has class `c0` and is followed by one of class `c1`.
#[inline(always)]
fn punctuation(s: &[u8], pos: usize, c0: u8, c1: u8, tail: &[u8]) -> Option<usize> {
    // ` ?` is tried with the space first; without it, `[^\s..]+` cannot start on a space.
    let start = if s[pos] == b' ' && is(c1, PUNCT) {
        pos + 1
    } else if is(c0, PUNCT) {
        pos
    } else {
        return None;
    };
    let (mut end, ..) = run(s, start, PUNCT);
    while s.get(end).is_some_and(|b| tail.contains(b)) {
        end += 1;
    }
    Some(end)
}

/// A whitespace run at `pos`: (end of the run, start of its last newline, start of its last
/// character).
#[inline(always)]
fn whitespace(s: &[u8], pos: usize) -> (usize, Option<usize>, usize) {
    let (mut i, mut last_newline, mut last_start) = (pos, None, pos);
    loop {
        let (c, len) = class_at(s, i);
        if !is(c, WHITESPACE) {
            return (i, last_newline, last_start);
        }
        if c == NEWLINE {
            last_newline = Some(i);
        }
        last_start = i;
        i += len;
    }
}

/// End of the o200k_base piece that starts at `pos` (`pos < s.len()`).
pub(crate) fn o200k_piece(s: &[u8], pos: usize) -> usize {
    let (c0, len0) = class_at(s, pos);
    let (c1, _) = class_at(s, pos + len0);
    // Alternatives 1 and 2 (words), in the regex's order: 1 with the optional prefix taken,
    // 1 without it, 2 with it, 2 without. Dispatching on the first two classes skips the
    // attempts that cannot match (a lowercase start is 1 without prefix, and so on).
    match c0 {
        LOWER => {
            // `[UPPER]*` is empty and `[LOWER]+` runs.
            let end = run(s, pos + len0, CASED_LOWER).0;
            return contraction(s, end).unwrap_or(end);
        }
        UPPER | LETTER_OTHER => return capitalised_word(s, pos).expect("c0 is in [UPPER]"),
        MARK => return mark_word(s, pos, len0),
        _ if is(c0, PREFIX) && is(c1, CASED_UPPER | CASED_LOWER) => {
            let after = pos + len0;
            return upper_then_lower(s, after)
                .or_else(|| upper_word(s, after))
                .expect("c1 is a letter");
        }
        NUMBER => return digits(s, pos, len0),
        _ => {}
    }
    if let Some(end) = punctuation(s, pos, c0, c1, b"\r\n/") {
        return end;
    }
    // Only whitespace is left.
    let (end, last_newline, last_start) = whitespace(s, pos);
    if let Some(nl) = last_newline {
        // `\s*[\r\n]+`: `\s*` backtracks to the last newline, `[\r\n]+` takes only it.
        return nl + 1;
    }
    if end == s.len() || last_start == pos {
        // `\s+(?!\S)` at the end of the text, or `\s+` for a single character.
        end
    } else {
        // `\s+(?!\S)` backtracks one character, so the next piece can take it as a prefix.
        last_start
    }
}

/// End of the cl100k_base piece that starts at `pos` (`pos < s.len()`).
pub(crate) fn cl100k_piece(s: &[u8], pos: usize) -> usize {
    if let Some(end) = contraction(s, pos) {
        return end;
    }
    let (c0, len0) = class_at(s, pos);
    let (c1, len1) = class_at(s, pos + len0);
    // `[^\r\n\p{L}\p{N}]?+\p{L}++`: the possessive prefix never gives its character back,
    // which changes nothing since that character is not a letter.
    if is(c0, LETTER) {
        return run(s, pos + len0, LETTER).0;
    }
    if is(c0, PREFIX) && is(c1, LETTER) {
        return run(s, pos + len0 + len1, LETTER).0;
    }
    if c0 == NUMBER {
        return digits(s, pos, len0);
    }
    if let Some(end) = punctuation(s, pos, c0, c1, b"\r\n") {
        return end;
    }
    let (end, last_newline, last_start) = whitespace(s, pos);
    if end == s.len() {
        return end; // `\s++$`
    }
    if let Some(nl) = last_newline {
        return nl + 1; // `\s*[\r\n]`
    }
    if last_start > pos {
        return last_start; // `\s+(?!\S)`
    }
    pos + len0 // `\s`
}
