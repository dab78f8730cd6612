//! Storing a finished batch's results where no value may exceed a size limit and memory is
//! small (the Worker: 25 MiB per KV value, 128 MB per isolate), while result lines arrive in
//! any order.
//!
//! Results are grouped into pages by *input* position (`page = index / page_items`), so a
//! reader fetches one page to serve a range in input order. Pages are buffered in memory and
//! written as *fragments* whenever the buffer passes its budget: a page whose results are
//! all in is written whole; otherwise the largest pages go first. When output comes in input
//! order (the usual case) every page is written once; shuffled output costs more fragments,
//! never more memory. The [`Manifest`] says how many fragments each page has.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One stored value: some results of one page, as a JSON array of `[index, result]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragment {
    pub page: u32,
    pub number: u32,
    pub body: String,
}

/// What a reader needs to find every fragment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub page_items: u32,
    /// Fragments per page, index = page.
    pub fragments: Vec<u32>,
    /// The first and last input index each fragment holds, per page (items in a fragment
    /// are sorted), so a reader fetches only the fragments a range needs. Absent in
    /// manifests written before it: every fragment of the page is read then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Vec<[u64; 2]>>,
}

impl Manifest {
    pub fn page_of(&self, index: u64) -> u32 {
        (index / u64::from(self.page_items.max(1))) as u32
    }

    /// The fragments of `page` that may hold an index in `start..end`.
    pub fn fragments_for(&self, page: u32, start: u64, end: u64) -> Vec<u32> {
        let count = self.fragments.get(page as usize).copied().unwrap_or(0);
        match self.ranges.get(page as usize) {
            Some(ranges) if ranges.len() == count as usize => (0..count)
                .filter(|&n| {
                    let [first, last] = ranges[n as usize];
                    first < end && last >= start
                })
                .collect(),
            _ => (0..count).collect(),
        }
    }
}

/// Buffers results and hands out the fragments to store.
#[derive(Debug)]
pub struct PageWriter {
    page_items: u32,
    total_items: u64,
    budget_bytes: usize,
    max_fragment_bytes: usize,
    buffered: BTreeMap<u32, Vec<(u64, String)>>,
    buffered_bytes: usize,
    /// Items seen per page (to spot complete pages).
    seen: BTreeMap<u32, u32>,
    fragments: Vec<u32>,
    ranges: Vec<Vec<[u64; 2]>>,
}

impl PageWriter {
    /// `total_items` requests, `page_items` per page; at most `budget_bytes` buffered, at
    /// most `max_fragment_bytes` per fragment.
    pub fn new(
        total_items: u64,
        page_items: u32,
        budget_bytes: usize,
        max_fragment_bytes: usize,
    ) -> Self {
        let pages = total_items.div_ceil(u64::from(page_items.max(1))) as usize;
        PageWriter {
            page_items: page_items.max(1),
            total_items,
            budget_bytes,
            max_fragment_bytes,
            buffered: BTreeMap::new(),
            buffered_bytes: 0,
            seen: BTreeMap::new(),
            fragments: vec![0; pages],
            ranges: vec![vec![]; pages],
        }
    }

    fn items_in_page(&self, page: u32) -> u32 {
        let start = u64::from(page) * u64::from(self.page_items);
        (self.total_items - start).min(u64::from(self.page_items)) as u32
    }

    /// Adds the result of input `index` (already serialised); returns fragments to store now.
    /// Indices outside the batch are ignored.
    pub fn add(&mut self, index: u64, result_json: String) -> Vec<Fragment> {
        if index >= self.total_items {
            return vec![];
        }
        let page = (index / u64::from(self.page_items)) as u32;
        self.buffered_bytes += result_json.len() + 16;
        self.buffered
            .entry(page)
            .or_default()
            .push((index, result_json));
        *self.seen.entry(page).or_default() += 1;
        let mut out = vec![];
        if self.seen[&page] >= self.items_in_page(page) {
            out.extend(self.flush_page(page));
        }
        if self.buffered_bytes > self.budget_bytes {
            // Largest pages first, until half the budget is free again.
            let mut by_size: Vec<(usize, u32)> = self
                .buffered
                .iter()
                .map(|(p, items)| (items.iter().map(|(_, s)| s.len()).sum(), *p))
                .collect();
            by_size.sort_unstable_by(|a, b| b.cmp(a));
            for (_, page) in by_size {
                if self.buffered_bytes <= self.budget_bytes / 2 {
                    break;
                }
                out.extend(self.flush_page(page));
            }
        }
        out
    }

