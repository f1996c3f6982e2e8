// From zod's findings to problems an organiser can act on: the key, the line of invite.yaml it
// is on (or of its nearest parent, for a missing key), and which keys are allowed there.
import type YAML from 'yaml';
import { isMap, isPair, isScalar, type LineCounter, type Node } from 'yaml';
import * as z from 'zod';
import type { Problem } from '../errors.js';
import { campaignSchema } from './schema.js';

/** Keys that would hold a secret. */
const SECRET = /pass|secret|token|credential/i;

export function locateIssue(issue: z.core.$ZodIssue, doc: YAML.Document, lc: LineCounter, file: string, prefix: PropertyKey[] = []): Problem[] {
  const keys = [...prefix, ...issue.path].filter((k): k is string | number => typeof k !== 'symbol');
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Report the alternative the author meant: the one whose shape matched (not a plain type mismatch).
    const meant = issue.errors.find((branch) => !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0));
    if (meant) return meant.flatMap((inner) => locateIssue(inner, doc, lc, file, keys));
  }
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      file,
      line: lineAt(doc, lc, [...keys, key]),
      column: [...keys, key].join('.'),
      message: `unknown key "${key}"`,
      hint: SECRET.test(key)
        ? 'never write a secret in invite.yaml (it is committed with the campaign): the environment holds it (SMTP_PASS, SMTP_OAUTH_REFRESH_TOKEN), e.g. as a CI secret'
        : `allowed here: ${allowedKeys(keys).join(', ')}`,
    }));
  }
  if (issue.code === 'invalid_key') {
    // A key a map may not have (a language tag in `subject: { … }`): what the key must look like.
    const why = issue.issues[0]?.message;
    return [{ file, line: lineAt(doc, lc, keys), column: keys.join('.'), message: `"${String(keys.at(-1))}" is not a valid key${why ? `: ${why}` : ''}` }];
  }
  const present = doc.hasIn(keys);
  let message = issue.message;
  if (!present) message = `missing required key "${keys.join('.')}"`;
  else if (issue.code === 'invalid_type') message = `${issue.message.replace(/^Invalid input: /, '')}`;
  return [{ file, line: lineAt(doc, lc, keys), column: keys.join('.') || undefined, message }];
}

function allowedKeys(keys: (string | number)[]): string[] {
  let schema: z.ZodType = campaignSchema;
  for (const key of keys) {
    const inner = unwrap(schema);
    if (inner instanceof z.ZodObject) schema = inner.shape[key as string] as z.ZodType;
    else if (inner instanceof z.ZodArray) schema = inner.element as z.ZodType;
    else return [];
  }
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) return Object.keys(inner.shape);
  if (inner instanceof z.ZodUnion) {
    for (const option of inner.options) {
      const o = unwrap(option as z.ZodType);
      if (o instanceof z.ZodObject) return Object.keys(o.shape);
    }
  }
  return [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

/** The line of the key (or, for a missing key, of its nearest present parent). */
export function lineAt(doc: YAML.Document, lc: LineCounter, keys: (string | number)[]): number | undefined {
  for (let depth = keys.length; depth >= 1; depth--) {
    const parent = depth === 1 ? doc.contents : doc.getIn(keys.slice(0, depth - 1), true);
    const key = keys[depth - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      const node = pair?.key as Node | undefined;
      if (node?.range) return lc.linePos(node.range[0]).line;
    } else if (parent && typeof key === 'number') {
      const node = doc.getIn(keys.slice(0, depth), true) as Node | undefined;
      if (node?.range) return lc.linePos(node.range[0]).line;
    }
  }
  const root = doc.contents;
  return root?.range ? lc.linePos(root.range[0]).line : undefined;
}
