//! A step on the `BATCH_STEPS` queue: which batch, what woke it, and the deciding run's
//! window and clock. Small (a few hundred bytes: one queue operation each way) and
//! versioned, so a message written by one deploy and read by another is never misread.

use crate::store::{OpenMeta, StepKind};
use serde::{Deserialize, Serialize};

/// The message format this Worker writes and reads.
pub const MESSAGE_FORMAT: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepMessage {
    pub v: u32,
    pub batch_id: String,
    pub created_at: f64,
    pub step: StepKind,
    /// The deciding run's previous run: steps that fell due since then are due.
    pub since: f64,
    /// The deciding run's clock minus the real one. The cron's clock is its scheduled time
    /// (so consecutive runs' windows tile, and tests move time forward); a step continues
    /// that clock. In production, a few milliseconds.
    pub clock_offset_ms: f64,
    /// What the index entry said, so the step can tell whether to put it right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<OpenMeta>,
}

impl StepMessage {
    /// Reads a message body (JSON text); `None` for one this Worker cannot read.
    pub fn decode(text: &str) -> Option<StepMessage> {
        let message: StepMessage = serde_json::from_str(text).ok()?;
        (message.v == MESSAGE_FORMAT && crate::store::keys::is_batch_id(&message.batch_id))
            .then_some(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edge_llm_core::Provider;

    #[test]
    fn messages_read_back_and_others_are_refused() {
        let m = StepMessage {
            v: MESSAGE_FORMAT,
            batch_id: "eb_0123456789abcdef01234567".into(),
            created_at: 1.0,
            step: StepKind::Poll,
            since: 2.0,
            clock_offset_ms: -3.0,
            index: Some(OpenMeta {
                provider: Provider::Anthropic,
                wake: None,
                step: None,
            }),
        };
        let text = serde_json::to_string(&m).unwrap();
        assert!(text.len() < 400, "{text}");
        assert_eq!(StepMessage::decode(&text), Some(m.clone()));
        let newer = text.replace("\"v\":1", "\"v\":2");
        assert_eq!(StepMessage::decode(&newer), None);
        let bad_id = text.replace("eb_0123456789abcdef01234567", "a/b");
        assert_eq!(StepMessage::decode(&bad_id), None);
        assert_eq!(StepMessage::decode("[]"), None);
    }
}
