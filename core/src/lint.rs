//! Pre-flight checks the Worker runs before it sends anything upstream, so a bad batch is a
//! 400 naming the field instead of a batch that fails hours later. (The npm classes send
//! what they are given, as the reference does.)

use crate::anthropic::batches::{is_valid_custom_id, CUSTOM_ID_PATTERN};
use crate::error::Provider;
use crate::message::{BatchChatRequest, Message, Role};
use std::collections::HashSet;
use std::fmt;

/// What is wrong, and where (`field` is a path such as `requests[3].id`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LintError {
    pub field: String,
    pub problem: String,
}

impl fmt::Display for LintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

fn err(field: impl Into<String>, problem: impl Into<String>) -> LintError {
    LintError {
        field: field.into(),
        problem: problem.into(),
    }
}

/// The Batch API limits of each provider.
pub struct BatchLimits {
    pub max_requests: usize,
    /// OpenAI: the input file; Anthropic: the whole create body.
    pub max_bytes: usize,
}

pub fn batch_limits(provider: Provider) -> Option<BatchLimits> {
    match provider {
        Provider::OpenAI => Some(BatchLimits {
            max_requests: 50_000,
            max_bytes: 200 * 1_000_000,
        }),
        Provider::Anthropic => Some(BatchLimits {
            max_requests: 100_000,
            max_bytes: 256 * 1_000_000,
        }),
        Provider::Ollama => None,
    }
}

/// Longest `custom_id` we accept for OpenAI (it documents none; ids are echoed in every line).
const MAX_OPENAI_ID_LEN: usize = 512;

/// Checks one conversation: not empty, something to answer, and for OpenAI's JSON mode the
/// word "json" somewhere (OpenAI rejects the call otherwise).
pub fn lint_messages(
    provider: Provider,
    messages: &[Message],
    field: &str,
) -> Result<(), LintError> {
    if messages.is_empty() {
        return Err(err(field, "must contain at least one message"));
    }
    if !messages.iter().any(|m| m.role != Role::System) {
        return Err(err(field, "needs at least one user or assistant message"));
    }
    if provider == Provider::OpenAI
        && !messages
            .iter()
            .any(|m| m.content.to_ascii_lowercase().contains("json"))
    {
        return Err(err(field, "JSON mode needs the word \"json\" in one of the messages (OpenAI rejects it otherwise)"));
    }
    Ok(())
}

/// Checks a whole batch: count, ids (present, unique, valid for the provider) and every
/// conversation. `encoded_bytes` is the size of what will be uploaded.
pub fn lint_batch(
    provider: Provider,
    requests: &[BatchChatRequest],
    encoded_bytes: usize,
) -> Result<(), LintError> {
    let mut linter = BatchLinter::new(provider)?;
    let max = linter.limits.max_requests;
    if requests.len() > max {
        return Err(err(
            "requests",
            format!(
                "has {} requests; {provider} batches take at most {max}",
                requests.len()
            ),
        ));
    }
    for (i, r) in requests.iter().enumerate() {
        linter.check(i, r, 0)?;
    }
    linter.check_bytes(encoded_bytes)?;
    linter.finish()
}

/// [`lint_batch`] one request at a time, for a batch that streams through (the Worker never
/// holds a large batch whole). Memory: 16 bytes per id seen (a 128-bit hash of it, not the
/// id: 100,000 ids of 512 bytes would otherwise take 50 MB).
pub struct BatchLinter {
    provider: Provider,
    limits: BatchLimits,
    seen: HashSet<u128>,
    bytes: usize,
}

/// A 128-bit fingerprint of an id: two SipHash runs with different prefixes. Two distinct
/// ids of one batch sharing it is a 2⁻¹²⁸-scale accident, not something to design for.
fn fingerprint(id: &str) -> u128 {
    use std::hash::{Hash, Hasher};
    let half = |salt: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        salt.hash(&mut h);
        id.hash(&mut h);
        h.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}

impl BatchLinter {
    /// A linter for `provider`'s Batch API (an error if it has none).
    pub fn new(provider: Provider) -> Result<Self, LintError> {
        let limits = batch_limits(provider)
            .ok_or_else(|| err("provider", format!("{} has no Batch API", provider.id())))?;
        Ok(BatchLinter {
            provider,
            limits,
            seen: HashSet::new(),
            bytes: 0,
        })
    }

    /// Requests checked so far.
    pub fn count(&self) -> usize {
        self.seen.len()
    }

