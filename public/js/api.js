// Calls to our own functions under /api. Every failure becomes an ApiError whose message can
// be shown to the reader as it is (errors.js words it).
import { explain, UNREACHABLE } from './errors.js';

const SESSION_URL = '/api/session';
const AUTH_URL = '/api/ably/auth';
const SEND_URL = '/api/sendMessage';
const ROOMS_URL = '/api/rooms';
const REQUEST_TIMEOUT_MS = 15_000;

export class ApiError extends Error {
  constructor(message, { status = 0, retryAfterSeconds = null, field = null, reason = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
    this.field = field;
    this.reason = reason; // the server's word for why, where it gives one ('name-released')
  }
}

/**
 * ably-js options for the realtime service the token endpoint names in X-Realtime-Endpoint
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

async function request(url, { session, ...init } = {}) {
  const headers = { ...init.headers, ...(session ? { Authorization: `Bearer ${session}` } : {}) };
  let response;
  try {
    response = await fetch(url, { cache: 'no-store', ...init, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch {
    throw new ApiError(UNREACHABLE);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const retryAfterSeconds = parseRetryAfter(response.headers.get('Retry-After'));
    throw new ApiError(explain(response.status, body, retryAfterSeconds), {
      status: response.status,
      retryAfterSeconds,
      field: body?.error?.field ?? null,
      reason: body?.error?.reason ?? null,
    });
  }
  return { response, body };
}

const postJson = (url, body, session) =>
  request(url, { method: 'POST', session, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

/**
 * Claims `username` in `room`: {username, room, claim, session, expiresIn, renewIn}. With the
 * session already held (`current`), it renews it. A 409 means somebody else holds the name.
 */
export async function claimName({ username, room, current = null }) {
  const { body } = await postJson(SESSION_URL, { username, room }, current);
  return body;
}

/**
 * Lets go of the name at once (Leave). Sent with keepalive, so it survives the page going away;
 * a failure only means the name stays reserved for a few more seconds.
 */
export function releaseName(session) {
  return fetch(SESSION_URL, { method: 'DELETE', keepalive: true, headers: { Authorization: `Bearer ${session}` } })
    .catch(() => {});
}

/** A TokenRequest for the session's user and room, and where the realtime service is. */
export async function requestToken(session) {
  const { response, body } = await request(AUTH_URL, { session });
  return {
    tokenRequest: body,
    connectionOptions: connectionOptionsFor(response.headers.get('X-Realtime-Endpoint')),
  };
}

/**
 * Sends a chat message as the session's user. Reusing `id` on a retry is safe: the server
 * publishes it once, under the id `<claim>:<id>`.
 */
export async function sendMessage({ session, id, text }) {
  const { body } = await postJson(SEND_URL, { message: text, id }, session);
  return body;
}

/** The rooms with people in them now: [{room, people}], busiest first. */
export async function listRooms() {
  const { body } = await request(ROOMS_URL);
  return Array.isArray(body?.rooms) ? body.rooms : [];
}

/**
 * Changes a message the session's user may change: `kind` is editMessage {serial, message},
 * deleteMessage {serial} or react {serial, reaction, remove}.
 */
export async function changeMessage(kind, body, session) {
  return (await postJson(`/api/${kind}`, body, session)).body;
}
