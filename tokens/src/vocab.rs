//! A vocabulary as build.rs lays it out: a hash table ready to use in place.
//!
//! Format: tokens are grouped in buckets by the top bits of [`hash`] (~3 per bucket),
//! shortest first within a bucket, in four parallel arrays: `bytes` (concatenated), `lens`
//! (u8), `ranks` (low 16 bits, u16 LE) and `ranks_hi` (top 2 bits, four per byte); plus,
//! per bucket, `counts` (tokens, u8) and `sizes` (bytes, u16 LE).
//!
//! Performance notes (Node 20 on the 2-core machine, o200k unless said otherwise):
//! * Nothing is parsed or hashed at start-up: indexing is one prefix sum over the bucket
//!   counts and sizes (~0.5 ms; from the token lengths instead it was ~2.5 ms). tiktoken-rs decodes 200k base64 lines into a `HashMap`
//!   (~150 ms of a cold isolate's CPU); our first version hashed the 200k tokens into a
//!   table at first use: ~12 ms cold in wasm, most of it first-touch page faults on 2.8 MB
//!   of fresh memory (this VM pays ~1 ms per MB touched).
//! * Module size is start-up time too: V8 reads, compiles and instantiates ~3 ms per MB of
//!   wasm, so the data is kept small: no offsets (the index rebuilds them), 18-bit ranks.
//!   (The bucket sizes cost 0.19 MB raw, ~0.6 ms to load, to save ~2 ms of indexing.)
//! * The ranks follow bucket order, not rank order, so they cost 18 bits per token that
//!   gzip cannot shrink (~0.45 MB for o200k, 0.21 for cl100k): the price of not building
//!   the table at start-up. Both vocabularies take ~2.2 MB of gzip, inside the Worker's 3 MB.
//! * Most lookups never get here: the piece memo (`cache.rs`) answers them.

use crate::hash::{hash, hash_key, short_key, SHORT};

/// The longest token in either vocabulary; longer byte strings are never looked up.
pub(crate) const MAX_TOKEN_LEN: usize = 128;

/// The arrays build.rs wrote for one encoding.
pub(crate) struct Embedded {
    pub bytes: &'static [u8],
    pub lens: &'static [u8],
    pub ranks: &'static [u8],
    pub ranks_hi: &'static [u8],
    pub counts: &'static [u8],
    pub sizes: &'static [u8],
}

pub(crate) struct Vocab {
    data: Embedded,
    /// Per bucket (and one past the last): index of its first token, offset of its bytes.
    starts: Box<[(u32, u32)]>,
    /// `64 - log2(bucket count)`: the bucket is the hash's top bits.
    shift: u32,
}

impl Vocab {
    /// Indexes the embedded arrays: where each bucket's tokens and bytes start.
    pub(crate) fn new(data: Embedded) -> Vocab {
        let buckets = data.counts.len();
        assert!(buckets.is_power_of_two(), "a power of two of buckets");
        let mut starts = Vec::with_capacity(buckets + 1);
        let (mut token, mut offset) = (0usize, 0u32);
        starts.push((0, 0));
        for (&count, size) in data.counts.iter().zip(data.sizes.chunks_exact(2)) {
            token += count as usize;
            offset += u32::from(u16::from_le_bytes([size[0], size[1]]));
            starts.push((token as u32, offset));
        }
        assert_eq!(token, data.lens.len(), "bucket counts add up to the tokens");
        assert_eq!(offset as usize, data.bytes.len(), "lengths add up to the bytes");
        let shift = 64 - buckets.trailing_zeros();
        Vocab { data, starts: starts.into_boxed_slice(), shift }
    }

    /// The rank of the token whose bytes are `piece`, if there is one.
    #[inline]
    pub(crate) fn rank(&self, piece: &[u8]) -> Option<u32> {
        if piece.len() <= SHORT {
            let key = short_key(piece);
            self.rank_short(key, hash_key(key))
        } else if piece.len() <= MAX_TOKEN_LEN {
            self.rank_long(piece, hash(piece))
        } else {
            None
        }
    }

    /// [`Vocab::rank`] of a piece of at most [`SHORT`] bytes, by its key and hash.
    #[inline]
    pub(crate) fn rank_short(&self, key: [u64; 2], hash: u64) -> Option<u32> {
        let n = (key[1] >> 56) as usize;
        self.find(n, hash, |token| short_key(token) == key)
    }

    /// [`Vocab::rank`] of a piece longer than [`SHORT`] bytes, by its hash.
    #[inline]
    pub(crate) fn rank_long(&self, piece: &[u8], hash: u64) -> Option<u32> {
        self.find(piece.len(), hash, |token| token == piece)
    }

    /// Scans the bucket of `hash` for a token of length `n` that `matches`.
    #[inline(always)]
    fn find(&self, n: usize, hash: u64, matches: impl Fn(&[u8]) -> bool) -> Option<u32> {
        let bucket = (hash >> self.shift) as usize;
        let ((first, mut offset), (end, _)) = (self.starts[bucket], self.starts[bucket + 1]);
        for i in first as usize..end as usize {
            let len = self.data.lens[i] as usize;
            if len >= n {
                if len > n {
                    return None; // shortest first: no later token can match
                }
                if matches(&self.data.bytes[offset as usize..offset as usize + len]) {
                    return Some(self.rank_of(i));
                }
            }
            offset += len as u32;
        }
        None
    }

    #[inline(always)]
    fn rank_of(&self, i: usize) -> u32 {
        let lo = u32::from(u16::from_le_bytes([self.data.ranks[2 * i], self.data.ranks[2 * i + 1]]));
        let hi = u32::from(self.data.ranks_hi[i / 4] >> (2 * (i % 4)) & 3);
        hi << 16 | lo
    }

    /// Bytes of memory this vocabulary uses at run time (embedded arrays and index).
    pub(crate) fn heap_bytes(&self) -> usize {
        let d = &self.data;
        d.bytes.len() + d.lens.len() + d.ranks.len() + d.ranks_hi.len() + d.counts.len() + d.sizes.len()
            + 8 * self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::vocab;
    use crate::Encoding;

    /// Every embedded token is found under its own rank (build.rs and the lookup agree on
    /// the hash and the layout), and the ranks are exactly `0..n`.
    #[test]
    fn every_token_is_found_under_its_rank() {
        for (encoding, n) in [(Encoding::O200kBase, 199_998), (Encoding::Cl100kBase, 100_256)] {
            let v = vocab(encoding);
            assert_eq!(v.data.lens.len(), n, "{}", encoding.name());
            let mut seen = vec![false; n];
            let mut offset = 0;
            for i in 0..n {
                let len = v.data.lens[i] as usize;
                let token = &v.data.bytes[offset..offset + len];
                offset += len;
                let rank = v.rank_of(i);
                assert_eq!(v.rank(token), Some(rank), "{}: {token:?}", encoding.name());
                assert!(!std::mem::replace(&mut seen[rank as usize], true), "rank {rank} twice");
            }
            // Strings that are not tokens are not found.
            assert_eq!(v.rank(&[0xFF; 3]), None);
            assert_eq!(v.rank(&[b'x'; 129]), None);
        }
    }
}
