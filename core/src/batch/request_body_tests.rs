use super::*;

fn read(chunks: &[&[u8]]) -> Result<Vec<BodyEvent>, BodyError> {
    let mut reader = RequestBodyReader::new(1 << 20);
    let mut out = vec![];
    for c in chunks {
        reader.push(c, &mut out)?;
    }
    reader.finish(&mut out)?;
    Ok(out)
}

fn request(index: usize, json: &str) -> BodyEvent {
    BodyEvent::Request {
        index,
        json: json.as_bytes().to_vec(),
    }
}

fn field(name: &str, json: &str) -> BodyEvent {
    BodyEvent::Field {
        name: name.into(),
        value: json.as_bytes().to_vec(),
    }
}

const BODY: &str = r#" { "model" : "gpt-4o", "requests": [ {"id":"a","messages":[{"role":"user","content":"say \"}]{\" in json"}]} ,
    {"id":"b\u00e9","messages":[]} ], "provider":null } "#;

#[test]
fn requests_and_fields_come_out_whatever_the_chunking() {
    let whole = read(&[BODY.as_bytes()]).unwrap();
    assert_eq!(
        whole,
        vec![
            field("model", r#""gpt-4o""#),
            request(
                0,
                r#"{"id":"a","messages":[{"role":"user","content":"say \"}]{\" in json"}]}"#
            ),
            request(1, r#"{"id":"b\u00e9","messages":[]}"#),
            field("provider", "null"),
        ]
    );
    let bytes = BODY.as_bytes();
    for cut in 0..bytes.len() {
        assert_eq!(
            read(&[&bytes[..cut], &bytes[cut..]]).unwrap(),
            whole,
            "cut at {cut}"
        );
    }
    let one_by_one: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(read(&one_by_one).unwrap(), whole);
}

#[test]
fn scalar_fields_end_at_their_delimiter() {
    assert_eq!(
        read(&[br#"{"provider":null,"requests":[]}"#]).unwrap(),
        vec![field("provider", "null")]
    );
    assert_eq!(
        read(&[br#"{"requests":[],"model":7}"#]).unwrap(),
        vec![field("model", "7")]
    );
}

fn error(body: &str) -> BodyError {
    read(&[body.as_bytes()]).unwrap_err()
}

#[test]
fn problems_name_the_field() {
    assert_eq!(error(r#"{"requests": {}}"#).field, "requests");
    assert_eq!(
        error(r#"{"requests": [{"id":"a"}, 3]}"#),
        BodyError {
            field: "requests[1]".into(),
            problem: "must be an object {id, messages}".into()
        }
    );
    assert_eq!(error(r#"{"modle": "x", "requests": []}"#).field, "modle");
    assert_eq!(
        error(r#"{"requests": [], "requests": []}"#).problem,
        "appears twice"
    );
    assert_eq!(
        error(r#"{"model": "x"}"#),
        BodyError {
            field: "requests".into(),
            problem: "is required".into()
        }
    );
    assert_eq!(error(r#"{"requests": []} trailing"#).field, "body");
    assert_eq!(
        error(r#"{"requests": [{"id": "a"}"#).problem,
        "is not valid JSON: it ends before the object is complete"
    );
    assert_eq!(error(r#"[{"requests": []}]"#).field, "body");
    assert_eq!(error(r#"{"requests": [{},]}"#).field, "requests[1]");
    assert!(error(r#"{"requests" [] }"#)
        .problem
        .starts_with("is not valid JSON"));
}

#[test]
fn an_oversized_request_is_refused_without_buffering_the_rest() {
    let mut reader = RequestBodyReader::new(64);
    let mut out = vec![];
    let big = format!(
        r#"{{"requests": [{{"id": "a", "pad": "{}"}}]}}"#,
        "x".repeat(100)
    );
    let e = reader.push(big.as_bytes(), &mut out).unwrap_err();
    assert_eq!(e.field, "requests[0]");
    assert!(reader.buffered_bytes() <= 65);
}

#[test]
fn a_blank_body_is_empty() {
    assert_eq!(error(" \n ").problem, "is empty; send a JSON object");
}

#[test]
fn escaped_field_names_are_read() {
    assert_eq!(read(&[br#"{"\u0072equests": []}"#]).unwrap(), vec![]);
}

#[test]
fn hostile_keys_and_fields_are_refused_before_they_are_held() {
    let mut reader = RequestBodyReader::new(1 << 20);
    let mut out = vec![];
    let key = format!(r#"{{"{}": 1}}"#, "a".repeat(1 << 20));
    let e = reader.push(key.as_bytes(), &mut out).unwrap_err();
    assert_eq!(e.field, "body");
    assert!(e.problem.contains("longer than 64 bytes"), "{}", e.problem);
    assert!(reader.key.capacity() <= 128);
    let mut reader = RequestBodyReader::new(1 << 20);
    let model = format!(r#"{{"model": "{}", "requests": []}}"#, "m".repeat(1 << 20));
    let e = reader.push(model.as_bytes(), &mut out).unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.problem.as_str()),
        ("model", "is longer than 1024 bytes")
    );
    assert!(reader.buffered_bytes() <= MAX_FIELD_BYTES + 1);
}
