// Times are shown in the reader's own time zone, as HH:mm:ss.

const twoDigits = (n) => String(n).padStart(2, '0');

export function formatClock(when) {
  const date = new Date(when);
  if (Number.isNaN(date.getTime())) return '--:--:--';
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map(twoDigits).join(':');
}

/** Time and timers as the controllers take them ({now, setTimeout, clearTimeout}); tests hand in a fake. */
export const systemClock = { now: () => Date.now(), setTimeout: (...a) => setTimeout(...a), clearTimeout: (t) => clearTimeout(t) };
