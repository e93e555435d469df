import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { COUNTRY_ZONES } from './country-zones.js';
import { NANP_AREA_ZONES } from './nanp-zones.js';

export type NormalizedPhone = { ok: true; e164: string; country?: string } | { ok: false; reason: string };

/** E.164 normalisation; numbers without a leading + are read in the campaign's default country. */
export function normalizePhone(raw: string, defaultCountry: string): NormalizedPhone {
  const trimmed = raw.trim();
  if (!trimmed) return { ok: false, reason: 'empty phone' };
  const parsed = parsePhoneNumberFromString(trimmed, defaultCountry.toUpperCase() as CountryCode);
  if (!parsed) return { ok: false, reason: `unparseable phone "${trimmed}"` };
  if (!parsed.isValid()) return { ok: false, reason: `invalid phone "${trimmed}"` };
  return { ok: true, e164: parsed.number, ...(parsed.country ? { country: parsed.country } : {}) };
}

export type TimezoneSource = 'given' | 'area-code' | 'country' | 'default';

export interface ZoneGuess {
  zone: string;
  source: TimezoneSource;
}

export function isValidZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Time zone of a number: NANP area code when known, otherwise the country's main zone (for multi-zone
 * countries this is a guess, flagged by source 'country'), otherwise the campaign default.
 */
export function zoneForNumber(e164: string, country: string | undefined, fallbackZone: string): ZoneGuess {
  if ((country === 'US' || country === 'CA') && e164.startsWith('+1')) {
    const area = NANP_AREA_ZONES.get(e164.slice(2, 5));
    if (area) return { zone: area, source: 'area-code' };
  }
  const zones = country ? COUNTRY_ZONES[country] : undefined;
  if (zones?.length) return { zone: zones[0], source: 'country' };
  return { zone: fallbackZone, source: 'default' };
}
