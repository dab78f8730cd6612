//! Reading a batch request body — `{"requests": [...], "provider": ..., "model": ...}` — as
//! it arrives, one request at a time, so a 100 MiB batch never has to be in memory whole.
//!
//! The reader only finds where each value starts and ends (strings, escapes and nesting);
//! serde parses every request on its own afterwards, so what a request may contain is
//! decided in one place, the same as for a body read whole.

/// What the reader found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyEvent {
    /// A top-level field other than `requests`, as raw JSON.
    Field { name: String, value: Vec<u8> },
    /// Element `index` of `requests`, as raw JSON (always an object).
    Request { index: usize, json: Vec<u8> },
}

/// Why the body cannot be read; `field` is a path such as `requests[3]` or `body`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyError {
    pub field: String,
    pub problem: String,
}

/// The top-level fields a batch body may have besides `requests`.
const FIELDS: [&str; 2] = ["provider", "model"];
/// Longer field names are none of those: refused before they are held (a hostile body can
/// send a key of many megabytes).
const MAX_KEY_BYTES: usize = 64;
/// The longest `provider` or `model` value, raw JSON.
pub const MAX_FIELD_BYTES: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Start,
    KeyOrEnd { first: bool },
    Key,
    Colon,
    Value,
    ArrayStart,
    ElementOrEnd { first: bool },
    Element,
    AfterElement,
    AfterValue,
    Done,
}

/// Where a value being captured is: inside a string, how deep in brackets.
#[derive(Clone, Copy, Debug, Default)]
struct Scan {
    depth: u32,
    in_string: bool,
    escape: bool,
}

impl Scan {
    fn feed(&mut self, b: u8) {
        if self.in_string {
            if self.escape {
                self.escape = false;
            } else if b == b'\\' {
                self.escape = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return;
        }
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
    }
}

/// The incremental reader. Feed it chunks with [`RequestBodyReader::push`], then call
/// [`RequestBodyReader::finish`].
#[derive(Debug)]
pub struct RequestBodyReader {
    state: State,
    key: Vec<u8>,
    key_escape: bool,
    current_key: String,
    value: Vec<u8>,
    scan: Scan,
    index: usize,
    offset: usize,
    seen: Vec<String>,
    max_value_bytes: usize,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl RequestBodyReader {
    /// A reader that refuses any single request larger than `max_value_bytes`.
    pub fn new(max_value_bytes: usize) -> Self {
        RequestBodyReader {
            state: State::Start,
            key: vec![],
            key_escape: false,
            current_key: String::new(),
            value: vec![],
            scan: Scan::default(),
            index: 0,
            offset: 0,
            seen: vec![],
            max_value_bytes,
        }
    }

    /// Requests read so far.
    pub fn requests_read(&self) -> usize {
        self.index
    }

    /// Bytes of the current, unfinished value held in memory.
    pub fn buffered_bytes(&self) -> usize {
        self.value.len()
    }

    fn syntax(&self, expected: &str, found: u8) -> BodyError {
        BodyError {
            field: "body".into(),
            problem: format!(
                "is not valid JSON: expected {expected} at byte {}, found {:?}",
                self.offset, found as char
            ),
        }
    }

    /// Reads `chunk`, appending what it completes to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<BodyEvent>) -> Result<(), BodyError> {
        for &b in chunk {
            // A scalar field value ends at the byte after it, which then belongs to the
            // next state: step it again.
            while self.step(b, out)? {}
            self.offset += 1;
        }
        Ok(())
    }

    /// Checks that the body was complete and had `requests`.
    pub fn finish(&mut self, out: &mut Vec<BodyEvent>) -> Result<(), BodyError> {
        if self.state == State::Value
            && self.scan.depth == 0
            && !self.scan.in_string
            && !self.value.is_empty()
        {
            // A scalar value right at the end cannot be a complete object; fall through.
            self.end_value(out);
        }
        if self.state == State::Start {
            return Err(BodyError {
                field: "body".into(),
                problem: "is empty; send a JSON object".into(),
            });
        }
        if self.state != State::Done {
            return Err(BodyError {
                field: "body".into(),
                problem: "is not valid JSON: it ends before the object is complete".into(),
            });
        }
        if !self.seen.iter().any(|k| k == "requests") {
            return Err(BodyError {
                field: "requests".into(),
                problem: "is required".into(),
            });
        }
        Ok(())
    }

