// The problems an input error carries: what a test of a checker compares.
import { InputError, type Problem } from '../../src/errors.js';

/** Runs `fn`; the problems of the InputError it throws, or what it returns (none by default). */
export function problemsOf(fn: () => unknown): Problem[] {
  try {
    const result = fn();
    return Array.isArray(result) ? (result as Problem[]) : [];
  } catch (error) {
    if (error instanceof InputError) return error.problems;
    throw error;
  }
}