    /// Checks request `i`, which encodes to `encoded_bytes` of upload.
    pub fn check(
        &mut self,
        i: usize,
        r: &BatchChatRequest,
        encoded_bytes: usize,
    ) -> Result<(), LintError> {
        let provider = self.provider;
        if self.seen.len() >= self.limits.max_requests {
            return Err(err(
                "requests",
                format!(
                    "has more than {} requests; {provider} batches take at most {}",
                    self.limits.max_requests, self.limits.max_requests
                ),
            ));
        }
        let field = format!("requests[{i}].id");
        match provider {
            Provider::Anthropic if !is_valid_custom_id(&r.id) => {
                return Err(err(
                    field,
                    format!("{:?} must match {CUSTOM_ID_PATTERN} for Anthropic", r.id),
                ));
            }
            _ if r.id.is_empty() => return Err(err(field, "must not be empty")),
            _ if r.id.len() > MAX_OPENAI_ID_LEN => {
                return Err(err(
                    field,
                    format!("is longer than {MAX_OPENAI_ID_LEN} bytes"),
                ));
            }
            _ => {}
        }
        lint_messages(provider, &r.messages, &format!("requests[{i}].messages"))?;
        if !self.seen.insert(fingerprint(&r.id)) {
            return Err(err(
                field,
                format!(
                    "{:?} is used by an earlier request; ids must be unique",
                    r.id
                ),
            ));
        }
        self.check_bytes(encoded_bytes)
    }

    /// Adds `encoded_bytes` to the upload's size and checks the provider's limit.
    pub fn check_bytes(&mut self, encoded_bytes: usize) -> Result<(), LintError> {
        self.bytes += encoded_bytes;
        if self.bytes > self.limits.max_bytes {
            let (provider, max) = (self.provider, self.limits.max_bytes);
            return Err(err(
                "requests",
                format!("encode to more than {max} bytes; {provider} batches take at most {max}"),
            ));
        }
        Ok(())
    }

    /// The batch as a whole: not empty.
    pub fn finish(&self) -> Result<(), LintError> {
        if self.seen.is_empty() {
            return Err(err("requests", "must contain at least one request"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(id: &str, text: &str) -> BatchChatRequest {
        BatchChatRequest {
            id: id.into(),
            messages: vec![Message::new(Role::User, text)],
        }
    }

    #[test]
    fn a_good_batch_passes() {
        assert_eq!(
            lint_batch(Provider::OpenAI, &[req("a", "json"), req("b", "JSON")], 10),
            Ok(())
        );
    }

    #[test]
    fn problems_name_the_field() {
        let e =
            lint_batch(Provider::OpenAI, &[req("a", "json"), req("a", "json")], 10).unwrap_err();
        assert_eq!(
            e.to_string(),
            "requests[1].id: \"a\" is used by an earlier request; ids must be unique"
        );
        let e = lint_batch(Provider::OpenAI, &[req("a", "json"), req("b", "hi")], 10).unwrap_err();
        assert_eq!(e.field, "requests[1].messages");
        let e = lint_batch(Provider::Anthropic, &[req("a b", "x")], 10).unwrap_err();
        assert_eq!(
            e.to_string(),
            "requests[0].id: \"a b\" must match ^[a-zA-Z0-9_-]{1,64}$ for Anthropic"
        );
        assert_eq!(
            lint_batch(Provider::OpenAI, &[], 0).unwrap_err().field,
            "requests"
        );
        assert_eq!(
            lint_batch(Provider::Ollama, &[req("a", "x")], 0)
                .unwrap_err()
                .field,
            "provider"
        );
        assert_eq!(
            lint_batch(Provider::OpenAI, &[req("", "json")], 0)
                .unwrap_err()
                .field,
            "requests[0].id"
        );
    }

    #[test]
    fn limits_hold() {
        let many: Vec<_> = (0..50_001).map(|i| req(&i.to_string(), "json")).collect();
        assert!(lint_batch(Provider::OpenAI, &many, 10)
            .unwrap_err()
            .problem
            .contains("at most 50000"));
        let mut linter = BatchLinter::new(Provider::OpenAI).unwrap();
        linter.check(0, &req("a", "json"), 150_000_000).unwrap();
        assert_eq!(
            linter
                .check(1, &req("b", "json"), 60_000_000)
                .unwrap_err()
                .field,
            "requests"
        );
        assert!(lint_batch(Provider::OpenAI, &[req("a", "json")], 300_000_000).is_err());
    }

    #[test]
    fn conversations_need_an_answerable_turn() {
        let only_system = [Message::new(Role::System, "json")];
        assert!(lint_messages(Provider::Anthropic, &only_system, "messages").is_err());
        assert!(lint_messages(
            Provider::Anthropic,
            &[Message::new(Role::User, "hi")],
            "messages"
        )
        .is_ok());
        assert!(lint_messages(
            Provider::OpenAI,
            &[Message::new(Role::User, "hi")],
            "messages"
        )
        .is_err());
    }
}