    /// One byte; returns whether the byte must be stepped again in the new state.
    fn step(&mut self, b: u8, out: &mut Vec<BodyEvent>) -> Result<bool, BodyError> {
        use State::*;
        match self.state {
            Start
            | KeyOrEnd { .. }
            | Colon
            | ArrayStart
            | ElementOrEnd { .. }
            | AfterElement
            | AfterValue
            | Done
                if is_ws(b) =>
            {
                Ok(false)
            }
            Start if b == b'{' => self.go(KeyOrEnd { first: true }),
            Start => Err(self.syntax("a JSON object", b)),
            KeyOrEnd { .. } if b == b'"' => {
                self.key.clear();
                self.go(Key)
            }
            KeyOrEnd { first: true } if b == b'}' => self.go(Done),
            KeyOrEnd { .. } => Err(self.syntax("a field name", b)),
            Key => self.key_byte(b),
            Colon if b == b':' => self.start_field(),
            Colon => Err(self.syntax("':'", b)),
            ArrayStart if b == b'[' => self.go(ElementOrEnd { first: true }),
            ArrayStart => Err(BodyError {
                field: "requests".into(),
                problem: "must be an array".into(),
            }),
            ElementOrEnd { first: true } if b == b']' => self.go(AfterValue),
            ElementOrEnd { .. } if b == b'{' => {
                self.value.clear();
                self.scan = Scan::default();
                self.state = Element;
                self.element_byte(b, out).map(|_| false)
            }
            ElementOrEnd { .. } => Err(BodyError {
                field: format!("requests[{}]", self.index),
                problem: "must be an object {id, messages}".into(),
            }),
            Element => self.element_byte(b, out).map(|_| false),
            AfterElement if b == b',' => self.go(ElementOrEnd { first: false }),
            AfterElement if b == b']' => self.go(AfterValue),
            AfterElement => Err(self.syntax("',' or ']'", b)),
            Value => self.value_byte(b, out),
            AfterValue if b == b',' => self.go(KeyOrEnd { first: false }),
            AfterValue if b == b'}' => self.go(Done),
            AfterValue => Err(self.syntax("',' or '}'", b)),
            Done => Err(BodyError {
                field: "body".into(),
                problem: format!(
                    "is not valid JSON (trailing characters at byte {})",
                    self.offset
                ),
            }),
        }
    }

    fn go(&mut self, state: State) -> Result<bool, BodyError> {
        self.state = state;
        Ok(false)
    }

    fn key_byte(&mut self, b: u8) -> Result<bool, BodyError> {
        if self.key_escape {
            self.key_escape = false;
        } else if b == b'\\' {
            self.key_escape = true;
        } else if b == b'"' {
            let mut quoted = Vec::with_capacity(self.key.len() + 2);
            quoted.push(b'"');
            quoted.extend_from_slice(&self.key);
            quoted.push(b'"');
            self.current_key = serde_json::from_slice(&quoted).map_err(|e| BodyError {
                field: "body".into(),
                problem: format!("is not valid JSON: a field name is not a valid string ({e})"),
            })?;
            return self.go(State::Colon);
        }
        if self.key.len() >= MAX_KEY_BYTES {
            return Err(BodyError {
                field: "body".into(),
                problem: format!("has a field name longer than {MAX_KEY_BYTES} bytes; the fields are `requests`, `provider` and `model`"),
            });
        }
        self.key.push(b);
        Ok(false)
    }

    fn start_field(&mut self) -> Result<bool, BodyError> {
        let key = self.current_key.clone();
        if self.seen.contains(&key) {
            return Err(BodyError {
                field: key,
                problem: "appears twice".into(),
            });
        }
        if key != "requests" && !FIELDS.contains(&key.as_str()) {
            let problem =
                format!("unknown field `{key}`, expected one of `requests`, `provider`, `model`");
            return Err(BodyError {
                field: key,
                problem,
            });
        }
        self.seen.push(key.clone());
        if key == "requests" {
            return self.go(State::ArrayStart);
        }
        self.value.clear();
        self.scan = Scan::default();
        self.go(State::Value)
    }

    fn element_byte(&mut self, b: u8, out: &mut Vec<BodyEvent>) -> Result<(), BodyError> {
        // Checked before the push: the buffer never grows past the limit (a doubling beyond
        // it would hold twice the limit for a request that is refused anyway).
        if self.value.len() >= self.max_value_bytes {
            return Err(BodyError {
                field: format!("requests[{}]", self.index),
                problem: format!(
                    "is larger than {} MiB",
                    self.max_value_bytes / (1024 * 1024)
                ),
            });
        }
        self.value.push(b);
        self.scan.feed(b);
        if self.scan.depth == 0 {
            out.push(BodyEvent::Request {
                index: self.index,
                json: std::mem::take(&mut self.value),
            });
            self.index += 1;
            self.state = State::AfterElement;
        }
        Ok(())
    }

    /// A top-level field's value: a string, an object or array, or a scalar that ends at the
    /// next delimiter.
    fn value_byte(&mut self, b: u8, out: &mut Vec<BodyEvent>) -> Result<bool, BodyError> {
        if self.value.is_empty() && is_ws(b) {
            return Ok(false);
        }
        let first = self.value.first().copied().unwrap_or(b);
        let scalar = !matches!(first, b'"' | b'{' | b'[');
        if scalar && !self.value.is_empty() && (is_ws(b) || matches!(b, b',' | b'}' | b']')) {
            self.end_value(out);
            return Ok(true);
        }
        self.value.push(b);
        self.scan.feed(b);
        if self.value.len() > MAX_FIELD_BYTES {
            return Err(BodyError {
                field: self.current_key.clone(),
                problem: format!("is longer than {MAX_FIELD_BYTES} bytes"),
            });
        }
        if !scalar && self.scan.depth == 0 && !self.scan.in_string {
            self.end_value(out);
        }
        Ok(false)
    }

    fn end_value(&mut self, out: &mut Vec<BodyEvent>) {
        out.push(BodyEvent::Field {
            name: self.current_key.clone(),
            value: std::mem::take(&mut self.value),
        });
        self.state = State::AfterValue;
    }
}

#[cfg(test)]
#[path = "request_body_tests.rs"]
mod tests;
