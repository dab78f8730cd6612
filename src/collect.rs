//! Collecting a finished batch's results into KV: the result files are read as streams (they
//! can be far larger than the isolate's memory), each line parsed as it arrives, and results
//! go to input-ordered pages written as fragments under the run's own attempt id. Only when
//! every fragment is written does the record name the attempt and become readable.

use crate::api_error::ApiError;
use crate::log::WorkerHost;
use crate::store::{BatchRecord, Store, StoredResults, PAGE_ITEMS};
use edge_llm_core::batch::pages::{Fragment, PageWriter};
use edge_llm_core::batch::{Action, LineProblem, LineSplitter};
use edge_llm_core::client::batch::{read_text, BatchDriver};
use edge_llm_core::client::{send, CallOptions};
use edge_llm_core::error::{Op, Operation};
use edge_llm_core::host::{BodyError, Host};
use edge_llm_core::provider::BatchApi;
use edge_llm_core::retry::RetryPolicy;
use edge_llm_core::Error;
use serde_json::json;
use std::collections::HashMap;

/// Results buffered before the largest pages are written out. Measured on 50,000 results
/// arriving shuffled (tests/worker/large-batch.test.mjs): with 32 MiB the isolate's wasm
/// memory peaked at 95 MB, with 16 MiB at 52 MB (the create of the same batch alone takes
/// 40 MB), for 144 instead of 92 fragments (57 MB of results) or 348 (157 MB); output in
/// input order writes each page once and stays within the 40 MB either way.
const BUFFER_BYTES: usize = 16 * 1024 * 1024;
/// Largest fragment: well under KV's 25 MiB value limit, and small enough that a results
/// read, which holds one fragment at a time, stays small (a page of 1,000 answers of 64 KB
/// is 8 fragments; a 100-item read touches one or two).
const MAX_FRAGMENT_BYTES: usize = 8 * 1024 * 1024;
const DOWNLOAD: CallOptions = CallOptions {
    retry: RetryPolicy { max_retries: 2 },
    timeout_ms: Some(120_000),
};

/// Why collecting stopped.
pub enum CollectError {
    /// Upstream: the batch machine decides whether to try again.
    Upstream(Error),
    /// KV: try again on the next run.
    Store(ApiError),
}

impl From<ApiError> for CollectError {
    fn from(e: ApiError) -> Self {
        CollectError::Store(e)
    }
}

struct Tally {
    items: u64,
    unknown_ids: u64,
    unreadable: u64,
    fragments: u64,
}

pub async fn collect(
    store: &Store,
    host: &WorkerHost,
    api: &BatchApi,
    record: &mut BatchRecord,
) -> Result<(), CollectError> {
    let started = host.now_ms();
    let Action::Collect { files, .. } = record.job.next_action(started) else {
        return Ok(());
    };
    api.check_result_origins(files)
        .map_err(CollectError::Upstream)?;
    let requests = api.result_requests(files);
    let attempt = format!("{:08x}", (js_sys::Math::random() * 4e9) as u32);
    let inputs = InputIds::load(store, record).await?;
    let mut writer = PageWriter::new(record.total, PAGE_ITEMS, BUFFER_BYTES, MAX_FRAGMENT_BYTES);
    let driver = BatchDriver::new(host, api, DOWNLOAD);
    let op = Op::new(api.provider(), Operation::ResultsDownload);
    let mut tally = Tally {
        items: 0,
        unknown_ids: 0,
        unreadable: 0,
        fragments: 0,
    };
    let mut pending: Vec<Fragment> = vec![];
    for request in requests {
        let response = send(host, &request, op, DOWNLOAD)
            .await
            .map_err(CollectError::Upstream)?;
        let mut splitter = LineSplitter::default();
        let mut take = |line: Result<&str, LineProblem>, pending: &mut Vec<Fragment>| {
            let Some(item) = driver.take_line(line) else {
                tally.unreadable += 1;
                return;
            };
            let Some((position, id)) = inputs.locate(item.custom_id) else {
                tally.unknown_ids += 1;
                return;
            };
            tally.items += 1;
            let json =
                serde_json::to_string(&item.result.with_id(id)).expect("results are plain JSON");
            pending.extend(writer.add(position, json));
        };
        match response.chunks() {
            Some(mut reader) => loop {
                let chunk = reader
                    .next_chunk()
                    .await
                    .map_err(|e| CollectError::Upstream(body_error(op, e)))?;
                let Some(chunk) = chunk else { break };
                splitter.push(&chunk, |line| take(line, &mut pending));
                write(store, record, &attempt, &mut pending, &mut tally.fragments).await?;
            },
            None => {
                let text = read_text(response, op)
                    .await
                    .map_err(CollectError::Upstream)?;
                splitter.push(text.as_bytes(), |line| take(line, &mut pending));
            }
        }
        splitter.finish(|line| take(line, &mut pending));
        write(store, record, &attempt, &mut pending, &mut tally.fragments).await?;
    }
    // Upstream said how many results there are; unreadable lines and fewer results than that
    // mean the download was not the file (a proxy's error page served as 200, a file cut
    // without an error; nothing is named yet: the fragments are orphans). It is tried again,
    // as any failed download is, until the trouble has lasted the limit (§4.1): then what it
    // holds is kept. A count of tries kept a proxy's page after three bad downloads in a row,
    // which the soak's fault rates reach now and then.
    let expected = expected_results(record);
    let hopeless = record.job.trouble().is_some_and(|t| t.is_hopeless(started));
    if tally.unreadable > 0 && tally.items < expected && !hopeless {
        let detail = format!(
            "{} result lines could not be read, and {} of the {expected} results upstream reports were found",
            tally.unreadable, tally.items
        );
        let problem = edge_llm_core::error::AnswerProblem::Unreadable { detail };
        return Err(CollectError::Upstream(Error::BadAnswer { op, problem }));
    }
    let (mut rest, manifest) = writer.finish();
    write(store, record, &attempt, &mut rest, &mut tally.fragments).await?;
    record.results = Some(StoredResults { attempt, manifest });
    record.job.on_collected();
    record.updated_at = host.now_ms();
    host.log.info(
        "results stored",
        json!({
            "items": tally.items, "unknownIds": tally.unknown_ids, "unreadableLines": tally.unreadable, "fragments": tally.fragments,
            "durationMs": host.now_ms() - started, "wasmMemoryBytes": crate::log::wasm_memory_bytes(),
        }),
    );
    Ok(())
}

