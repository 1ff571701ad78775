/**
 * One HTTP POST of a JSON body for the HTTP channels (webhook, Slack, Teams), and what its answer
 * means for the outbox: 2xx is delivered; 408, 429, 5xx and a network failure are retried; any
 * other answer (400, 403, 404, a redirect) is refused for good. Errors name the channel and
 * endpoint, never the URL (for Slack and Teams the URL is the secret).
 */
import { looksLikeUrl } from '../../config/channels.js';
import { ChannelError, type DeliveryProof } from '../channel.js';

export interface HttpTarget {
  /** `slack endpoint alerts`: how errors name the receiver. */
  label: string;
  url: string;
  timeoutMs: number;
}

/** Answers worth trying again: the receiver was busy or timed out. */
const RETRYABLE_STATUS = new Set([408, 425, 429]);

/** The receiver's answer, short enough to keep as proof. */
const RESPONSE_MAX = 200;

function networkCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer in time';
  const cause: unknown = err.cause;
  if (cause instanceof Error) {
    const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : cause.name;
    return code;
  }
  return err.name;
}

/** POSTs `body`; returns the proof (status, start of the answer) or throws a ChannelError. */
export async function postJson(target: HttpTarget, body: string, headers: Record<string, string>, messageId: string): Promise<DeliveryProof> {
  let res: Response;
  try {
    res = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'closeloop', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (err) {
    throw new ChannelError(`${target.label}: ${networkCause(err)}`, true);
  }
  const answer = (await res.text().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, RESPONSE_MAX);
  if (res.status >= 200 && res.status < 300) return { messageId, status: res.status, response: answer === '' ? String(res.status) : answer };
  const retryable = res.status >= 500 || RETRYABLE_STATUS.has(res.status);
  throw new ChannelError(`${target.label}: HTTP ${res.status}${answer === '' ? '' : ` ${answer}`}`, retryable, res.status);
}

/**
 * The endpoint a message's address names. A message queued under a version 1 configuration has the
 * URL itself as its address: it goes to the endpoint `config migrate` moved that URL into. An error
 * never repeats an address that is a URL.
 */
export function endpointFor<E>(channel: string, endpoints: Readonly<Record<string, E>>, address: string, urlOf: (e: E) => string): { name: string; endpoint: E } {
  if (Object.hasOwn(endpoints, address)) {
    const endpoint = endpoints[address];
    if (endpoint !== undefined) return { name: address, endpoint };
  }
  const byUrl = Object.entries(endpoints).find(([, e]) => urlOf(e) === address);
  if (byUrl !== undefined) return { name: byUrl[0], endpoint: byUrl[1] };
  const shown = looksLikeUrl(address) ? 'a URL address (from a version 1 configuration) that no endpoint has' : address;
  throw new ChannelError(`${channel} endpoint ${shown} is not configured`, false);
}
