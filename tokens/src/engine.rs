//! The counting engine: tiktoken-rs, whose singletons build each vocabulary on first use.

use crate::Encoding;

pub(crate) fn count(encoding: Encoding, text: &str) -> usize {
    let bpe = match encoding {
        Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
        Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
    };
    bpe.encode_ordinary(text).len()
}
