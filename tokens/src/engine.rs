//! The counting engine: split into pieces by hand, count each piece's merges.
//!
//! Each vocabulary is indexed the first time its encoding counts (or on [`warm`]), so a cold
//! isolate that only uses o200k never pays for cl100k.

use std::cell::RefCell;
use std::sync::OnceLock;

use crate::bpe::count_piece;
use crate::cache::PieceCache;
use crate::split::{cl100k_piece, o200k_piece};
use crate::vocab::{Embedded, Vocab};
use crate::Encoding;

macro_rules! embedded {
    ($name:literal) => {{
        macro_rules! part {
            ($ext:literal) => {
                include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".", $ext)).as_slice()
            };
        }
        Embedded {
            bytes: part!("bytes"),
            lens: part!("lens"),
            ranks: part!("ranks"),
            ranks_hi: part!("ranks_hi"),
            counts: part!("counts"),
            sizes: part!("sizes"),
        }
    }};
}

static O200K: OnceLock<Vocab> = OnceLock::new();
static CL100K: OnceLock<Vocab> = OnceLock::new();

pub(crate) fn vocab(encoding: Encoding) -> &'static Vocab {
    match encoding {
        Encoding::O200kBase => O200K.get_or_init(|| Vocab::new(embedded!("o200k_base"))),
        Encoding::Cl100kBase => CL100K.get_or_init(|| Vocab::new(embedded!("cl100k_base"))),
    }
}

/// Whether `encoding`'s vocabulary has been indexed yet.
pub(crate) fn is_warm(encoding: Encoding) -> bool {
    match encoding {
        Encoding::O200kBase => O200K.get().is_some(),
        Encoding::Cl100kBase => CL100K.get().is_some(),
    }
}

thread_local! {
    // One memo per encoding (a piece's count depends on it). Threads do not share them,
    // so no locking; wasm has one thread.
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

/// Monomorphised per pre-tokeniser so the split inlines into the loop.
#[inline(always)]
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
