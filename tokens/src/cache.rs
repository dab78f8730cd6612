//! A memo of piece → token count in front of the vocabulary.
//!
//! Text repeats its pieces (" the", "    ", "self"), but they sit in a 2 MB vocabulary, so
//! each lookup was a cache miss or two: on the corpus ~60% of the time went to waiting on
//! memory. This direct-mapped memo is 64 KB, small enough to stay in the CPU's cache, and
//! answers most pieces (merged or not) from there: ~2× the throughput. It holds only what
//! `count_piece` computed, so it cannot change a count, whatever it evicts.

/// Pieces up to [`crate::hash::SHORT`] bytes are memoised, under their two-word key.
const BITS: u32 = 13;

pub(crate) struct PieceCache {
    /// The piece's key (`hash::short_key`: bytes zero-padded to 15, then its length) with
    /// the count in the top 4 bits; all zero when empty (no key is).
    slots: Box<[[u64; 2]]>,
}

/// The top byte's count bits, left out of comparisons.
const COUNT_BITS: u64 = 0xF0 << 56;

impl PieceCache {
    pub(crate) fn new() -> PieceCache {
        PieceCache {
            slots: vec![[0, 0]; 1 << BITS].into_boxed_slice(),
        }
    }

    #[inline(always)]
    fn slot(hash: u64) -> usize {
        (hash as usize) & ((1 << BITS) - 1)
    }

    #[inline(always)]
    pub(crate) fn get(&self, hash: u64, key: [u64; 2]) -> Option<usize> {
        let [lo, hi] = self.slots[Self::slot(hash)];
        (lo == key[0] && (hi ^ key[1]) & !COUNT_BITS == 0).then_some((hi >> 60) as usize)
    }

    #[inline(always)]
    pub(crate) fn put(&mut self, hash: u64, key: [u64; 2], count: usize) {
        debug_assert!(count <= crate::hash::SHORT);
        self.slots[Self::slot(hash)] = [key[0], key[1] | (count as u64) << 60];
    }
}
