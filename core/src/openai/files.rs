//! `POST /files` (the batch input upload) and `GET /files/{id}/content`.

use super::OpenAIConfig;
use crate::error::AnswerProblem;
use crate::http::{path_segment, Body, FilePart, HttpRequest, Method, MultipartForm};
use serde::Deserialize;

/// The name the reference gives the uploaded JSONL.
pub const BATCH_INPUT_FILENAME: &str = "batch-input.jsonl";

/// Uploads `jsonl` with `purpose=batch`, as a multipart form (the host sets the boundary).
pub fn upload_batch_input_request(cfg: &OpenAIConfig, jsonl: String) -> HttpRequest {
    HttpRequest {
        method: Method::Post,
        url: cfg.url("/files"),
        headers: vec![cfg.auth_header()],
        body: Body::Multipart(MultipartForm {
            fields: vec![("purpose", "batch".into())],
            file: FilePart {
                field: "file",
                filename: BATCH_INPUT_FILENAME,
                content_type: "application/jsonl",
                content: jsonl,
            },
        }),
    }
}

/// The batch input upload as pieces a host can stream: the multipart framing around the
/// JSONL, written by hand because a streamed body cannot be a `FormData`. The caller picks
/// a `boundary` that cannot occur in the content (a long random token).
pub struct StreamedUpload {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    /// Everything before the file's first byte.
    pub head: String,
    /// Everything after its last.
    pub tail: String,
}

pub fn streamed_upload(cfg: &OpenAIConfig, boundary: &str) -> StreamedUpload {
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{BATCH_INPUT_FILENAME}\"\r\n\
         Content-Type: application/jsonl\r\n\r\n"
    );
    StreamedUpload {
        url: cfg.url("/files"),
        headers: vec![
            cfg.auth_header(),
            (
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            ),
        ],
        head,
        tail: format!("\r\n--{boundary}--\r\n"),
    }
}

/// Downloads a file's content (a batch's output or error JSONL).
pub fn content_request(cfg: &OpenAIConfig, file_id: &str) -> HttpRequest {
    cfg.get(&format!("/files/{}/content", path_segment(file_id)))
}

#[derive(Deserialize)]
struct FileObject {
    id: String,
}

/// The id of an uploaded file.
pub fn parse_file(body: serde_json::Value) -> Result<String, AnswerProblem> {
    serde_json::from_value::<FileObject>(body)
        .map(|f| f.id)
        .map_err(|e| AnswerProblem::Unreadable {
            detail: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ApiKey;

    #[test]
    fn the_upload_is_the_reference_form() {
        let cfg = OpenAIConfig::new(ApiKey::new("k"), "gpt-4o");
        let req = upload_batch_input_request(&cfg, "{}\n{}".into());
        assert_eq!(req.url, "https://api.openai.com/v1/files");
        assert_eq!(req.headers, vec![("Authorization", "Bearer k".to_string())]);
        let Body::Multipart(form) = req.body else {
            panic!()
        };
        assert_eq!(form.fields, vec![("purpose", "batch".to_string())]);
        assert_eq!(
            (form.file.field, form.file.filename),
            ("file", "batch-input.jsonl")
        );
    }

    #[test]
    fn the_streamed_upload_frames_the_file_as_multipart() {
        let cfg = OpenAIConfig::new(ApiKey::new("k"), "gpt-4o");
        let up = streamed_upload(&cfg, "XyZ");
        assert_eq!(up.url, "https://api.openai.com/v1/files");
        assert!(up.headers.contains(&(
            "Content-Type",
            "multipart/form-data; boundary=XyZ".to_string()
        )));
        let body = format!("{}{{\"a\":1}}{}", up.head, up.tail);
        assert_eq!(
            body,
            "--XyZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--XyZ\r\n\
             Content-Disposition: form-data; name=\"file\"; filename=\"batch-input.jsonl\"\r\n\
             Content-Type: application/jsonl\r\n\r\n{\"a\":1}\r\n--XyZ--\r\n"
        );
    }

    #[test]
    fn file_ids_are_read_and_escaped() {
        assert_eq!(
            parse_file(serde_json::json!({"id": "file-1", "object": "file"})).unwrap(),
            "file-1"
        );
        assert!(parse_file(serde_json::json!({})).is_err());
        let cfg = OpenAIConfig::new(ApiKey::new("k"), "m");
        assert_eq!(
            content_request(&cfg, "file-1").url,
            "https://api.openai.com/v1/files/file-1/content"
        );
    }
}
