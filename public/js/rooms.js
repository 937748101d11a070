// Rooms in links and on Ably, as the server names them (chat/rooms.py): `/r/<room>` opens a
// room, `/` is the lobby; each room is its own channel, and the default room keeps the seed's.
import { checkRoom } from './validation.js';

export const DEFAULT_ROOM = 'general';

export function channelFor(room) {
  return room === DEFAULT_ROOM ? 'chat' : `chat:${room}`;
}

export function pathFor(room) {
  return `/r/${encodeURIComponent(room)}`;
}

/**
 * What a path asks for: {page: 'lobby'}, {page: 'room', room} with the room case-folded, or
 * {page: 'room', room: null, error} for a link to a room name that cannot exist.
 */
export function pageFor(pathname) {
  const match = /^\/r\/([^/]*)\/?$/.exec(pathname);
  if (!match) return { page: 'lobby' };
  let typed;
  try {
    typed = decodeURIComponent(match[1]);
  } catch {
    typed = match[1];
  }
  const { room, error } = checkRoom(typed);
  return error ? { page: 'room', room: null, typed, error } : { page: 'room', room };
}
