// invite's own delivery defaults, where neither a flag nor invite.yaml's `sending:` says otherwise.
export const DEFAULTS = { connections: 2, retries: 3, retryDelaySeconds: 2, timeoutSeconds: 30, dataTimeoutSeconds: 600 } as const;

/**
 * The most characters one CSV row may have (contacts, a registrations export). A longer one — a
 * cell of megabytes, or a double quote never closed — is refused as soon as it is seen, in time
 * linear in the file, before it takes the memory (or, joined chunk by chunk, the time) of the
 * whole file. contacts.max_cell_size can be at most this.
 */
export const MAX_ROW_CHARS = 1 << 20;

/** The longest cell of a contact row, in characters, unless contacts.max_cell_size says otherwise. */
export const MAX_CELL_CHARS = 4096;
