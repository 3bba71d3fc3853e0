/** Why a kit run could not start: each is found before Jest starts, and stops the run with one message. */

export type KitErrorCode = 'ERR_KIT_USAGE' | 'ERR_KIT_ADAPTER' | 'ERR_KIT_EXPECTED';

export class KitError extends Error {
  constructor(
    readonly code: KitErrorCode,
    message: string,
  ) {
    super(message);
  }
}
Object.defineProperty(KitError.prototype, 'name', { value: 'KitError' });

/** A wrong option: an unknown rule or section, rules and sections together. */
export class KitUsageError extends KitError {
  constructor(message: string) {
    super('ERR_KIT_USAGE', message);
  }
}

/** The adapter cannot be used: not found, no default export, a contract mismatch, an unknown variant or setting. */
export class KitAdapterError extends KitError {
  constructor(message: string) {
    super('ERR_KIT_ADAPTER', message);
  }
}

/** The expectations file is missing or malformed. */
export class KitExpectationsError extends KitError {
  constructor(message: string) {
    super('ERR_KIT_EXPECTED', message);
  }
}
