// invite's own delivery defaults, where neither a flag nor invite.yaml's `sending:` says otherwise.
export const DEFAULTS = { connections: 2, retries: 3, retryDelaySeconds: 2, timeoutSeconds: 30, dataTimeoutSeconds: 600 } as const;
