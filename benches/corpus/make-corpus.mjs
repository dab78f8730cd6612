#!/usr/bin/env node
// Builds the token-counting corpus: ~5 MiB of mixed English and code, deterministically,
// from files every machine of this project's kind has (Debian + rustup's default profile +
// Node/npm), so no download is needed:
//   * Rust code  — the standard library's sources as rustdoc renders them
//                  ($(rustc --print sysroot)/share/doc/rust/html/src/{core,alloc,std}),
//                  turned back into plain source (rust-docs component, default profile);
//   * English    — Rust's release notes (…/html/releases.md, split per version) and
//                  /usr/share/common-licenses;
//   * JavaScript — npm's own sources and docs ($(npm root -g)/npm).
// Output: benches/corpus/corpus.txt (git-ignored): documents joined by NUL ("\0"), which
// no source file contains, so counters can count per document (like prompts) and the
// Rust equivalence test can read the same file. Prints a summary and the SHA-256.
//
// Usage: node benches/corpus/make-corpus.mjs [--out FILE] [--bytes N]

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const out = flag("--out", join(here, "corpus.txt"));
const total = Number(flag("--bytes", 5 * 1024 * 1024));

function sh(cmd, ...cmdArgs) {
  return execFileSync(cmd, cmdArgs, { encoding: "utf8" }).trim();
}

function walk(dir, suffix) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) found.push(...walk(path, suffix));
    else if (name.endsWith(suffix)) found.push(path);
  }
  return found;
}

function need(path, hint) {
  if (!existsSync(path)) {
    console.error(`make-corpus: ${path} is missing (${hint})`);
    process.exit(1);
  }
  return path;
}

const entities = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'", nbsp: "\u00a0" };
function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e) => {
    if (e[0] === "#") return String.fromCodePoint(e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return entities[e] ?? m;
  });
}

// rustdoc's source page: one <pre class="rust"><code> with a line-number anchor per line.
function rustdocSource(html) {
  const start = html.indexOf('<pre class="rust"><code>');
  const end = html.indexOf("</code></pre>", start);
  if (start < 0 || end < 0) return null;
  const body = html.slice(start + '<pre class="rust"><code>'.length, end);
  return decodeEntities(body.replace(/<a [^>]*data-nosnippet>\d+<\/a>/g, "").replace(/<[^>]+>/g, ""));
}

// Documents longer than this are left out: prompts are shorter, and a few generated
// multi-megabyte files (core::arch) would otherwise crowd out everything else.
const MAX_DOC = 64 * 1024;

// Takes documents from `docs` (an iterable of [name, text]) until `budget` bytes.
function take(label, docs, budget) {
  const picked = [];
  let bytes = 0;
  for (const [name, text] of docs) {
    if (bytes >= budget) break;
    if (!text || !text.trim() || text.includes("\0")) continue;
    const size = Buffer.byteLength(text);
    if (size > MAX_DOC || bytes + size > budget + MAX_DOC / 2) continue;
    picked.push({ name, text });
    bytes += size;
  }
  console.log(`${label.padEnd(28)} ${String(picked.length).padStart(5)} documents ${String(bytes).padStart(9)} bytes`);
  return picked;
}

function* files(paths, convert = (s) => s) {
  for (const path of paths) yield [path, convert(readFileSync(path, "utf8"))];
}

// Spread the picks over the whole sorted list rather than its first directories.
function spread(paths, stride) {
  return paths.filter((_, i) => i % stride === 0).concat(paths.filter((_, i) => i % stride !== 0));
}

const sysroot = sh("rustc", "--print", "sysroot");
const html = need(join(sysroot, "share/doc/rust/html"), "rustup component add rust-docs");
const npmRoot = need(join(sh("npm", "root", "-g"), "npm"), "npm's own package");
const licenses = need("/usr/share/common-licenses", "Debian base-files");

const rustPages = ["core", "alloc", "std"].flatMap((c) => walk(join(html, "src", c), ".rs.html"));
const releases = readFileSync(need(join(html, "releases.md"), "rust-docs"), "utf8");
const releaseSections = releases.split(/\n(?=Version \d)/).map((s, i) => [`releases.md#${i}`, s]);
const licenseFiles = [...new Set(readdirSync(licenses).sort().map((n) => realpathSync(join(licenses, n))))];
const npmJs = walk(npmRoot, ".js").filter((p) => !p.includes("/test/"));
const npmMd = walk(npmRoot, ".md");

const parts = [
  ...take("Rust std sources (rustdoc)", files(spread(rustPages, 7), rustdocSource), total * 0.4),
  ...take("Rust release notes", releaseSections, total * 0.17),
  ...take("common-licenses", files(licenseFiles), total * 0.05),
  ...take("npm markdown docs", files(npmMd), total * 0.13),
];
const used = parts.reduce((n, d) => n + Buffer.byteLength(d.text), 0);
parts.push(...take("npm JavaScript sources", files(spread(npmJs, 5)), total - used));

// Documents end with exactly one newline, so counts do not hinge on trailing whitespace.
const text = parts.map((d) => d.text.replace(/\s+$/, "") + "\n").join("\0");
writeFileSync(out, text);
const sha = createHash("sha256").update(text).digest("hex");
console.log(`wrote ${out}: ${parts.length} documents, ${Buffer.byteLength(text)} bytes, sha256 ${sha.slice(0, 16)}`);
