//! The vocabularies as build.rs lays them out: one hash table, ready to use in place.
//!
//! Format: every token of either encoding (215,221; 85,033 of cl100k's 100,256 are also
//! o200k's) is grouped in buckets by the top bits of [`hash`] (~6.6 per bucket), shortest
//! first within a bucket, in parallel arrays: `bytes` (concatenated) and `lens` (u8), and
//! per encoding `ranks` (low 16 bits, u16 LE) and `ranks_hi` (top 2 bits, four per byte),
//! [`NONE`] where the encoding lacks the token; plus, per bucket, `counts` (tokens, u8) and
//! `sizes` (bytes, u16 LE), and per group of 8 buckets, `checkpoints` (first token index,
//! first byte offset; u32 LE each).
//!
//! Performance notes (measured in Node 20 on the 2-core machine; o200k unless said):
//! * Nothing is parsed, hashed or indexed at start-up: the arrays are used where the module
//!   put them. tiktoken-rs decodes 200k base64 lines into a `HashMap` (~150 ms of a cold
//!   isolate's CPU). Our first version hashed the 200k tokens into a table at first use:
//!   ~12 ms cold in wasm, most of it first-touch page faults on 2.8 MB of fresh memory
//!   (this VM pays ~1 ms per MB touched); an index of bucket starts still took ~1.5 ms,
//!   which the checkpoints and the word-at-a-time sums in [`Vocab::bucket`] replace.
//! * Module size is start-up time too: a module with 1 MB more data took 4.5 ms longer to
//!   load (read, compile, instantiate: median of 12 cold processes). So the data is lean:
//!   2.84 MB raw for both encodings (bytes 1.52, lengths 0.22, ranks 0.97, bucket tables
//!   0.13), no per-token offsets, 18-bit ranks, and one table for both: two tables were
//!   3.22 MB. The shared table costs 1% more instructions over the corpus.
//! * The ranks follow bucket order, not rank order, so they cost 18 bits per token that
//!   gzip cannot shrink (0.47 MB for o200k): the price of not building the table at
//!   start-up. Kept apart from the bytes, they gzip 0.35 MB smaller than interleaved
//!   records did. Both vocabularies: 1.92 MB gzip, inside the Worker's 3 MB with room.
//! * Most lookups never get here: the piece memo (`cache.rs`) answers ~90% of pieces.

use crate::hash::{hash, hash_key, short_key, SHORT};

/// The longest token in either vocabulary; longer byte strings are never looked up.
pub(crate) const MAX_TOKEN_LEN: usize = 128;

/// The hash table of every token of both encodings, as build.rs wrote it, used in place.
pub(crate) struct Table {
    pub bytes: &'static [u8],
    pub lens: &'static [u8],
    pub counts: &'static [u8],
    pub sizes: &'static [u8],
    pub checkpoints: &'static [u8],
}

/// One encoding's view of the [`Table`]: its ranks, [`NONE`] for the other's tokens.
pub(crate) struct Vocab {
    pub table: &'static Table,
    pub ranks: &'static [u8],
    pub ranks_hi: &'static [u8],
}

/// The rank of a token that is not in this encoding.
const NONE: u32 = (1 << 18) - 1;

