//! Incremental decoders for the two streaming formats the providers use: Server-Sent Events
//! (OpenAI, Anthropic) and newline-delimited JSON (Ollama), fed bytes exactly as they arrive.
//! A chunk may end anywhere — inside a line, between `\r` and `\n`, inside a multi-byte UTF-8
//! character — so both keep the unfinished line and nothing else; memory stays at one line
//! whatever the stream's length.
//!
//! The SSE rules are the WHATWG HTML standard's "event stream interpretation": lines end with
//! CRLF, LF or CR; `:` starts a comment; `data` lines of one event are joined with `\n`; a
//! blank line dispatches; an event the stream ends in the middle of is discarded.

/// The longest line either decoder keeps (a provider's chunk is a few hundred bytes; a line
/// this long is a broken or hostile upstream, not a bigger answer).
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// A line longer than [`MAX_LINE_BYTES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineTooLong;

/// Splits bytes into lines ending in `\n`, `\r\n` or `\r`, across chunk boundaries.
#[derive(Debug, Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
    /// The last chunk ended with `\r`: a `\n` starting the next one ends nothing new.
    after_cr: bool,
}

impl LineSplitter {
    /// Calls `line` with each complete line in `bytes` (without its terminator).
    pub fn push(
        &mut self,
        mut bytes: &[u8],
        mut line: impl FnMut(&[u8]),
    ) -> Result<(), LineTooLong> {
        if bytes.is_empty() {
            return Ok(());
        }
        if self.after_cr && bytes.first() == Some(&b'\n') {
            bytes = &bytes[1..];
        }
        self.after_cr = false;
        while let Some(end) = bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
            if self.partial.is_empty() {
                line(&bytes[..end]);
            } else {
                self.partial.extend_from_slice(&bytes[..end]);
                line(&self.partial);
                self.partial.clear();
            }
            let crlf = bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n');
            if bytes[end] == b'\r' && end + 1 == bytes.len() {
                self.after_cr = true;
            }
            bytes = &bytes[end + if crlf { 2 } else { 1 }..];
        }
        if self.partial.len() + bytes.len() > MAX_LINE_BYTES {
            return Err(LineTooLong);
        }
        self.partial.extend_from_slice(bytes);
        Ok(())
    }

    /// The unterminated last line, if the stream ended without a line break.
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        self.after_cr = false;
        (!self.partial.is_empty()).then(|| std::mem::take(&mut self.partial))
    }
}

/// One Server-Sent Event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field; `None` means the default type, `message`.
    pub event: Option<String>,
    pub data: String,
}

/// Decodes an SSE byte stream into events.
#[derive(Debug, Default)]
pub struct SseDecoder {
    lines: LineSplitter,
    event: Option<String>,
    data: String,
    has_data: bool,
    started: bool,
}

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The events completed by `bytes`, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, LineTooLong> {
        let mut bytes = bytes;
        if !self.started && !bytes.is_empty() {
            self.started = true;
            // A UTF-8 byte order mark may open the stream.
            if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
                bytes = rest;
            }
        }
        let mut events = vec![];
        let mut lines = std::mem::take(&mut self.lines);
        let pushed = lines.push(bytes, |line| {
            if let Some(event) = self.line(line) {
                events.push(event);
            }
        });
        self.lines = lines;
        pushed.map(|()| events)
    }

    fn line(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            let event = self.event.take();
            if !std::mem::take(&mut self.has_data) {
                return None;
            }
            let mut data = std::mem::take(&mut self.data);
            data.pop(); // the `\n` after the last data line
            return Some(SseEvent { event, data });
        }
        if line[0] == b':' {
            return None;
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_string()),
            // `id` and `retry` matter to a reconnecting browser, not to a one-shot relay.
            _ => {}
        }
        None
    }
}

/// Decodes newline-delimited JSON (Ollama's stream) into lines; blank lines are skipped.
#[derive(Debug, Default)]
pub struct NdjsonDecoder {
    lines: LineSplitter,
}

impl NdjsonDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The lines completed by `bytes`, as text.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<String>, LineTooLong> {
        let mut out = vec![];
        self.lines.push(bytes, |line| {
            if !line.iter().all(u8::is_ascii_whitespace) {
                out.push(String::from_utf8_lossy(line).into_owned());
            }
        })?;
        Ok(out)
    }

    /// The last line, when the stream ended without a newline after it.
    pub fn finish(&mut self) -> Option<String> {
        self.lines
            .finish()
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .map(|l| String::from_utf8_lossy(&l).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(stream: &[u8], cut: &[usize]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = vec![];
        let mut at = 0;
        for &c in cut.iter().chain(std::iter::once(&stream.len())) {
            out.extend(d.push(&stream[at..c]).unwrap());
            at = c;
        }
        out
    }

    fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: event.map(str::to_string),
            data: data.into(),
        }
    }

    #[test]
    fn every_split_of_a_stream_gives_the_same_events() {
        let stream = "\u{FEFF}: comment\r\nevent: message_start\r\ndata: {\"a\":\"é\"}\r\n\r\n\
                      data: line one\ndata:line two\n\ndata\n\nevent: ping\n\nid: 7\rdata: x\r\r"
            .as_bytes();
        let expected = vec![
            ev(Some("message_start"), "{\"a\":\"é\"}"),
            ev(None, "line one\nline two"),
            ev(None, ""),
            ev(None, "x"),
        ];
        assert_eq!(decode_in_pieces(stream, &[]), expected);
        for i in 0..=stream.len() {
            assert_eq!(decode_in_pieces(stream, &[i]), expected, "cut at {i}");
            for j in i..=stream.len() {
                assert_eq!(decode_in_pieces(stream, &[i, j]), expected, "cuts {i} {j}");
            }
        }
        // Byte by byte: every boundary at once (CR then LF in separate chunks included).
        let all: Vec<usize> = (1..stream.len()).collect();
        assert_eq!(decode_in_pieces(stream, &all), expected);
    }

    #[test]
    fn an_event_cut_off_by_the_end_of_the_stream_is_dropped() {
        assert_eq!(
            decode_in_pieces(b"data: a\n\ndata: b\n", &[]),
            [ev(None, "a")]
        );
    }

    #[test]
    fn an_endless_line_is_refused_not_buffered() {
        let mut d = SseDecoder::new();
        let chunk = vec![b'x'; 1024 * 1024];
        let mut result = Ok(vec![]);
        for _ in 0..9 {
            result = d.push(&chunk);
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(LineTooLong));
    }

    #[test]
    fn ndjson_lines_split_anywhere() {
        let stream = b"{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}";
        for cut in 0..=stream.len() {
            let mut d = NdjsonDecoder::new();
            let mut lines = d.push(&stream[..cut]).unwrap();
            lines.extend(d.push(&stream[cut..]).unwrap());
            lines.extend(d.finish());
            assert_eq!(
                lines,
                ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"],
                "cut at {cut}"
            );
        }
    }
}
