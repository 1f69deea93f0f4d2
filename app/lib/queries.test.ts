import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { doctorKeys, shouldRetry } from './queries';

describe('dashboard queries', () => {
  it.each([
    [new ApiError(401, 'log in'), 0, false],
    [new ApiError(403, 'forbidden'), 0, false],
    [new ApiError(404, 'gone'), 0, false],
    [new ApiError(503, 'unavailable'), 0, true],
    [new ApiError(503, 'unavailable'), 1, false],
    [new TypeError('fetch failed'), 0, true],
  ])('retries %s after %i failures: %s', (error, failures, expected) => {
    expect(shouldRetry(failures, error)).toBe(expected);
  });

  it('keys a fix preview under its namespace, so a fix invalidates it with the rest', () => {
    expect(doctorKeys.plan('ns', 'c', 't').slice(0, 3)).toEqual(doctorKeys.namespace('ns'));
  });
});
