// Time zones of the region: which IANA zone a contact's country means, and a city to name it by.

const COUNTRY_ZONES: Record<string, string> = {
  denmark: 'Europe/Copenhagen',
  dk: 'Europe/Copenhagen',
  estonia: 'Europe/Tallinn',
  ee: 'Europe/Tallinn',
  finland: 'Europe/Helsinki',
  fi: 'Europe/Helsinki',
  germany: 'Europe/Berlin',
  de: 'Europe/Berlin',
  latvia: 'Europe/Riga',
  lv: 'Europe/Riga',
  lithuania: 'Europe/Vilnius',
  lt: 'Europe/Vilnius',
  poland: 'Europe/Warsaw',
  pl: 'Europe/Warsaw',
  sweden: 'Europe/Stockholm',
  se: 'Europe/Stockholm',
  norway: 'Europe/Oslo',
  no: 'Europe/Oslo',
  iceland: 'Atlantic/Reykjavik',
  is: 'Atlantic/Reykjavik',
};

/** The zone of a country of the Baltic Sea Region (name or ISO code), if it has exactly one. */
export function zoneForCountry(country: string): string | undefined {
  return COUNTRY_ZONES[country.trim().toLowerCase()];
}

/** "Europe/Vilnius" → "Vilnius"; "America/Argentina/Buenos_Aires" → "Buenos Aires". */
export function cityOfZone(zone: string): string {
  return (zone.split('/').pop() ?? zone).replace(/_/g, ' ');
}
