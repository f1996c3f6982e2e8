// Deliver: hands composed messages to a transport one by one and records what happened to
// each. A fault that would fail every message (login, TLS, no connection) stops the run.
import type { Message } from './compose.js';
import { DeliveryStop } from './errors.js';
import { RecipientFailure, type Transport } from './transports.js';

export interface Delivered {
  message: Message;
  response: string;
}

export interface Undelivered {
  message: Message;
  reason: string;
  responseCode?: number;
}

export interface DeliveryReport {
  accepted: Delivered[];
  failed: Undelivered[];
  /** Messages never tried because the run stopped. */
  notTried: Message[];
  stopped?: DeliveryStop;
}

export interface DeliveryHooks {
  onResult?(done: number, total: number, outcome: Delivered | Undelivered): void;
}

export async function deliver(messages: Message[], transport: Transport, hooks: DeliveryHooks = {}): Promise<DeliveryReport> {
  const report: DeliveryReport = { accepted: [], failed: [], notTried: [] };
  try {
    for (const [index, message] of messages.entries()) {
      try {
        const receipt = await transport.send(message);
        const outcome = { message, response: receipt.response };
        report.accepted.push(outcome);
        hooks.onResult?.(index + 1, messages.length, outcome);
      } catch (error) {
        if (error instanceof DeliveryStop) {
          report.stopped = error;
          report.notTried = messages.slice(index);
          break;
        }
        const failure: Undelivered =
          error instanceof RecipientFailure
            ? { message, reason: error.message, responseCode: error.responseCode }
            : { message, reason: error instanceof Error ? error.message : String(error) };
        report.failed.push(failure);
        hooks.onResult?.(index + 1, messages.length, failure);
      }
    }
  } finally {
    await transport.close();
  }
  return report;
}
