//! A batch request body streamed into the provider's batch input, so a body of up to the
//! 100 MiB limit never has to be in the isolate's 128 MB at once.
//!
//! [`BodyFeed`] reads the body chunk by chunk and hands out its top-level fields and its
//! requests one at a time (`edge_llm_core::batch::request_body`). [`InputSource`] turns them
//! into the bytes of the upstream call — OpenAI's multipart file upload or Anthropic's create
//! body, framed by `BatchApi::input_stream` — linting each request on the way. The upstream
//! `fetch` pulls from it, so the body is read only as fast as the upload goes out. The
//! request ids go to KV a page at a time as they are read ([`IdPages`]), all of them before
//! the body's last byte goes upstream, so no batch can exist upstream without them.

use crate::api_error::ApiError;
use crate::body::{parse_at, too_large, MIB};
use crate::store::{Store, PAGE_ITEMS};
use edge_llm_core::batch::request_body::{BodyError, BodyEvent, RequestBodyReader};
use edge_llm_core::lint::BatchLinter;
use edge_llm_core::message::BatchChatRequest;
use edge_llm_core::provider::{BatchApi, InputStream};
use futures_util::StreamExt;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use worker::ByteStream;

/// The largest single request in a batch body: as large as a whole chat body may be. A
/// request is held three times while it is turned into upload bytes (raw, parsed, encoded),
/// so this bounds the isolate's memory for any body shape (contract §4.1).
pub const MAX_REQUEST_BYTES: usize = 4 * MIB;
/// Upload chunks are about this size: fewer, larger chunks cross into JavaScript faster.
const CHUNK_BYTES: usize = 64 * 1024;

fn body_error(e: BodyError) -> ApiError {
    ApiError::field(&e.field, e.problem)
}

/// The request body as a sequence of [`BodyEvent`]s, read as needed.
pub struct BodyFeed {
    stream: ByteStream,
    reader: RequestBodyReader,
    events: VecDeque<BodyEvent>,
    read: usize,
    limit: usize,
    ended: bool,
}

impl BodyFeed {
    pub fn new(stream: ByteStream, limit: usize) -> Self {
        BodyFeed {
            stream,
            reader: RequestBodyReader::new(MAX_REQUEST_BYTES),
            events: VecDeque::new(),
            read: 0,
            limit,
            ended: false,
        }
    }

    /// The next field or request; `None` once the body is over (and was complete).
    pub async fn next(&mut self) -> Result<Option<BodyEvent>, ApiError> {
        match self.next_event().await {
            Err(e) if e.status == 400 => Err(self.drain(e).await),
            other => other,
        }
    }

    /// After a malformed body: reads (without parsing) to the end, so a body that is also too
    /// large is a 413, as the limit promises, and the client is not cut off mid-send.
    async fn drain(&mut self, error: ApiError) -> ApiError {
        while !self.ended {
            match self.stream.next().await {
                Some(Ok(chunk)) => {
                    self.read += chunk.len();
                    if self.read > self.limit {
                        return too_large(self.limit);
                    }
                }
                _ => self.ended = true,
            }
        }
        error
    }

    async fn next_event(&mut self) -> Result<Option<BodyEvent>, ApiError> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(Some(event));
            }
            if self.ended {
                return Ok(None);
            }
            let mut out = vec![];
            match self.stream.next().await {
                Some(chunk) => {
                    let chunk = chunk.map_err(|e| ApiError::field("body", e))?;
                    self.read += chunk.len();
                    if self.read > self.limit {
                        return Err(too_large(self.limit));
                    }
                    self.reader.push(&chunk, &mut out).map_err(body_error)?;
                }
                None => {
                    self.ended = true;
                    if self.read == 0 {
                        return Err(ApiError::field("body", "is empty; send a JSON object"));
                    }
                    self.reader.finish(&mut out).map_err(body_error)?;
                }
            }
            self.events.extend(out);
        }
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> usize {
        self.read
    }
}

/// `provider` and `model` as the body gives them (`null` reads as absent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Choice {
    pub provider: Option<String>,
    pub model: Option<String>,
}

impl Choice {
    pub fn set(&mut self, name: &str, value: &[u8]) -> Result<(), ApiError> {
        let value: Option<String> = parse_at(value, name)?;
        match name {
            "provider" => self.provider = value,
            _ => self.model = value,
        }
        Ok(())
    }
}

/// What the streamed call leaves behind for the route: how many requests went upstream,
/// and the first problem found in the body (a 400 or 413 beats the upstream error it causes).
#[derive(Default)]
pub struct Outcome {
    pub total: u64,
    /// Pages of ids written to KV so far.
    pub id_pages: u32,
    pub error: Option<ApiError>,
}

/// The request ids, written to KV a page at a time as the body is read: only one page is
/// ever held.
pub struct IdPages {
    pub store: Store,
    pub id: String,
    pub created_at: f64,
    page: u32,
    ids: Vec<String>,
}

impl IdPages {
    pub fn new(store: Store, id: String, created_at: f64) -> Self {
        IdPages {
            store,
            id,
            created_at,
            page: 0,
            ids: Vec::with_capacity(PAGE_ITEMS as usize),
        }
    }

