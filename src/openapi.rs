//! `GET /v1/openapi.json`: the OpenAPI 3.1 document of the whole `/v1` API, kept in the
//! repository (`api/openapi.json`) and compiled into the Worker, so the document served is
//! always the one the tests validated every answer against.

use worker::Response;

const DOCUMENT: &str = include_str!("../api/openapi.json");

/// The document, cacheable for five minutes (it changes only with a deploy).
pub fn document() -> Response {
    let mut response =
        Response::from_bytes(DOCUMENT.as_bytes().to_vec()).expect("bytes make a body");
    let headers = response.headers_mut();
    let _ = headers.set("content-type", "application/json");
    let _ = headers.set("cache-control", "public, max-age=300");
    response
}

#[cfg(test)]
mod tests {
    use super::DOCUMENT;
    use serde_json::Value;

    #[test]
    fn the_document_describes_every_route_once() {
        let doc: Value = serde_json::from_str(DOCUMENT).expect("api/openapi.json is JSON");
        assert_eq!(doc["openapi"], "3.1.0");
        let mut operations = vec![];
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                operations.push(format!("{} {path}", method.to_uppercase()));
                assert!(
                    op["operationId"].is_string(),
                    "{method} {path} has an operationId"
                );
                assert!(
                    op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                    "{method} {path}"
                );
            }
        }
        operations.sort();
        assert_eq!(
            operations,
            [
                "GET /v1/batches/{id}",
                "GET /v1/batches/{id}/results",
                "GET /v1/health",
                "GET /v1/health/live",
                "GET /v1/models",
                "GET /v1/models/{model}",
                "GET /v1/openapi.json",
                "POST /v1/batches",
                "POST /v1/batches/{id}/cancel",
                "POST /v1/chat",
                "POST /v1/chat/completions",
                "POST /v1/embeddings",
                "POST /v1/tokens",
            ]
        );
    }
}
