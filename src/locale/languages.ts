// Languages: the tags invite reads (a contact's language cell, invite.yaml's keys, template file
// names) made canonical, and how a letter is chosen for a recipient's language.

/** What a BCP 47 language tag looks like, as invite reads one: en, lv, pl, de-AT. */
export const LANGUAGE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/;

/** A BCP 47 tag made canonical (LV → lv, lv-lv → lv-LV, de_at → de-AT), or undefined when it is not one. */
export function canonicalLanguage(tag: string): string | undefined {
  const written = tag.trim().replace(/_/g, '-');
  if (!LANGUAGE_TAG.test(written)) return undefined;
  try {
    return Intl.getCanonicalLocales(written)[0];
  } catch {
    return undefined;
  }
}

/** Texts given per language (`{ en: …, lv: … }` in invite.yaml), by canonical tag; `bad` hears of each key that is no tag. */
export function byLanguage(given: Record<string, string>, bad: (tag: string) => void): Map<string, string> {
  const texts = new Map<string, string>();
  for (const [tag, text] of Object.entries(given)) {
    const language = canonicalLanguage(tag);
    if (language) texts.set(language, text);
    else bad(tag);
  }
  return texts;
}

/** The language part of a tag: de-AT → de. */
export function primaryLanguage(tag: string): string {
  return tag.split('-')[0]!.toLowerCase();
}

/**
 * Of the languages there are letters in, the one for a reader of `wanted`: the same tag, else the
 * same language (a de-AT reader gets the de letter, a de reader the only de-* one); undefined when
 * none fits (the default letter then).
 */
export function letterFor<T>(letters: ReadonlyMap<string, T> | undefined, wanted: string | undefined): [string, T] | undefined {
  if (!letters || letters.size === 0 || !wanted) return undefined;
  const exact = letters.get(wanted);
  if (exact) return [wanted, exact];
  const primary = primaryLanguage(wanted);
  for (const [tag, letter] of letters) if (primaryLanguage(tag) === primary) return [tag, letter];
  return undefined;
}

/** "lv" → "Latvian" (in English, for messages to the organiser); the tag itself when Intl does not know it. */
export function languageName(tag: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}
