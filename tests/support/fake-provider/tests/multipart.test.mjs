// The multipart/form-data parser: unit edge cases, and raw bodies over HTTP.

import { test } from "node:test";
import assert from "node:assert/strict";
import { boundaryOf, parseHeaderParams, parseMultipart, MultipartError } from "../multipart.mjs";
import { call, openaiHeaders, useFake } from "./helpers.mjs";

const ctx = useFake();
const crlf = (...lines) => lines.join("\r\n");

test("header parameters: tokens, quoted strings, escapes, semicolons in quotes, case", () => {
  assert.deepEqual(parseHeaderParams('form-data; name="file"; filename="a b.jsonl"'), { value: "form-data", params: { name: "file", filename: "a b.jsonl" } });
  assert.deepEqual(parseHeaderParams('Form-Data;NAME=purpose'), { value: "form-data", params: { name: "purpose" } });
  assert.deepEqual(parseHeaderParams('form-data; name="f"; filename="we\\"ird; x.jsonl"').params.filename, 'we"ird; x.jsonl');
  assert.deepEqual(parseHeaderParams("form-data; name=\"\"").params, { name: "" });
  assert.throws(() => parseHeaderParams('form-data; name="open'), MultipartError);
});

test("boundary from Content-Type: unquoted, quoted, absent, other types", () => {
  assert.equal(boundaryOf("multipart/form-data; boundary=----abc123"), "----abc123");
  assert.equal(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b:c=d"'), "a b:c=d");
  assert.equal(boundaryOf("Multipart/Form-Data; BOUNDARY=x"), "x");
  assert.equal(boundaryOf("multipart/form-data"), undefined);
  assert.equal(boundaryOf("application/json"), undefined);
  assert.equal(boundaryOf(undefined), undefined);
});

test("parses fields and files; keeps CRLFs and boundary look-alikes inside content", () => {
  const content = "line1\r\nline2\r\n--XYZ not at line start? no: --XYZabc and \r\n--XYZZ and mid --XYZ\r\n";
  const body = Buffer.from(crlf(
    "this is a preamble, ignored",
    "--XYZ",
    'Content-Disposition: form-data; name="purpose"',
    "",
    "batch",
    "--XYZ   ", // transport padding after a delimiter is allowed
    'CONTENT-DISPOSITION: form-data; name="file"; filename="in.jsonl"',
    "Content-Type: application/jsonl",
    "",
    content,
    "--XYZ",
    'Content-Disposition: form-data; name="purpose"',
    "",
    "second value is ignored",
    "--XYZ--",
    "epilogue, ignored",
  ));
  const { fields, files } = parseMultipart(body, "XYZ");
  assert.deepEqual(fields, { purpose: "batch" });
  assert.equal(files.length, 1);
  assert.equal(files[0].field, "file");
  assert.equal(files[0].filename, "in.jsonl");
  assert.equal(files[0].contentType, "application/jsonl");
  assert.equal(files[0].data.toString(), content);
});

test("empty parts, binary bytes, RFC 5987 filename*, default content type", () => {
  const binary = Buffer.from([0, 255, 13, 10, 45, 45, 13, 10, 1]);
  const body = Buffer.concat([
    Buffer.from(crlf("--b", 'Content-Disposition: form-data; name="empty"', "", "", "--b", 'Content-Disposition: form-data; name="bin"; filename="x.bin"; filename*=UTF-8\'\'%E2%82%AC%20rates.bin', "", "")),
    binary,
    Buffer.from(crlf("", "--b", 'Content-Disposition: form-data; name="nofile"; filename=""', "", "", "--b--", "")),
  ]);
  const { fields, files } = parseMultipart(body, "b");
  assert.deepEqual(fields, { empty: "" });
  assert.equal(files[0].filename, "€ rates.bin");
  assert.equal(files[0].contentType, "application/octet-stream");
  assert.deepEqual([...files[0].data], [...binary]);
  assert.equal(files[1].filename, "");
  assert.equal(files[1].data.length, 0);
});

test("malformed bodies are errors, not silent truncation", () => {
  const part = crlf("--b", 'Content-Disposition: form-data; name="a"', "", "value");
  assert.throws(() => parseMultipart(Buffer.from(part), "b"), /closing boundary/);
  assert.throws(() => parseMultipart(Buffer.from(`${part}\r\n--bb--`), "b"), /closing boundary/);
  assert.throws(() => parseMultipart(Buffer.from("no delimiters at all"), "b"), /No multipart boundary/);
  assert.throws(() => parseMultipart(Buffer.from(crlf("--b", "Content-Type: text/plain", "", "x", "--b--")), "b"), /name/);
  assert.throws(() => parseMultipart(Buffer.from(crlf("--b", "garbage header line", "", "x", "--b--")), "b"), /Malformed part header/);
  assert.throws(() => parseMultipart(Buffer.from("--b\r\nContent-Disposition: form-data; name=a"), "b"), /not terminated/);
  assert.deepEqual(parseMultipart(Buffer.from("--b--\r\n"), "b"), { fields: {}, files: [] });
});

test("raw multipart uploads over HTTP: quoted boundary and odd filenames accepted, broken bodies rejected", async () => {
  const upload = (body, contentType) => call(`${ctx.fake.openaiBaseUrl}/files`, {
    method: "POST",
    headers: { authorization: openaiHeaders.authorization, "content-type": contentType },
    body,
  });
  const good = crlf(
    "--a b",
    'Content-Disposition: form-data; name="purpose"',
    "",
    "batch",
    "--a b",
    'Content-Disposition: form-data; name="file"; filename="my \\"batch\\"; v2.jsonl"',
    "Content-Type: application/octet-stream",
    "",
    '{"custom_id":"x"}',
    "--a b--",
    "",
  );
  const ok = await upload(good, 'multipart/form-data; boundary="a b"');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.filename, 'my "batch"; v2.jsonl');
  assert.equal(ok.json.bytes, 17);
  const rec = ctx.fake.requests.at(-1);
  assert.equal(rec.multipart.files[0].content, '{"custom_id":"x"}');
  assert.equal(rec.multipart.files[0].contentType, "application/octet-stream");

  const truncated = good.slice(0, good.indexOf("--a b--"));
  const bad = await upload(truncated, 'multipart/form-data; boundary="a b"');
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /Could not parse multipart form: Missing closing boundary/);
  assert.equal(ctx.fake.requests.at(-1).multipart, undefined);
});
