import { isNode, isScalar, isSeq, parseDocument, visit, type Scalar } from 'yaml';
import { ENV_REF, fingerprint, isSecretField, isSecretsField, redactUrl } from '../core/secrets.js';

export { fingerprint, isSecretField, redactUrl } from '../core/secrets.js';

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
  const hidden = new Set<Scalar>();
  visit(doc, {
    Pair: (_, pair) => {
      if (!isScalar(pair.key)) return undefined;
      const name = String(pair.key.value);
      if (isSecretField(name)) {
        if (isNode(pair.value)) visit(pair.value, { Scalar: (k, sc) => (hidden.add(sc), hide(k, sc)) });
        return visit.SKIP;
      }
      if (isSecretsField(name)) {
        const items = isScalar(pair.value) ? [pair.value] : isSeq(pair.value) ? pair.value.items.filter(isScalar) : [];
        for (const item of items) {
          hidden.add(item);
          hide(null, item);
        }
      }
      return undefined;
    },
  });
  // Any other value that is a URL with a password in it (a provider's url, a Redis URL).
  visit(doc, {
    Scalar: (_, sc) => {
      if (hidden.has(sc) || typeof sc.value !== 'string' || !sc.range) return;
      const masked = redactUrl(sc.value);
      if (masked === sc.value) return;
      const tail = /\s*$/.exec(yamlText.slice(sc.range[0], sc.range[1]))![0];
      spans.push([sc.range[0], sc.range[1], JSON.stringify(masked) + tail]);
    },
  });
  spans.sort((a, b) => b[0] - a[0]);
  let out = yamlText;
  for (const [from, to, text] of spans) out = out.slice(0, from) + text + out.slice(to);
  return out;
}

function redactLines(text: string): string {
  return text
    .replace(/^(\s*(?:-\s+)?["']?([\w-]+)["']?\s*:[ \t]+)(\S.*?)\s*$/gm, (line, head: string, name: string, value: string) =>
      (isSecretField(name) || isSecretsField(name)) && !ENV_REF.test(value) ? `${head}${JSON.stringify(fingerprint(value))}` : line,
    )
    .replace(/[a-z][a-z0-9+.-]*:\/\/[^/?#\s"']*@/gi, (m) => redactUrl(m));
}
