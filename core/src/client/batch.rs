//! The batch steps every driver runs — create, poll, collect, cancel, list — with the
//! reference's log lines, and [`BatchDriver::run`], the loop behind the npm package's
//! `chatBatch`. The Worker's cron calls the same `poll`, `take_line`, `cancel_past_window`
//! and `list`, one step per run.

use super::{read_json, send, send_once, CallOptions};
use crate::batch::{
    Action, BatchJob, BatchList, ItemKind, ItemLine, LineProblem, LineSplitter, Outcome, PollNote,
    PollReport, PollResult, ResultSet,
};
use crate::error::{AnswerProblem, Error, Op, Operation};
use crate::host::{BodyError, Host, Level, UpstreamResponse};
use crate::http::HttpRequest;
use crate::provider::{BatchApi, BatchInput};
use crate::retry::RetryPolicy;
use serde_json::json;

/// A [`BatchApi`] bound to a host.
pub struct BatchDriver<'a, H: Host> {
    pub host: &'a H,
    pub api: &'a BatchApi,
    /// Retries and timeout for upload, create and download (polls are never retried: the
    /// machine's error streak is their retry policy).
    pub opts: CallOptions,
}

impl<'a, H: Host> BatchDriver<'a, H> {
    pub fn new(host: &'a H, api: &'a BatchApi, opts: CallOptions) -> Self {
        BatchDriver { host, api, opts }
    }

    fn op(&self, operation: Operation) -> Op {
        Op::new(self.api.provider(), operation)
    }

    /// Uploads the input (OpenAI) and creates the batch; afterwards the job polls.
    pub async fn create(&self, job: &mut BatchJob, input: BatchInput<'_>) -> Result<(), Error> {
        self.create_tagged(job, input, None).await
    }

    /// [`BatchDriver::create`], with the Worker's own id for the batch kept upstream where
    /// the API has metadata (see `BatchApi::create_request`).
    pub async fn create_tagged(
        &self,
        job: &mut BatchJob,
        input: BatchInput<'_>,
        tag: Option<&str>,
    ) -> Result<(), Error> {
        if let Some(Action::Upload) = job.create_step() {
            let op = self.op(Operation::FileUpload);
            let request = self
                .api
                .upload_request(input)
                .expect("only OpenAI jobs start at Upload");
            let response = send(self.host, &request, op, self.opts).await?;
            self.accept(job, read_json(response, op).await?)?;
        }
        if let Some(Action::Create { input_file_id }) = job.create_step() {
            let op = self.op(Operation::BatchCreate);
            let request = self.api.create_request(input_file_id, input, tag)?;
            let response = send_once(self.host, &request, op, self.opts).await?;
            self.accept(job, read_json(response, op).await?)?;
        }
        Ok(())
    }

    /// Reads the answer to the job's Upload or Create step, however the call was made (the
    /// Worker streams the input itself; see `BatchApi::input_stream`).
    pub fn accept(&self, job: &mut BatchJob, body: serde_json::Value) -> Result<(), Error> {
        match job.create_step() {
            Some(Action::Upload) => {
                let op = self.op(Operation::FileUpload);
                let id = self
                    .api
                    .parse_upload(body)
                    .map_err(|problem| Error::BadAnswer { op, problem })?;
                job.on_uploaded(id);
            }
            Some(Action::Create { .. }) => {
                let op = self.op(Operation::BatchCreate);
                let snapshot = self
                    .api
                    .parse_snapshot(body)
                    .map_err(|problem| Error::BadAnswer { op, problem })?;
                if snapshot.id.is_empty() {
                    let problem = AnswerProblem::Unreadable {
                        detail: "the created batch has no id".into(),
                    };
                    return Err(Error::BadAnswer { op, problem });
                }
                job.on_created(snapshot, self.host.now_ms());
                self.host.log(
                    Level::Info,
                    "Batch created",
                    json!({"batchId": job.batch_id()}),
                );
            }
            _ => {}
        }
        Ok(())
    }

