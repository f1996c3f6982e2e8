// Time zones of the region: which IANA zone a contact's country means, and a city to name it by.

/**
 * The countries of the Baltic Sea Region as their spreadsheets write them — in English, in each
 * partner's own language and its neighbours', as ISO 3166 codes (alpha-2 and alpha-3) — with the
 * one zone each has and the language its people read.
 */
const COUNTRIES: [names: string[], zone: string, language: string][] = [
  [['denmark', 'dk', 'dnk', 'danmark', 'dänemark', 'dania', 'dānija', 'danija', 'taani', 'tanska'], 'Europe/Copenhagen', 'da'],
  [['estonia', 'ee', 'est', 'eesti', 'igaunija', 'estija', 'estland', 'viro', 'estonie'], 'Europe/Tallinn', 'et'],
  [['finland', 'fi', 'fin', 'suomi', 'somija', 'suomija', 'soome', 'finnland', 'finlandia'], 'Europe/Helsinki', 'fi'],
  [['germany', 'de', 'deu', 'deutschland', 'vācija', 'vokietija', 'saksamaa', 'saksa', 'tyskland', 'niemcy'], 'Europe/Berlin', 'de'],
  [['latvia', 'lv', 'lva', 'latvija', 'läti', 'lettland', 'letland', 'łotwa'], 'Europe/Riga', 'lv'],
  [['lithuania', 'lt', 'ltu', 'lietuva', 'leedu', 'liettua', 'litauen', 'litwa'], 'Europe/Vilnius', 'lt'],
  [['poland', 'pl', 'pol', 'polska', 'polija', 'lenkija', 'poola', 'puola', 'polen'], 'Europe/Warsaw', 'pl'],
  [['sweden', 'se', 'swe', 'sverige', 'zviedrija', 'švedija', 'rootsi', 'ruotsi', 'schweden', 'szwecja'], 'Europe/Stockholm', 'sv'],
  [['norway', 'no', 'nor', 'norge', 'noreg', 'norvēģija', 'norvegija', 'norra', 'norja', 'norwegen', 'norwegia'], 'Europe/Oslo', 'nb'],
  [['iceland', 'is', 'isl', 'ísland', 'island', 'islande', 'islandija', 'islanti', 'islandia'], 'Atlantic/Reykjavik', 'is'],
];

/** A country as looked up: lower case, without accents (Łotwa, Lotwa and LOTWA are one). */
function folded(country: string): string {
  return country.trim().toLowerCase().normalize('NFD').replace(/\p{M}/gu, '').replace(/ł/g, 'l').replace(/ø/g, 'o').replace(/æ/g, 'ae');
}

const COUNTRY_FACTS: Readonly<Record<string, { zone: string; language: string }>> = Object.freeze(
  Object.fromEntries(COUNTRIES.flatMap(([names, zone, language]) => names.map((name) => [folded(name), Object.freeze({ zone, language })]))),
);

function factsOf(country: string): { zone: string; language: string } | undefined {
  const key = folded(country);
  return Object.hasOwn(COUNTRY_FACTS, key) ? COUNTRY_FACTS[key] : undefined;
}

/** The zone of a country of the Baltic Sea Region (name in any of its languages, or ISO code), if it has exactly one. */
export function zoneForCountry(country: string): string | undefined {
  return country ? factsOf(country)?.zone : undefined;
}

/** The language people of that country read (a BCP 47 tag), for a campaign that takes it from the country. */
export function languageOfCountry(country: string): string | undefined {
  return country ? factsOf(country)?.language : undefined;
}

/** Every country name and code understood, by zone: for the docs. */
export function countriesUnderstood(): { zone: string; language: string; names: string[] }[] {
  return COUNTRIES.map(([names, zone, language]) => ({ zone, language, names }));
}

/** "Europe/Vilnius" → "Vilnius"; "America/Argentina/Buenos_Aires" → "Buenos Aires". */
export function cityOfZone(zone: string): string {
  return (zone.split('/').pop() ?? zone).replace(/_/g, ' ');
}
