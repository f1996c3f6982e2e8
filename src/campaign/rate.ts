// The sending rate, as invite.yaml's sending.rate and --rate write it: N messages per second,
// minute or hour (transports/rate.ts keeps a run to it).
import { UsageError } from '../errors.js';

export interface Rate {
  count: number;
  windowMs: number;
  /** As the user wrote it, e.g. "20/s". */
  text: string;
}

const UNITS: Record<string, number> = { s: 1000, sec: 1000, second: 1000, m: 60_000, min: 60_000, minute: 60_000, h: 3_600_000, hour: 3_600_000 };

export function parseRate(text: string): Rate {
  const match = /^\s*(\d+)\s*\/\s*([a-z]+)\s*$/i.exec(text);
  const unit = match?.[2]?.toLowerCase();
  if (!match || !unit || !(unit in UNITS) || Number(match[1]) < 1) {
    throw new UsageError(`"${text}" is not a sending rate`, 'write it as N/s, N/min or N/h, e.g. 20/s or 100/min');
  }
  return { count: Number(match[1]), windowMs: UNITS[unit]!, text: text.trim() };
}
