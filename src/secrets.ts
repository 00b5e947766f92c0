import { createHash } from 'node:crypto';

/**
 * The one redaction pass. Every secret the process learns — keys from the environment, the
 * password or userinfo of a URL, a `--set` of a secret-looking field, a secret field of the
 * request body — is registered here once, and everything the process writes or prints (files,
 * stdout, stderr, serve's log) goes through `scrub`, which replaces each secret, in every form it
 * could be written in, by its fingerprint. Structured places (reports' key names, the YAML shown on
 * a page) fingerprint secrets themselves; this pass is what catches the rest.
 */

/** `sha256:` and the first 8 hex digits of the value's SHA-256: enough to tell two apart, useless to use one. */
export function fingerprint(secret: string): string {
  return `sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 8)}`;
}

/**
 * Shorter values are not scrubbed from free text: a 3-character password would blank out every
 * word it appears in. They are still hidden wherever a field is known to be a secret.
 */
export const MIN_SCRUB_LENGTH = 6;

const forms = new Map<string, string>();
let pattern: RegExp | undefined;

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The ways a secret can reach an output: as is, JSON-escaped, URL-encoded, and base64 (std and url). */
function formsOf(secret: string): string[] {
  const b64 = Buffer.from(secret, 'utf8').toString('base64');
  return [
    secret,
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    b64,
    b64.replace(/=+$/, ''),
    Buffer.from(secret, 'utf8').toString('base64url'),
  ];
}

/** Registers a secret (idempotent). Values shorter than MIN_SCRUB_LENGTH are ignored here. */
export function addSecret(secret: string | undefined | null): void {
  if (!secret || secret.length < MIN_SCRUB_LENGTH) return;
  const fp = fingerprint(secret);
  let added = false;
  for (const f of formsOf(secret)) {
    if (f.length >= MIN_SCRUB_LENGTH && !forms.has(f)) {
      forms.set(f, fp);
      added = true;
    }
  }
  if (added) pattern = undefined;
}

/** Registers the userinfo of a URL (`scheme://user:password@host`): the password, and `user:password` as Basic auth would carry it. */
export function addUrlSecrets(url: string | undefined | null): void {
  if (!url) return;
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(url);
  if (!m) return;
  const userinfo = m[1]!;
  const colon = userinfo.indexOf(':');
  const password = colon >= 0 ? userinfo.slice(colon + 1) : userinfo;
  for (const s of [password, safeDecode(password), userinfo, safeDecode(userinfo)]) addSecret(s);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Every registered secret in `text` replaced by its fingerprint. */
export function scrub(text: string): string {
  if (forms.size === 0) return text;
  // Longest first, so a secret inside a longer registered form is replaced as part of it.
  pattern ??= new RegExp([...forms.keys()].sort((a, b) => b.length - a.length).map(escapeRe).join('|'), 'g');
  return text.replace(pattern, (m) => forms.get(m) ?? m);
}

/** For tests: forget every registered secret. */
export function clearSecrets(): void {
  forms.clear();
  pattern = undefined;
}
