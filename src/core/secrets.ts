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
  const m = /^[a-z][a-z0-9+.-]*:\/\/(\S*)@/i.exec(url);
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

/**
 * Field names whose values are secrets: key, apiKey, api_key, x-api-key, token, accessToken,
 * secret, clientSecret, password, authorization, credentials… (case, `-` and `_` ignored).
 */
const SECRET_FIELD = /(key|token|secret|password|passwd|authorization|credentials?)$/;
/**
 * Plural names (apiKeys, authTokens, and the key pool `keys`): their scalars and lists are secrets,
 * a mapping under them is walked like any other. A bare `tokens` is not one: in this field it counts
 * an LLM's tokens (`workload.tokens`, a tokens quota).
 */
const SECRETS_FIELD = /(keys|authtokens|accesstokens|apitokens|secrets|passwords)$/;
const normField = (name: string): string => name.toLowerCase().replace(/[-_]/g, '');

/** Is a field of this name a secret (its value never shown)? */
export const isSecretField = (name: string): boolean => SECRET_FIELD.test(normField(name));
/** Is a field of this name a list of secrets (its scalars and list items never shown)? */
export const isSecretsField = (name: string): boolean => SECRETS_FIELD.test(normField(name));

/** A reference to an environment variable names the secret without being it: `$OPENAI_KEY`, `${OPENAI_KEY}`, `env:OPENAI_KEY`. */
export const ENV_REF = /^(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|env:[A-Za-z_][A-Za-z0-9_]*)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const URL_USERINFO = /[a-z][a-z0-9+.-]*:\/\/\S*@/i;

/**
 * Registers every secret in a parsed scenario (or any value): the values of secret-looking fields,
 * the userinfo of every URL, and a `keys.env` that is not a variable name (a key pasted where its
 * variable's name belongs).
 */
export function addSecretsIn(value: unknown, field = ''): void {
  if (typeof value === 'string') {
    if (URL_USERINFO.test(value)) addUrlSecrets(value);
    if ((isSecretField(field) || isSecretsField(field)) && !ENV_REF.test(value)) addSecret(value);
    else if (field === 'env' && !ENV_NAME.test(value)) addSecret(value.trim());
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) addSecretsIn(v, isSecretsField(field) || isSecretField(field) ? field : '');
    return;
  }
  if (value !== null && typeof value === 'object') {
    const secret = isSecretField(field);
    for (const [k, v] of Object.entries(value)) addSecretsIn(v, secret ? field : k);
  }
}

/** `scheme://user:password@host`: the password (or a lone userinfo) is replaced by its fingerprint. */
export function redactUrl(url: string): string {
  // Up to the last @: a password with an unencoded / or @ in it (a URL that does not parse) is hidden whole.
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)(\S*)@/i, (_m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon >= 0 ? `${scheme}${userinfo.slice(0, colon)}:${fingerprint(userinfo.slice(colon + 1))}@` : `${scheme}${fingerprint(userinfo)}@`;
  });
}

/**
 * A `--set path=value` as results record it: the value of a secret-looking field fingerprinted,
 * a URL's password too. Registers what it hides with the redaction pass.
 */
export function redactSet(text: string): string {
  const eq = text.indexOf('=');
  if (eq < 1) return redactUrl(text);
  const field = text.slice(0, eq).split('.').at(-1)!;
  const value = text.slice(eq + 1);
  if (isSecretField(field) || isSecretsField(field)) {
    addSecret(value.trim());
    return `${text.slice(0, eq)}=${fingerprint(value.trim())}`;
  }
  addUrlSecrets(value);
  return `${text.slice(0, eq)}=${redactUrl(value)}`;
}

/** For tests: forget every registered secret. */
export function clearSecrets(): void {
  forms.clear();
  pattern = undefined;
}
