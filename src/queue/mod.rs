//! Batch steps over Cloudflare Queues. The cron run decides which batches are due and sends
//! one message per step to the `BATCH_STEPS` queue ([`enqueue`]); the same Worker consumes
//! them ([`consume`]), a delivery of up to 100 at a time, each step with the same code as
//! a cron run without a queue (`crate::step`). Delivery is at least once: a step finds
//! from the record whether anything is still due, so duplicates do nothing.
//!
//! A step that fails (KV, a removed provider key) is retried by the queue with a doubling
//! delay; after the consumer's `max_retries` the queue moves the message to the
//! dead-letter queue (a queue whose name ends in `-dlq`, consumed here too), which notes on
//! the record that the step was set aside — `lastError` in the status — and logs it. The
//! batch is not blocked: its next due step is enqueued as usual.

mod consume;

pub use consume::consume;

use crate::step::StepMessage;
use worker::{Env, MessageBuilder, Queue};

/// The producer binding. Without it the cron does the steps itself (see `crate::cron`).
pub const BINDING: &str = "BATCH_STEPS";
/// Queues whose names end so carry messages the main queue gave up on.
const DEAD_LETTER_SUFFIX: &str = "-dlq";
/// Messages per `sendBatch` (Queues' limit: 100 and 256 KB; ours are well under 1 KB).
const SEND_CHUNK: usize = 100;
/// Seconds before the first retry of a failed step; each retry doubles it
/// (`BATCH_STEP_RETRY_DELAY_SECONDS` overrides it, tests set 0).
const RETRY_DELAY_SECONDS: u32 = 30;
/// The longest retry delay (Queues allows 24 h).
const MAX_RETRY_DELAY_SECONDS: u32 = 15 * 60;

/// The `BATCH_STEPS` queue, when the Worker has one.
pub fn binding(env: &Env) -> Option<Queue> {
    env.queue(BINDING).ok()
}

/// Sends the steps, 100 to a call. Returns how many were sent; a chunk that fails is
/// logged by the caller and decided again by the next run.
pub async fn enqueue(queue: &Queue, steps: Vec<StepMessage>) -> (usize, Vec<String>) {
    let mut sent = 0;
    let mut errors = vec![];
    let mut steps = steps.into_iter().peekable();
    while steps.peek().is_some() {
        let chunk: Vec<StepMessage> = steps.by_ref().take(SEND_CHUNK).collect();
        let n = chunk.len();
        let messages: Vec<_> = chunk
            .into_iter()
            .map(|m| MessageBuilder::new(m).build())
            .collect();
        match queue.send_batch(messages).await {
            Ok(()) => sent += n,
            Err(e) => errors.push(e.to_string()),
        }
    }
    (sent, errors)
}

/// The delay before retry `attempts + 1` of a failed step.
fn retry_delay_seconds(env: &Env, attempts: u32) -> u32 {
    let base = env
        .var("BATCH_STEP_RETRY_DELAY_SECONDS")
        .ok()
        .and_then(|v| v.to_string().trim().parse::<u32>().ok())
        .unwrap_or(RETRY_DELAY_SECONDS);
    backoff(base, attempts)
}

/// `base` seconds after the first failure, doubling, at most [`MAX_RETRY_DELAY_SECONDS`].
fn backoff(base: u32, attempts: u32) -> u32 {
    base.saturating_mul(1 << attempts.saturating_sub(1).min(10))
        .min(MAX_RETRY_DELAY_SECONDS)
}

fn is_dead_letter_queue(name: &str) -> bool {
    name.ends_with(DEAD_LETTER_SUFFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_fifteen_minutes() {
        let waits: Vec<u32> = (1..=7).map(|n| backoff(RETRY_DELAY_SECONDS, n)).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 900, 900]);
        assert_eq!(backoff(0, 5), 0);
        assert_eq!(backoff(u32::MAX, 40), MAX_RETRY_DELAY_SECONDS);
        assert!(is_dead_letter_queue("edge-llm-batch-steps-dlq"));
        assert!(!is_dead_letter_queue("edge-llm-batch-steps"));
    }
}
