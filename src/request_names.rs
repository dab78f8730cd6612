//! How the Worker names requests upstream. OpenAI batches keep the client's ids (the batch
//! itself carries the gateway id as metadata). Anthropic's keep no metadata, so there each
//! request is named `{batch id}-{position}`: results map back by position, and any result
//! line says which gateway batch it belongs to — which is how a lost create is told apart
//! from others of its size (`crate::cron`'s reconcile step).

/// The upstream name of request `index` of gateway batch `batch_id` (at most 34 characters
/// of `[A-Za-z0-9_-]`: within Anthropic's `custom_id` rule).
pub fn positional(batch_id: &str, index: usize) -> String {
    format!("{batch_id}-{index}")
}

/// The position a positional name stands for, if it is one of `batch_id`'s.
pub fn position_in(batch_id: &str, custom_id: &str) -> Option<u64> {
    custom_id
        .strip_prefix(batch_id)?
        .strip_prefix('-')?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_only_for_their_own_batch() {
        let id = "eb_0123456789abcdef01234567";
        let name = positional(id, 41);
        assert_eq!(name, "eb_0123456789abcdef01234567-41");
        assert!(edge_llm_core::anthropic::batches::is_valid_custom_id(
            &positional(id, 99_999)
        ));
        assert_eq!(position_in(id, &name), Some(41));
        assert_eq!(position_in("eb_0123456789abcdef01234568", &name), None);
        assert_eq!(position_in(id, "r41"), None);
        assert_eq!(position_in(id, &format!("{id}-x")), None);
    }
}
