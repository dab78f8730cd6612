//! Finding the upstream batch of a create whose answer was lost (the Worker's isolate died,
//! KV failed or the client went away after upstream made the batch): contract §4.1's "no
//! billed batch without a record". The Worker lists upstream's batches and this decides,
//! purely, which one — if any — is the lost create.

use super::durable::GIVE_UP_CREATE_MS;
use super::status::BatchSnapshot;
use std::collections::HashMap;

/// One batch of upstream's list.
#[derive(Clone, Debug, PartialEq)]
pub struct ListedBatch {
    pub snapshot: BatchSnapshot,
    /// When upstream made it (ms since the epoch).
    pub created_at_ms: f64,
    /// The gateway's id it was created with, where the API keeps metadata (OpenAI).
    pub tag: Option<String>,
}

/// A page of upstream's list, newest first; `next` continues it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BatchList {
    pub batches: Vec<ListedBatch>,
    pub next: Option<String>,
}

/// The envelope both providers' list answers share: `{data, has_more, last_id}`.
#[derive(serde::Deserialize)]
pub(crate) struct ListPage<T> {
    data: Vec<T>,
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    last_id: Option<String>,
}

impl<T: serde::de::DeserializeOwned> ListPage<T> {
    /// Reads a list answer, each item with `read`; the cursor continues after the last one.
    pub(crate) fn parse(
        body: serde_json::Value,
        read: impl FnMut(T) -> Result<ListedBatch, crate::error::AnswerProblem>,
    ) -> Result<BatchList, crate::error::AnswerProblem> {
        let page: ListPage<T> =
            serde_json::from_value(body).map_err(|e| crate::error::AnswerProblem::Unreadable {
                detail: e.to_string(),
            })?;
        let batches = page
            .data
            .into_iter()
            .map(read)
            .collect::<Result<Vec<_>, _>>()?;
        let next = match page.has_more {
            true => page
                .last_id
                .or_else(|| batches.last().map(|b| b.snapshot.id.clone())),
            false => None,
        };
        Ok(BatchList { batches, next })
    }
}

/// What looking upstream for a lost create found.
#[derive(Clone, Debug, PartialEq)]
pub enum Reconciled {
    /// The batch the create made (its latest snapshot).
    Found(BatchSnapshot),
    /// Nothing that is this batch (yet).
    NotFound,
    /// More than one upstream batch could be this one, and nothing tells them apart yet:
    /// their results will (the Worker names each request upstream after its batch).
    Ambiguous(Vec<BatchSnapshot>),
    /// The lookup itself failed (the contract's message).
    Failed(String),
}

/// Clocks differ: upstream's `created_at` may read a little before the create began.
const CLOCK_SKEW_MS: f64 = 60_000.0;

/// A lost create, as the gateway recorded it before calling upstream.
#[derive(Clone, Copy, Debug)]
pub struct LostCreate<'a> {
    /// The gateway's own id (sent as OpenAI metadata).
    pub id: &'a str,
    /// When the create began.
    pub since_ms: f64,
    /// How many requests it sent.
    pub total: u64,
    /// Whether the API keeps the tag (OpenAI's metadata): then only a tagged batch can be
    /// it, and an untagged one of the same size is someone else's.
    pub tagged: bool,
}