    /// Sends a poll or cancel once (the job's rules are its retry policy) and reads the
    /// answer as a snapshot, or says why there is none.
    async fn ask(&self, request: &HttpRequest, op: Op) -> PollResult {
        let once = CallOptions {
            retry: RetryPolicy::NONE,
            timeout_ms: self.opts.timeout_ms,
        };
        match send(self.host, request, op, once).await {
            Ok(response) => match read_json(response, op).await {
                Ok(body) => match self.api.parse_snapshot(body) {
                    Ok(snapshot) => PollResult::Snapshot(snapshot),
                    Err(problem) => {
                        PollResult::Unreachable(Error::BadAnswer { op, problem }.to_string())
                    }
                },
                Err(e) => PollResult::Unreachable(e.to_string()),
            },
            Err(Error::Status(e)) => PollResult::Rejected(e),
            Err(e) => PollResult::Unreachable(e.to_string()),
        }
    }

    /// Polls once and logs what happened.
    pub async fn poll(&self, job: &mut BatchJob) -> PollReport {
        let batch_id = job.batch_id().unwrap_or_default().to_string();
        let op = self.op(Operation::BatchPoll);
        let result = self.ask(&self.api.poll_request(&batch_id), op).await;
        let now = self.host.now_ms();
        let report = job.on_poll(now, result);
        let elapsed_ms = job.elapsed_ms(now);
        match &report.note {
            PollNote::Polled {
                upstream_status,
                status,
            } => {
                let meta = json!({"batchId": batch_id, "status": upstream_status, "elapsedMs": elapsed_ms});
                self.host.log(Level::Info, "Polling batch", meta);
                if *status == crate::batch::BatchStatus::Completed {
                    self.host.log(
                        Level::Info,
                        "Batch completed",
                        json!({"batchId": batch_id, "elapsedMs": elapsed_ms}),
                    );
                }
            }
            PollNote::TransientStatus {
                status,
                consecutive_errors,
            } => {
                let meta = json!({"batchId": batch_id, "status": status, "consecutiveErrors": consecutive_errors});
                self.host.log(Level::Warn, "Transient poll error", meta);
            }
            PollNote::TransientNetwork {
                message,
                consecutive_errors,
            } => {
                let meta = json!({"batchId": batch_id, "consecutiveErrors": consecutive_errors, "error": message});
                self.host
                    .log(Level::Warn, "Transient poll error (network)", meta);
            }
            PollNote::Retrying {
                message,
                attempts,
                retry_at_ms,
            } => {
                let meta = json!({"batchId": batch_id, "attempts": attempts, "retryInMs": retry_at_ms - now, "error": message});
                self.host.log(Level::Warn, "Poll failed; retrying", meta);
            }
            PollNote::Fatal => {}
        }
        report
    }

    /// The Worker's last resort for a batch upstream keeps open far past its window: cancel
    /// it there (upstream then ends it, keeping what finished).
    pub async fn cancel_past_window(&self, job: &mut BatchJob) -> PollReport {
        let batch_id = job.batch_id().unwrap_or_default().to_string();
        let op = self.op(Operation::BatchCancel);
        let result = self.ask(&self.api.cancel_request(&batch_id), op).await;
        let now = self.host.now_ms();
        let meta = json!({"batchId": batch_id, "elapsedMs": job.elapsed_ms(now), "ok": matches!(result, PollResult::Snapshot(_))});
        self.host.log(
            Level::Warn,
            "Batch still open past its window: cancelling it upstream",
            meta,
        );
        job.on_cancel_sent(now, result)
    }

    /// One page of upstream's batches, newest first.
    pub async fn list(&self, after: Option<&str>) -> Result<BatchList, Error> {
        let op = self.op(Operation::BatchPoll);
        let response = send(self.host, &self.api.list_request(after), op, self.opts).await?;
        self.api
            .parse_list(read_json(response, op).await?)
            .map_err(|problem| Error::BadAnswer { op, problem })
    }

    /// Asks upstream to cancel; the answer is recorded like a poll.
    pub async fn cancel(&self, job: &mut BatchJob) -> Result<PollReport, Error> {
        let batch_id = job.batch_id().unwrap_or_default().to_string();
        let op = self.op(Operation::BatchCancel);
        let response = send(
            self.host,
            &self.api.cancel_request(&batch_id),
            op,
            self.opts,
        )
        .await?;
        let snapshot = self
            .api
            .parse_snapshot(read_json(response, op).await?)
            .map_err(|problem| Error::BadAnswer { op, problem })?;
        Ok(job.on_poll(self.host.now_ms(), PollResult::Snapshot(snapshot)))
    }