    /// The remaining fragments and the manifest.
    pub fn finish(mut self) -> (Vec<Fragment>, Manifest) {
        let pages: Vec<u32> = self.buffered.keys().copied().collect();
        let out = pages.into_iter().flat_map(|p| self.flush_page(p)).collect();
        (
            out,
            Manifest {
                page_items: self.page_items,
                fragments: self.fragments,
                ranges: self.ranges,
            },
        )
    }

    fn flush_page(&mut self, page: u32) -> Vec<Fragment> {
        let Some(mut items) = self.buffered.remove(&page) else {
            return vec![];
        };
        // Sorted, each fragment covers one stretch of the page: a reader of a range skips
        // the fragments outside it.
        items.sort_by_key(|(index, _)| *index);
        // Bodies are sized up front: grown by doubling, a flush of half the buffer held up to
        // twice its size in slack, and the Worker's memory peaked at 3× the buffer (measured).
        let mut rest: usize = items.iter().map(|(_, json)| entry_len(json)).sum();
        let max = self.max_fragment_bytes;
        let capacity = |rest: usize| rest.min(max) + 2;
        let mut out = vec![];
        let mut body = String::with_capacity(capacity(rest));
        body.push('[');
        let mut range: Option<[u64; 2]> = None;
        for (index, json) in items {
            self.buffered_bytes -= json.len() + 16;
            if body.len() > 1 && body.len() + entry_len(&json) + 1 > max {
                let next = String::with_capacity(capacity(rest));
                let full = std::mem::replace(&mut body, next);
                out.push(self.fragment(page, full, range.take()));
                body.push('[');
            }
            range = Some(match range {
                None => [index, index],
                Some([first, _]) => [first, index],
            });
            if body.len() > 1 {
                body.push(',');
            }
            rest -= entry_len(&json);
            body.push('[');
            body.push_str(&index.to_string());
            body.push(',');
            body.push_str(&json);
            body.push(']');
        }
        out.push(self.fragment(page, body, range));
        out
    }

    fn fragment(&mut self, page: u32, mut body: String, range: Option<[u64; 2]>) -> Fragment {
        body.push(']');
        let number = self.fragments[page as usize];
        self.fragments[page as usize] += 1;
        self.ranges[page as usize].push(range.unwrap_or([u64::MAX, 0]));
        Fragment { page, number, body }
    }
}

/// Bytes an item takes in a fragment body: `[index,json]` and a comma (index ≤ 20 digits).
fn entry_len(json: &str) -> usize {
    json.len() + 24
}

/// The results of a fragment body whose index is in `start..end`, as the JSON they were
/// stored as (not parsed: a reader passes them on as they are). Only the fragment is held,
/// never its page.
pub fn items_in(
    body: &str,
    start: u64,
    end: u64,
) -> Result<Vec<(u64, &serde_json::value::RawValue)>, serde_json::Error> {
    let items: Vec<(u64, &serde_json::value::RawValue)> = serde_json::from_str(body)?;
    Ok(items
        .into_iter()
        .filter(|(i, _)| (start..end).contains(i))
        .collect())
}

