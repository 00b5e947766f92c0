/** A mistake in how real mode was asked for (missing keys, missing url, a bad token): one line, exit 2. */
export class RealModeError extends Error {}
