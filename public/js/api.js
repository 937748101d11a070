// Calls to our own functions under /api. Every failure becomes an ApiError whose message
// can be shown to the reader as it is.

const AUTH_URL = '/api/ably/auth';
const SEND_URL = '/api/sendMessage';
const REQUEST_TIMEOUT_MS = 15_000;

export class ApiError extends Error {
  constructor(message, { status = 0, retryAfterSeconds = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * ably-js options for the realtime service the auth endpoint names in X-Realtime-Endpoint
 * (a local emulator), or none for Ably's cloud. A local service has no fallback hosts and
 * no ably.com connectivity check to lean on, so both checks point at it too.
 */
export function connectionOptionsFor(endpointUrl) {
  if (!endpointUrl) return {};
  const url = new URL(endpointUrl);
  const tls = url.protocol === 'https:';
  const port = Number(url.port) || (tls ? 443 : 80);
  return {
    endpoint: url.hostname,
    tls,
    ...(tls ? { tlsPort: port } : { port }),
    transports: ['web_socket'],
    connectivityCheckUrl: `${url.origin}/is-the-internet-up.txt`,
    wsConnectivityCheckUrl: `${tls ? 'wss' : 'ws'}://${url.host}/ws-up`,
  };
}

function parseRetryAfter(value) {
  const seconds = Number.parseInt(value ?? '', 10);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

async function request(url, init = {}) {
  let response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch {
    throw new ApiError('Could not reach the server. Check your connection and try again.');
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(body?.error?.message || `The server had a problem (${response.status}). Try again.`, {
      status: response.status,
      retryAfterSeconds: parseRetryAfter(response.headers.get('Retry-After')),
    });
  }
  return { response, body };
}

/**
 * Gets a TokenRequest for `username` and learns where the realtime service is. The first
 * call also checks the name with the server: a refused one comes back as its 400 message.
 */
export async function requestToken(username) {
  const { response, body } = await request(`${AUTH_URL}?clientId=${encodeURIComponent(username)}`, {
    cache: 'no-store',
  });
  return {
    tokenRequest: body,
    connectionOptions: connectionOptionsFor(response.headers.get('X-Realtime-Endpoint')),
  };
}

/** Sends a chat message. Reusing `id` on a retry is safe: the server publishes it once. */
export async function sendMessage({ id, username, text }) {
  const { body } = await request(SEND_URL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, message: text, id }),
  });
  return body?.message ?? null;
}