    /// Reads every result file whole into `results` (the Worker streams them instead,
    /// through [`BatchDriver::take_line`]).
    pub async fn collect(&self, job: &mut BatchJob, results: &mut ResultSet) -> Result<(), Error> {
        let Action::Collect { files, .. } = job.next_action(self.host.now_ms()) else {
            return Ok(());
        };
        let op = self.op(Operation::ResultsDownload);
        for request in self.api.result_requests(files) {
            let text = match send(self.host, &request, op, self.opts).await {
                Ok(response) => read_text(response, op).await,
                Err(e) => Err(e),
            };
            let text = match text {
                Ok(text) => text,
                Err(e) => {
                    job.on_collect_failed(self.host.now_ms(), e.clone());
                    return Err(e);
                }
            };
            let mut splitter = LineSplitter::default();
            let mut take = |line: Result<&str, LineProblem>| {
                if let Some(item) = self.take_line(line) {
                    results.insert(item);
                }
            };
            splitter.push(text.as_bytes(), &mut take);
            splitter.finish(&mut take);
        }
        job.on_collected();
        Ok(())
    }

    /// Parses one result line and logs as the reference does; a line that cannot be read is
    /// logged and skipped (its request then reads "No result returned from batch").
    pub fn take_line(&self, line: Result<&str, LineProblem>) -> Option<ItemLine> {
        let mut item = line.and_then(|l| self.api.parse_line(l));
        if let Ok(ItemLine { result, .. }) = &mut item {
            result.error = result.error.take().map(|e| self.host.admit(e));
        }
        match &item {
            Ok(ItemLine {
                custom_id,
                kind: ItemKind::Errored,
                result,
            }) => {
                self.host.log(
                    Level::Warn,
                    "Batch item errored",
                    json!({"customId": custom_id, "error": result.error}),
                );
            }
            Ok(ItemLine {
                custom_id,
                kind: ItemKind::InvalidJson,
                ..
            }) => {
                self.host.log(
                    Level::Warn,
                    "Batch item returned invalid JSON",
                    json!({"customId": custom_id}),
                );
            }
            Ok(_) => {}
            Err(problem) => {
                let meta = json!({"line": problem.snippet, "error": problem.detail});
                self.host
                    .log(Level::Warn, "Batch result line unreadable", meta);
            }
        }
        item.ok()
    }

    /// Drives `job` to its end, sleeping between polls: the npm package's `chatBatch`.
    /// `on_created` is called once, when a new batch exists upstream.
    pub async fn run(
        &self,
        job: &mut BatchJob,
        input: BatchInput<'_>,
        on_created: impl FnOnce(&str),
    ) -> Result<(Outcome, ResultSet), Error> {
        let mut results = ResultSet::default();
        let mut on_created = Some(on_created);
        loop {
            let now = self.host.now_ms();
            match job.next_action(now) {
                Action::Upload | Action::Create { .. } => {
                    self.create(job, input).await?;
                    if let (Some(callback), Some(id)) = (on_created.take(), job.batch_id()) {
                        callback(id);
                    }
                }
                Action::Sleep { until_ms } => self.host.sleep(until_ms - now).await,
                Action::Poll { .. } => {
                    self.poll(job).await;
                }
                Action::Collect { .. } => self.collect(job, &mut results).await?,
                Action::Cancel { .. } => {
                    self.cancel_past_window(job).await;
                }
                // Only the Worker's rules look for a lost create; a loop never loses one.
                Action::Reconcile { .. } => {
                    return Err(Error::InvalidInput {
                        provider: self.api.provider(),
                        message: "a batch being created cannot be resumed in a loop".into(),
                    })
                }
                Action::Finished { outcome, .. } => return Ok((outcome, results)),
                Action::Failed(error) => return Err(error.clone()),
            }
        }
    }
}

fn body_error(op: Op, e: BodyError) -> Error {
    match e {
        BodyError::Read(message) => Error::Network { op, message },
        BodyError::NotJson(snippet) => Error::BadAnswer {
            op,
            problem: AnswerProblem::Unreadable { detail: snippet },
        },
    }
}

/// The text of a response, with read failures typed (for drivers that read whole files).
pub async fn read_text<R: UpstreamResponse>(response: R, op: Op) -> Result<String, Error> {
    response.text().await.map_err(|e| body_error(op, e))
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