    async fn push(&mut self, request_id: String) -> Result<(), ApiError> {
        self.ids.push(request_id);
        if self.ids.len() >= PAGE_ITEMS as usize {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes the page in hand (the last one may be short).
    pub async fn flush(&mut self) -> Result<(), ApiError> {
        if self.ids.is_empty() {
            return Ok(());
        }
        let now = js_sys::Date::now();
        self.store
            .put_ids_page(&self.id, self.created_at, self.page, &self.ids, now)
            .await?;
        self.page += 1;
        self.ids.clear();
        Ok(())
    }

    /// Pages written so far.
    pub fn pages_written(&self) -> u32 {
        self.page
    }
}

enum Phase {
    Head,
    Items,
    Tail,
    Done,
}

/// The bytes of the upstream call, made as they are pulled.
pub struct InputSource {
    feed: BodyFeed,
    ahead: VecDeque<(usize, Vec<u8>)>,
    /// The provider and model the input is being built for, and what the body had said by
    /// the time streaming began: a later field may not change them.
    choice: Choice,
    resolved: (String, String),
    api: BatchApi,
    input: InputStream,
    linter: BatchLinter,
    ids: IdPages,
    /// `Some(batch id)`: requests are named by position upstream (`crate::request_names`).
    names: Option<String>,
    phase: Phase,
    outcome: Rc<RefCell<Outcome>>,
}

impl InputSource {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        feed: BodyFeed,
        ahead: VecDeque<(usize, Vec<u8>)>,
        choice: Choice,
        resolved: (String, String),
        api: BatchApi,
        input: InputStream,
        ids: IdPages,
        names: Option<String>,
        outcome: Rc<RefCell<Outcome>>,
    ) -> Result<Self, ApiError> {
        let linter = BatchLinter::new(api.provider())?;
        Ok(InputSource {
            feed,
            ahead,
            choice,
            resolved,
            api,
            input,
            linter,
            ids,
            names,
            phase: Phase::Head,
            outcome,
        })
    }

    /// The source as a JavaScript `ReadableStream` for `fetch`.
    pub fn into_readable_stream(self) -> JsValue {
        let stream = futures_util::stream::unfold(self, |mut source| async move {
            let chunk = source.next_chunk().await?;
            Some((chunk, source))
        });
        wasm_streams::ReadableStream::from_stream(stream)
            .into_raw()
            .into()
    }

    async fn next_chunk(&mut self) -> Option<Result<JsValue, JsValue>> {
        let bytes = match self.phase {
            Phase::Head => {
                self.phase = Phase::Items;
                Ok(self.input.head.clone().into_bytes())
            }
            Phase::Items => self.items().await,
            Phase::Tail => {
                self.phase = Phase::Done;
                Ok(self.input.tail.clone().into_bytes())
            }
            Phase::Done => return None,
        };
        match bytes {
            Ok(bytes) => Some(Ok(js_sys::Uint8Array::from(bytes.as_slice()).into())),
            Err(error) => {
                // Erroring the stream aborts the upload: upstream never sees a whole body.
                self.phase = Phase::Done;
                let message = JsValue::from_str(&error.message);
                let mut outcome = self.outcome.borrow_mut();
                outcome.error.get_or_insert(error);
                Some(Err(message))
            }
        }
    }

    /// The next requests' items, about [`CHUNK_BYTES`] of them.
    async fn items(&mut self) -> Result<Vec<u8>, ApiError> {
        let mut chunk = String::with_capacity(CHUNK_BYTES + 1024);
        while chunk.len() < CHUNK_BYTES {
            let Some((index, json)) = self.next_request().await? else {
                self.linter.finish()?;
                // The last ids are stored before the body can end upstream.
                self.ids.flush().await?;
                self.outcome.borrow_mut().id_pages = self.ids.pages_written();
                self.phase = Phase::Tail;
                break;
            };
            let mut request: BatchChatRequest = parse_at(&json, &format!("requests[{index}]"))?;
            let item = match &self.names {
                Some(batch_id) => {
                    let name = crate::request_names::positional(batch_id, index);
                    let client_id = std::mem::replace(&mut request.id, name);
                    let item = self.api.input_item(&request);
                    request.id = client_id;
                    item
                }
                None => self.api.input_item(&request),
            };
            // The client's id is what is linted and stored.
            self.linter
                .check(index, &request, item.len() + self.input.separator.len())?;
            if index > 0 {
                chunk.push_str(self.input.separator);
            }
            chunk.push_str(&item);
            self.outcome.borrow_mut().total += 1;
            self.ids.push(request.id).await?;
            self.outcome.borrow_mut().id_pages = self.ids.pages_written();
        }
        Ok(chunk.into_bytes())
    }

    async fn next_request(&mut self) -> Result<Option<(usize, Vec<u8>)>, ApiError> {
        if let Some(request) = self.ahead.pop_front() {
            return Ok(Some(request));
        }
        loop {
            match self.feed.next().await? {
                None => return Ok(None),
                Some(BodyEvent::Request { index, json }) => return Ok(Some((index, json))),
                Some(BodyEvent::Field { name, value }) => self.late_field(&name, &value)?,
            }
        }
    }

    /// `provider` or `model` after the requests of a body too large to read ahead: fine if
    /// it says what the input is already being built for.
    fn late_field(&mut self, name: &str, value: &[u8]) -> Result<(), ApiError> {
        let mut later = self.choice.clone();
        later.set(name, value)?;
        let given = if name == "provider" {
            &later.provider
        } else {
            &later.model
        };
        let in_use = if name == "provider" {
            &self.resolved.0
        } else {
            &self.resolved.1
        };
        if given.as_ref().is_some_and(|g| g != in_use) {
            return Err(ApiError::field(
                name,
                format!("must come before `requests` in a batch body larger than {} MiB: the batch is sent upstream as it is read", crate::routes::batch_create::READ_AHEAD_BYTES / MIB),
            ));
        }
        Ok(())
    }
}
