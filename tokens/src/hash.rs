//! The key and hash of a byte string. build.rs includes this file too, so the buckets it
//! precomputes are the ones the lookup computes.
//!
//! Most pieces and tokens are short, so a string of up to 15 bytes has a two-word key: its
//! bytes zero-padded, and its length in the top byte. Keys compare with two integer
//! compares instead of a `memcmp` call (which was ~8% of the time), and the hash is
//! computed from the key. Only 64-bit loads and multiplies: wasm32 has no 128-bit multiply.

/// Strings up to this long have a [`short_key`].
pub const SHORT: usize = 15;

#[inline(always)]
fn load8(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"))
}

#[inline(always)]
fn load4(b: &[u8], i: usize) -> u64 {
    u64::from(u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes")))
}

/// `b` (at most 8 bytes) as a little-endian word, zero-padded. Overlapping loads read each
/// byte without branching on every length; where they overlap they agree, so `|` is exact.
#[inline(always)]
fn padded(b: &[u8]) -> u64 {
    let n = b.len();
    if n >= 8 {
        load8(b, 0)
    } else if n >= 4 {
        load4(b, 0) | load4(b, n - 4) << (8 * (n - 4))
    } else if n > 0 {
        u64::from(b[0])
            | u64::from(b[n / 2]) << (8 * (n / 2))
            | u64::from(b[n - 1]) << (8 * (n - 1))
    } else {
        0
    }
}

/// The key of a string of at most [`SHORT`] bytes.
#[inline(always)]
pub fn short_key(b: &[u8]) -> [u64; 2] {
    let n = b.len();
    debug_assert!(n <= SHORT);
    let hi = if n > 8 {
        // The last 8 bytes, shifted so that byte 8 comes first.
        load8(b, n - 8) >> (8 * (16 - n))
    } else {
        0
    };
    [padded(b), hi | (n as u64) << 56]
}

const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xA076_1D64_78BD_642F;

#[inline(always)]
fn mix(h: u64) -> u64 {
    let h = (h ^ (h >> 32)).wrapping_mul(K1);
    h ^ (h >> 29)
}

/// The hash of a short string from its key: two multiplies; the top bits (the bucket)
/// come out of the last multiply, the low bits (the memo slot) get the top ones folded in.
#[inline(always)]
pub fn hash_key(key: [u64; 2]) -> u64 {
    let h = (key[0].wrapping_mul(K2) ^ key[1]).wrapping_mul(K1);
    h ^ (h >> 32)
}

/// The hash of any byte string.
#[inline(always)]
pub fn hash(b: &[u8]) -> u64 {
    if b.len() <= SHORT {
        return hash_key(short_key(b));
    }
    let n = b.len();
    let mut h = (n as u64).wrapping_mul(K2);
    let mut i = 0;
    while i + 8 < n {
        h = mix(h ^ load8(b, i));
        i += 8;
    }
    mix(mix(h ^ load8(b, n - 8)))
}
