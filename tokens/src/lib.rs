//! Token counting for the OpenAI encodings edge-llm needs.
//!
//! The public surface is deliberately tiny — [`Encoding`], [`Encoding::for_model`],
//! [`Encoding::count`] and [`count_tokens`] — so the engine behind it can change
//! (see the "Performance" section of the README) without touching any caller.
//!
//! The engine, and why it is fast (details next to the code):
//! * `build.rs` lays both vocabularies out as one hash table that is used where the
//!   module puts it (`vocab.rs`): nothing is parsed or built at start-up.
//! * `split.rs` pre-tokenises by hand, equivalent to the official regular expressions.
//! * `bpe.rs` counts merges without building token vectors; `cache.rs` memoises the
//!   count of short pieces.
//!
//! Counts equal tiktoken-rs's `encode_ordinary(text).len()` (the equivalence tests in
//! `tests/` check it on a corpus and on adversarial text).
//!
//! Special-token text such as `<|endoftext|>` counts as ordinary text, as the
//! contract requires (`countTokens` never refuses input).

mod bpe;
mod cache;
mod engine;
mod hash;
mod split;
mod vocab;

/// The byte-pair encodings edge-llm counts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// gpt-4o, gpt-4.1, gpt-5, o-series, and every model we do not recognise.
    O200kBase,
    /// gpt-4 (non-"o"), gpt-3.5, and the text-embedding models.
    Cl100kBase,
}

impl Encoding {
    /// Every encoding, in a stable order.
    pub const ALL: [Encoding; 2] = [Encoding::O200kBase, Encoding::Cl100kBase];

    /// The encoding OpenAI uses for `model`; unknown models fall back to o200k_base.
    pub fn for_model(model: &str) -> Encoding {
        // Dated snapshots ("gpt-4-0613") and fine-tunes ("ft:gpt-3.5-turbo:org::id") share
        // their family's encoding, so match on the family prefix.
        let family = model.strip_prefix("ft:").unwrap_or(model);
        const CL100K_FAMILIES: [&str; 5] = [
            "gpt-4",
            "gpt-3.5",
            "gpt-35",
            "text-embedding-ada-002",
            "text-embedding-3",
        ];
        let is_o200k_gpt4 = family.starts_with("gpt-4o") || family.starts_with("gpt-4.");
        if !is_o200k_gpt4 && CL100K_FAMILIES.iter().any(|f| family.starts_with(f)) {
            Encoding::Cl100kBase
        } else {
            Encoding::O200kBase
        }
    }

    /// The encoding called `name` (`"o200k_base"`, `"cl100k_base"`).
    pub fn from_name(name: &str) -> Option<Encoding> {
        Encoding::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The name tiktoken gives this encoding.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::Cl100kBase => "cl100k_base",
        }
    }

    /// How many tokens `text` encodes to, special-token text counted as ordinary text.
    pub fn count(self, text: &str) -> usize {
        engine::count(self, text)
    }
}

/// Tokens in `text` for `model` (the contract's `countTokens(text, model)`).
pub fn count_tokens(text: &str, model: &str) -> usize {
    Encoding::for_model(model).count(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_map_to_their_family_encoding() {
        for (model, enc) in [
            ("gpt-4o", Encoding::O200kBase),
            ("gpt-4o-mini-2024-07-18", Encoding::O200kBase),
            ("gpt-4.1", Encoding::O200kBase),
            ("gpt-5", Encoding::O200kBase),
            ("o3-mini", Encoding::O200kBase),
            ("gpt-4", Encoding::Cl100kBase),
            ("gpt-4-0613", Encoding::Cl100kBase),
            ("gpt-4-turbo", Encoding::Cl100kBase),
            ("gpt-3.5-turbo", Encoding::Cl100kBase),
            ("ft:gpt-3.5-turbo:acme::abc", Encoding::Cl100kBase),
            ("text-embedding-3-small", Encoding::Cl100kBase),
            ("claude-sonnet-4", Encoding::O200kBase),
            ("llama3.2", Encoding::O200kBase),
            ("", Encoding::O200kBase),
        ] {
            assert_eq!(Encoding::for_model(model), enc, "{model}");
        }
    }

    #[test]
    fn names_round_trip() {
        for e in Encoding::ALL {
            assert_eq!(Encoding::from_name(e.name()), Some(e));
        }
        assert_eq!(Encoding::from_name("r50k_base"), None);
    }

    #[test]
    fn special_token_text_counts_as_ordinary_text() {
        // With special tokens allowed this would be 1 token.
        assert!(Encoding::O200kBase.count("<|endoftext|>") > 1);
    }

    #[test]
    fn empty_text_has_no_tokens() {
        for e in Encoding::ALL {
            assert_eq!(e.count(""), 0);
        }
    }
}