/// How many result lines upstream's counts promise: every request once ended (Anthropic), or
/// those OpenAI counts as done either way.
fn expected_results(record: &BatchRecord) -> u64 {
    let c = record.job.counts();
    match record.provider {
        edge_llm_core::Provider::Anthropic => c.total,
        _ => c.completed + c.failed,
    }
    .min(record.total)
}

/// The batch's request ids, to place each result line: by the client's id, or — where
/// requests were named by position upstream — by the position in the name.
enum InputIds {
    ByName(HashMap<String, u64>),
    ByPosition { batch_id: String, ids: Vec<String> },
}

impl InputIds {
    async fn load(store: &Store, record: &BatchRecord) -> Result<InputIds, ApiError> {
        let mut ids = Vec::with_capacity(record.total as usize);
        let pages = record.total.div_ceil(u64::from(PAGE_ITEMS)) as u32;
        for page in 0..pages {
            ids.extend(store.ids_page(&record.id, page).await?.ok_or_else(|| {
                ApiError::new(
                    503,
                    "not_ready",
                    format!(
                        "ids page {page} of batch {} is not readable (yet)",
                        record.id
                    ),
                )
            })?);
        }
        if record.positional_names {
            return Ok(InputIds::ByPosition {
                batch_id: record.id.clone(),
                ids,
            });
        }
        let mut positions = HashMap::with_capacity(ids.len());
        for (i, id) in ids.into_iter().enumerate() {
            positions.entry(id).or_insert(i as u64);
        }
        Ok(InputIds::ByName(positions))
    }

    /// The input position and the client's id of the request upstream calls `custom_id`.
    fn locate(&self, custom_id: String) -> Option<(u64, String)> {
        match self {
            InputIds::ByName(positions) => Some((*positions.get(&custom_id)?, custom_id)),
            InputIds::ByPosition { batch_id, ids } => {
                let position = crate::request_names::position_in(batch_id, &custom_id)?;
                Some((position, ids.get(position as usize)?.clone()))
            }
        }
    }
}

async fn write(
    store: &Store,
    record: &BatchRecord,
    attempt: &str,
    pending: &mut Vec<Fragment>,
    count: &mut u64,
) -> Result<(), ApiError> {
    for fragment in pending.drain(..) {
        let now = js_sys::Date::now();
        store
            .put_fragment(&record.id, record.created_at, attempt, fragment, now)
            .await?;
        *count += 1;
    }
    Ok(())
}

fn body_error(op: Op, e: BodyError) -> Error {
    match e {
        BodyError::Read(message) | BodyError::NotJson(message) => Error::Network { op, message },
    }
}