#[inline(always)]
fn word(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// Sum of the byte lanes of `x` (less than 256 by construction).
#[inline(always)]
fn sum_u8_lanes(x: u64) -> usize {
    (x.wrapping_mul(0x0101_0101_0101_0101) >> 56) as usize
}

/// Sum of the u16 lanes of `x` (less than 65536 by construction).
#[inline(always)]
fn sum_u16_lanes(x: u64) -> usize {
    (x.wrapping_mul(0x0001_0001_0001_0001) >> 48) as usize
}

/// The `bits` low bits set (`bits` < 64).
#[inline(always)]
fn low(bits: usize) -> u64 {
    (1u64 << bits) - 1
}

impl Vocab {
    /// `64 - log2(bucket count)`: the bucket is the hash's top bits.
    #[inline(always)]
    fn shift(&self) -> u32 {
        64 - self.table.counts.len().trailing_zeros()
    }

    /// The bucket's tokens (`first..end`) and the offset of its first token's bytes: its
    /// group's checkpoint plus the counts and sizes of the buckets before it in the group,
    /// summed a word at a time. This replaces an index built at start-up (~1.5 ms cold and
    /// 256 KB of fresh memory for o200k) with ~20 integer operations per lookup.
    #[inline(always)]
    fn bucket(&self, bucket: usize) -> (usize, usize, usize) {
        let (group, j) = (bucket >> 3, bucket & 7);
        let checkpoint = word(self.table.checkpoints, 8 * group);
        let (token0, offset0) = (
            (checkpoint & 0xFFFF_FFFF) as usize,
            (checkpoint >> 32) as usize,
        );
        let counts = word(self.table.counts, 8 * group);
        let first = token0 + sum_u8_lanes(counts & low(8 * j));
        let end = first + ((counts >> (8 * j)) & 0xFF) as usize;
        let (s0, s1) = (
            word(self.table.sizes, 16 * group),
            word(self.table.sizes, 16 * group + 8),
        );
        let before = if j < 4 {
            sum_u16_lanes(s0 & low(16 * j))
        } else {
            sum_u16_lanes(s0) + sum_u16_lanes(s1 & low(16 * (j - 4)))
        };
        (first, end, offset0 + before)
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
        let (first, end, mut offset) = self.bucket((hash >> self.shift()) as usize);
        for i in first..end {
            let len = self.table.lens[i] as usize;
            if len >= n {
                if len > n {
                    return None; // shortest first: no later token can match
                }
                if matches(&self.table.bytes[offset..offset + len]) {
                    // Bytes are unique in the table, so no later token can match either.
                    let rank = self.rank_of(i);
                    return (rank != NONE).then_some(rank);
                }
            }
            offset += len;
        }
        None
    }

    #[inline(always)]
    fn rank_of(&self, i: usize) -> u32 {
        let lo = u32::from(u16::from_le_bytes([
            self.ranks[2 * i],
            self.ranks[2 * i + 1],
        ]));
        let hi = u32::from(self.ranks_hi[i / 4] >> (2 * (i % 4)) & 3);
        hi << 16 | lo
    }
}

#[cfg(test)]
mod tests {
    use super::NONE;
    use crate::engine::vocab;
    use crate::Encoding;

    /// Every token of the table is found under its rank in the encodings that have it and
    /// not found in the others (build.rs and the lookup agree on the hash and the layout),
    /// and each encoding's ranks are exactly `0..n`.
    #[test]
    fn every_token_is_found_under_its_rank() {
        for (encoding, n) in [
            (Encoding::O200kBase, 199_998),
            (Encoding::Cl100kBase, 100_256),
        ] {
            let v = vocab(encoding);
            let mut seen = vec![false; n];
            let mut offset = 0;
            for i in 0..v.table.lens.len() {
                let len = v.table.lens[i] as usize;
                let token = &v.table.bytes[offset..offset + len];
                offset += len;
                let rank = v.rank_of(i);
                if rank == NONE {
                    assert_eq!(v.rank(token), None, "{}: {token:?}", encoding.name());
                    continue;
                }
                assert_eq!(v.rank(token), Some(rank), "{}: {token:?}", encoding.name());
                assert!(
                    !std::mem::replace(&mut seen[rank as usize], true),
                    "rank {rank} twice"
                );
            }
            assert!(
                seen.iter().all(|&s| s),
                "{}: every rank is there",
                encoding.name()
            );
            // Strings that are not tokens are not found.
            assert_eq!(v.rank(&[0xFF; 3]), None);
            assert_eq!(v.rank(&[b'x'; 129]), None);
        }
    }
}
