//! The counting engine: split into pieces by hand, count each piece's merges.
//!
//! The vocabularies are statics used in place (see `vocab.rs`), so there is nothing to
//! build, lazily or otherwise: a cold isolate's first count costs what any count costs,
//! plus filling the piece memo.

use std::cell::RefCell;

use crate::bpe::count_piece;
use crate::cache::PieceCache;
use crate::split::{cl100k_piece, o200k_piece};
use crate::vocab::{Table, Vocab};
use crate::Encoding;

macro_rules! embedded {
    ($name:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/", $name)).as_slice()
    };
}

static TABLE: Table = Table {
    bytes: embedded!("vocab.bytes"),
    lens: embedded!("vocab.lens"),
    counts: embedded!("vocab.counts"),
    sizes: embedded!("vocab.sizes"),
    checkpoints: embedded!("vocab.checkpoints"),
};
static O200K: Vocab = Vocab {
    table: &TABLE,
    ranks: embedded!("o200k_base.ranks"),
    ranks_hi: embedded!("o200k_base.ranks_hi"),
};
static CL100K: Vocab = Vocab {
    table: &TABLE,
    ranks: embedded!("cl100k_base.ranks"),
    ranks_hi: embedded!("cl100k_base.ranks_hi"),
};

pub(crate) fn vocab(encoding: Encoding) -> &'static Vocab {
    match encoding {
        Encoding::O200kBase => &O200K,
        Encoding::Cl100kBase => &CL100K,
    }
}

thread_local! {
    // One memo per encoding (a piece's count depends on it), allocated on first use.
    // Threads do not share them, so no locking; wasm has one thread.
    static CACHES: [RefCell<Option<PieceCache>>; 2] = const { [RefCell::new(None), RefCell::new(None)] };
}

pub(crate) fn count(encoding: Encoding, text: &str) -> usize {
    let vocab = vocab(encoding);
    CACHES.with(|caches| {
        let mut cache = caches[encoding as usize].borrow_mut();
        let cache = cache.get_or_insert_with(PieceCache::new);
        match encoding {
            Encoding::O200kBase => count_with(vocab, cache, text.as_bytes(), o200k_piece),
            Encoding::Cl100kBase => count_with(vocab, cache, text.as_bytes(), cl100k_piece),
        }
    })
}

/// Monomorphised per pre-tokeniser so the split inlines into the loop, and not inlined
/// into `count`, so a cold isolate compiles only its encoding's half (V8 compiles wasm
/// functions on first call; the two together were one 15 KB function, ~1 ms to compile).
#[inline(never)]
fn count_with(
    vocab: &Vocab,
    cache: &mut PieceCache,
    text: &[u8],
    piece_end: impl Fn(&[u8], usize) -> usize,
) -> usize {
    let (mut pos, mut total) = (0, 0);
    while pos < text.len() {
        let end = piece_end(text, pos);
        debug_assert!(end > pos);
        total += count_piece(vocab, cache, &text[pos..end]);
        pos = end;
    }
    total
}
