import { isNode, isScalar, isSeq, parseDocument, visit, type Scalar } from 'yaml';
import { fingerprint } from '../secrets.js';

/**
 * Field names whose values are secrets: key, apiKey, api_key, x-api-key, token, accessToken,
 * secret, clientSecret, password, authorization, credentials… (case, `-` and `_` ignored).
 */
const SECRET_FIELD = /(key|token|secret|password|passwd|authorization|credentials?)$/;
/** Plural names (apiKeys, tokens, and the key pool `keys`): their scalars and lists are secrets, a mapping under them is walked like any other. */
const SECRETS_FIELD = /(keys|tokens|secrets|passwords)$/;

const norm = (name: string): string => name.toLowerCase().replace(/[-_]/g, '');
export const isSecretField = (name: string): boolean => SECRET_FIELD.test(norm(name));

/** A reference to an environment variable names the secret without being it: `$OPENAI_KEY`, `${OPENAI_KEY}`, `env:OPENAI_KEY`. */
const ENV_REF = /^(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|env:[A-Za-z_][A-Za-z0-9_]*)$/;

export { fingerprint } from '../secrets.js';

/**
 * The YAML text with every value under a secret-looking field replaced by its fingerprint, in
 * place: comments and layout stay as written. Values that only name an environment variable are
 * kept. Text that does not parse is redacted line by line instead (`name: value` lines).
 */
export function redact(yamlText: string): string {
  const doc = parseDocument(yamlText);
  if (doc.errors.length > 0) return redactLines(yamlText);
  const spans: [number, number, string][] = [];
  const hide = (_: unknown, s: Scalar): void => {
    if (!s.range || s.value === null || ENV_REF.test(String(s.value))) return;
    // A block scalar's range runs through its line break, which must stay.
    const tail = /\s*$/.exec(yamlText.slice(s.range[0], s.range[1]))![0];
    spans.push([s.range[0], s.range[1], JSON.stringify(fingerprint(String(s.value))) + tail]);
  };
  visit(doc, {
    Pair: (_, pair) => {
      if (!isScalar(pair.key)) return undefined;
      const name = norm(String(pair.key.value));
      if (SECRET_FIELD.test(name)) {
        if (isNode(pair.value)) visit(pair.value, { Scalar: hide });
        return visit.SKIP;
      }
      if (SECRETS_FIELD.test(name)) {
        if (isScalar(pair.value)) hide(null, pair.value);
        else if (isSeq(pair.value)) for (const item of pair.value.items) if (isScalar(item)) hide(null, item);
      }
      return undefined;
    },
  });
  spans.sort((a, b) => b[0] - a[0]);
  let out = yamlText;
  for (const [from, to, text] of spans) out = out.slice(0, from) + text + out.slice(to);
  return out;
}

function redactLines(text: string): string {
  return text.replace(/^(\s*(?:-\s+)?["']?([\w-]+)["']?\s*:[ \t]+)(\S.*?)\s*$/gm, (line, head: string, name: string, value: string) =>
    (isSecretField(name) || SECRETS_FIELD.test(norm(name))) && !ENV_REF.test(value) ? `${head}${JSON.stringify(fingerprint(value))}` : line,
  );
}