impl LostCreate<'_> {
    /// Whether a batch made at `created_at_ms` is too old to be this create's (the list is
    /// newest first, so a driver stops reading there).
    pub fn is_before(&self, created_at_ms: f64) -> bool {
        created_at_ms < self.since_ms - CLOCK_SKEW_MS
    }

    /// Which of `listed` is the lost create. A batch tagged with its id, or claimed for it
    /// (`claims`: upstream id → the gateway id whose create recorded it), is it. Untagged
    /// ones (Anthropic keeps no metadata) of its time and size that no other create claimed
    /// are only candidates, even a single one — its claim may simply have failed to be
    /// written — and a wrong guess would hand one client another's results: their results,
    /// once they end, tell them apart.
    pub fn find(&self, listed: &[ListedBatch], claims: &HashMap<String, String>) -> Reconciled {
        if let Some(b) = listed.iter().find(|b| b.tag.as_deref() == Some(self.id)) {
            return Reconciled::Found(b.snapshot.clone());
        }
        if self.tagged {
            return Reconciled::NotFound;
        }
        let window = self.since_ms - CLOCK_SKEW_MS..=self.since_ms + GIVE_UP_CREATE_MS;
        let candidates: Vec<&ListedBatch> = listed
            .iter()
            .filter(|b| b.tag.is_none() && window.contains(&b.created_at_ms))
            .filter(|b| b.snapshot.counts.total == self.total)
            .filter(|b| claims.get(&b.snapshot.id).is_none_or(|by| by == self.id))
            .collect();
        if let Some(b) = candidates
            .iter()
            .find(|b| claims.get(&b.snapshot.id).map(String::as_str) == Some(self.id))
        {
            return Reconciled::Found(b.snapshot.clone());
        }
        match candidates.as_slice() {
            [] => Reconciled::NotFound,
            some => Reconciled::Ambiguous(some.iter().map(|b| b.snapshot.clone()).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{BatchStatus, RequestCounts, ResultFiles};

    fn listed(id: &str, created_at_ms: f64, total: u64, tag: Option<&str>) -> ListedBatch {
        ListedBatch {
            snapshot: BatchSnapshot {
                id: id.into(),
                status: BatchStatus::InProgress,
                upstream_status: "in_progress".into(),
                counts: RequestCounts {
                    total,
                    ..Default::default()
                },
                files: ResultFiles::default(),
                first_error: None,
            },
            created_at_ms,
            tag: tag.map(str::to_string),
        }
    }

    const LOST: LostCreate<'static> = LostCreate {
        id: "eb_1",
        since_ms: 1_000_000.0,
        total: 3,
        tagged: false,
    };

    fn found_id(r: Reconciled) -> String {
        match r {
            Reconciled::Found(s) => s.id,
            other => panic!("not found: {other:?}"),
        }
    }

    #[test]
    fn a_tag_decides_whatever_else_matches() {
        let list = [
            listed("b_other", 1_000_100.0, 3, None),
            listed("b_tagged", 5.0, 99, Some("eb_1")),
            listed("b_x", 1_000_100.0, 3, Some("eb_2")),
        ];
        assert_eq!(found_id(LOST.find(&list, &HashMap::new())), "b_tagged");
    }

    #[test]
    fn where_tags_are_kept_an_untagged_batch_is_never_it() {
        let tagged = LostCreate {
            tagged: true,
            ..LOST
        };
        let list = [listed("b_same_size", 1_000_100.0, 3, None)];
        assert_eq!(tagged.find(&list, &HashMap::new()), Reconciled::NotFound);
    }

    #[test]
    fn untagged_batches_match_on_time_and_size_when_unclaimed() {
        let list = [
            listed("b_too_old", 900_000.0, 3, None),
            listed("b_wrong_size", 1_000_100.0, 4, None),
            listed("b_it", 1_000_100.0, 3, None),
            listed("b_tagged_for_another", 1_000_100.0, 3, Some("eb_9")),
        ];
        let Reconciled::Ambiguous(candidates) = LOST.find(&list, &HashMap::new()) else {
            panic!("one candidate is still only a candidate");
        };
        assert_eq!(
            candidates.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            ["b_it"]
        );
        let mine = HashMap::from([("b_it".to_string(), "eb_1".to_string())]);
        assert_eq!(
            found_id(LOST.find(&list, &mine)),
            "b_it",
            "claimed for it: it"
        );
        let claims = HashMap::from([("b_it".to_string(), "eb_7".to_string())]);
        assert_eq!(LOST.find(&list, &claims), Reconciled::NotFound);
    }

    #[test]
    fn two_candidates_are_never_guessed_unless_one_is_claimed_by_us() {
        let list = [
            listed("b_1", 1_000_100.0, 3, None),
            listed("b_2", 1_000_200.0, 3, None),
        ];
        let Reconciled::Ambiguous(candidates) = LOST.find(&list, &HashMap::new()) else {
            panic!("not ambiguous");
        };
        assert_eq!(
            candidates.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            ["b_1", "b_2"]
        );
        let claims = HashMap::from([("b_2".to_string(), "eb_1".to_string())]);
        assert_eq!(found_id(LOST.find(&list, &claims)), "b_2");
    }

    #[test]
    fn the_list_can_stop_before_the_create_began() {
        assert!(LOST.is_before(900_000.0));
        assert!(!LOST.is_before(950_000.0));
    }
}