/// Reads fragments back: `(index, result)` pairs sorted by index.
pub fn merge_fragments<T: for<'de> Deserialize<'de>>(
    bodies: &[String],
) -> Result<Vec<(u64, T)>, serde_json::Error> {
    let mut items = vec![];
    for body in bodies {
        items.extend(serde_json::from_str::<Vec<(u64, T)>>(body)?);
    }
    items.sort_by_key(|(i, _)| *i);
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(i: u64) -> String {
        format!("{{\"id\":\"r{i}\",\"pad\":\"{}\"}}", "x".repeat(50))
    }

    fn store(order: &[u64], total: u64, budget: usize) -> (BTreeMap<(u32, u32), String>, Manifest) {
        let mut w = PageWriter::new(total, 10, budget, 400);
        let mut stored = BTreeMap::new();
        for &i in order {
            for f in w.add(i, item(i)) {
                assert!(
                    f.body.len() <= 400 + 100,
                    "fragment of {} bytes",
                    f.body.len()
                );
                assert!(
                    stored.insert((f.page, f.number), f.body).is_none(),
                    "fragment written twice"
                );
            }
        }
        let (rest, manifest) = w.finish();
        for f in rest {
            assert!(stored.insert((f.page, f.number), f.body).is_none());
        }
        (stored, manifest)
    }

    fn read_all(stored: &BTreeMap<(u32, u32), String>, manifest: &Manifest) -> Vec<u64> {
        let mut all = vec![];
        for (page, &count) in manifest.fragments.iter().enumerate() {
            let bodies: Vec<String> = (0..count)
                .map(|f| stored[&(page as u32, f)].clone())
                .collect();
            let items: Vec<(u64, serde_json::Value)> = merge_fragments(&bodies).unwrap();
            for (i, v) in &items {
                assert_eq!(v["id"], format!("r{i}"));
                assert_eq!(manifest.page_of(*i), page as u32);
            }
            all.extend(items.into_iter().map(|(i, _)| i));
        }
        all
    }

    #[test]
    fn in_order_output_writes_each_page_once_as_it_completes() {
        let order: Vec<u64> = (0..95).collect();
        let (stored, manifest) = store(&order, 95, 1_000_000);
        assert_eq!(manifest.fragments.len(), 10);
        assert!(manifest.fragments.iter().all(|&n| n >= 1));
        assert_eq!(read_all(&stored, &manifest), order);
    }

    #[test]
    fn shuffled_output_within_a_small_budget_loses_nothing() {
        // A fixed permutation (multiplicative step coprime with 97).
        let order: Vec<u64> = (0..97).map(|i| (i * 37) % 97).collect();
        let (stored, manifest) = store(&order, 97, 500);
        assert!(
            manifest.fragments.iter().sum::<u32>() > 10,
            "the small budget forced spills"
        );
        assert_eq!(read_all(&stored, &manifest), (0..97).collect::<Vec<_>>());
    }

    #[test]
    fn missing_items_leave_gaps_and_strangers_are_ignored() {
        let mut w = PageWriter::new(20, 10, 1_000_000, 10_000);
        assert!(w.add(25, item(25)).is_empty());
        w.add(3, item(3));
        let (frags, manifest) = w.finish();
        assert_eq!(manifest.fragments, vec![1, 0]);
        assert_eq!(frags.len(), 1);
    }

    #[test]
    fn a_range_needs_only_the_fragments_that_hold_it() {
        // 10 items a page, fragments of at most 400 bytes (about 4 items), in order.
        let order: Vec<u64> = (0..30).collect();
        let (stored, manifest) = store(&order, 30, 1_000_000);
        assert_eq!(manifest.fragments[1], 3);
        assert_eq!(manifest.ranges[1], vec![[10, 13], [14, 17], [18, 19]]);
        assert_eq!(manifest.fragments_for(1, 14, 16), vec![1]);
        assert_eq!(manifest.fragments_for(1, 12, 19), vec![0, 1, 2]);
        let body = &stored[&(1, 1)];
        let items = items_in(body, 15, 17).unwrap();
        assert_eq!(items.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [15, 16]);
        assert_eq!(items[0].1.get(), item(15));
        // A manifest written before ranges existed: every fragment of the page is read.
        let old = Manifest {
            ranges: vec![],
            ..manifest
        };
        assert_eq!(old.fragments_for(1, 14, 16), vec![0, 1, 2]);
    }

    #[test]
    fn shuffled_fragments_are_sorted_within() {
        let order: Vec<u64> = (0..97).map(|i| (i * 37) % 97).collect();
        let (stored, manifest) = store(&order, 97, 500);
        for (page, ranges) in manifest.ranges.iter().enumerate() {
            for (n, [first, last]) in ranges.iter().enumerate() {
                let items: Vec<(u64, serde_json::Value)> =
                    serde_json::from_str(&stored[&(page as u32, n as u32)]).unwrap();
                let indices: Vec<u64> = items.iter().map(|(i, _)| *i).collect();
                assert!(indices.windows(2).all(|w| w[0] < w[1]), "{indices:?}");
                assert_eq!((indices[0], *indices.last().unwrap()), (*first, *last));
            }
        }
    }
}
