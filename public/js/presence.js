// Ably keeps one presence member per connection, so a person with three tabs open is
// three members. People want one entry per person: members are merged by clientId.

const byName = (a, b) => a.localeCompare(b, undefined, { sensitivity: 'base' }) || (a < b ? -1 : 1);

/** The names of everyone present, one per clientId, sorted for display. */
export function rosterFrom(members) {
  const names = new Set(members.map((member) => member.clientId).filter(Boolean));
  return [...names].sort(byName);
}

/** Who arrived and who went between two rosters; another tab of someone present is neither. */
export function rosterChanges(before, after) {
  const had = new Set(before);
  const has = new Set(after);
  return {
    joined: after.filter((name) => !had.has(name)),
    left: before.filter((name) => !has.has(name)),
  };
}
