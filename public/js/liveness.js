// Whether the realtime service still answers, while ably-js says connected. ably-js notices a
// silent server only after its idle timeout (about 25 s on Ably); one ping a second, given up on
// after 0.9 s, tells the reader within 1.9 s. Each ping is a round trip on the connection, so it
// runs only while it can matter: the connection is up and the tab is in view.
import { systemClock } from './clock.js';

export const PING_EVERY_MS = 1000; // from one ping's start to the next
export const PING_TIMEOUT_MS = 900; // unanswered this long: the service is silent

/**
 * `ping()` resolves when the service answers (ably-js's connection.ping); `report(answering)` hears
 * false when a ping goes unanswered for PING_TIMEOUT_MS and true when one is answered. Returns
 * {setConnected(connected), setVisible(visible)}: pings run only while both are true.
 */
export function watchLiveness({ ping, report, clock = systemClock }) {
  const wanted = { connected: false, visible: true };
  let pinging = false;
  let next = null;

  /** The next ping in `ms`, or none while the connection is down or the tab hidden. */
  function schedule(ms) {
    clock.clearTimeout(next);
    next = wanted.connected && wanted.visible && !pinging ? clock.setTimeout(probe, ms) : null;
  }

  async function probe() {
    pinging = true;
    const sentAt = clock.now();
    const late = clock.setTimeout(() => report(false), PING_TIMEOUT_MS);
    const answered = await ping().then(() => true, () => false);
    clock.clearTimeout(late);
    pinging = false;
    if (answered) report(true);
    schedule(sentAt + PING_EVERY_MS - clock.now()); // a timer already due runs at once
  }

  const set = (what) => (value) => {
    if (wanted[what] === value) return;
    wanted[what] = value;
    schedule(0);
  };
  return { setConnected: set('connected'), setVisible: set('visible') };
}
