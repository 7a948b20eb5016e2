import type { Redis, Result } from 'ioredis';
import { presenceKeys } from './presence-keys.js';

/**
 * Lua scripts that decide presence transitions inside Redis. A script runs atomically, so when
 * several presence replicas handle reports for the same user at once exactly one of them sees
 * "first connection" or "last one gone", and each transition is announced once.
 *
 * The per-user keys are built inside the scripts rather than passed as KEYS: fine on a single
 * Redis (the deployment here); a Redis Cluster would need the user keys hash-tagged together.
 *
 * Every script returns its transitions as a flat list: user_id, event, status, last_seen, ...
 */

// Shared by every script. KEYS[1] connection deadlines, KEYS[2] pending offline, KEYS[3] the
// announced-online ledger. Time is Redis's own clock, so replicas on different hosts agree.
const PRELUDE = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local out = {}
-- The same names as presenceKeys (presence-keys.ts).
local function onlineKey(u) return 'online:' .. u end
local function connectionsKey(u) return 'user:' .. u .. ':ws_connections' end
local function closedKey(c) return 'presence:closed:' .. c end
local function emit(u, event, status, lastSeen)
  out[#out + 1] = u
  out[#out + 1] = event
  out[#out + 1] = status
  out[#out + 1] = tostring(lastSeen)
end
local function writeStatus(u, status, lastSeen, device, ttl)
  local doc = { user_id = u, status = status, last_seen = lastSeen }
  if device and device ~= '' then doc.device_id = device end
  redis.call('SET', onlineKey(u), cjson.encode(doc), 'EX', ttl)
end
-- The ledger makes this idempotent: only the call that removes the user announces.
local function goOffline(u, lastSeen)
  redis.call('ZREM', KEYS[2], u)
  if redis.call('SREM', KEYS[3], u) == 1 then
    redis.call('DEL', onlineKey(u))
    emit(u, 'user_offline', 'offline', lastSeen)
  end
end
-- A live connection: listed, given a deadline, and its user announced online if they were not.
-- fresh: a connect report (a client that just opened its socket, e.g. a reloaded page), which
-- is active by definition: an 'away' left by the user's other or previous sockets ends here
-- (a hidden client says 'away' again right after 'ready'). A heartbeat adoption is not fresh.
local function adopt(u, c, device, at, ttl, lifeMs, fresh)
  redis.call('SADD', connectionsKey(u), c)
  redis.call('ZADD', KEYS[1], now + lifeMs, u .. '|' .. c)
  -- Back within the grace period: the pending offline is dropped and nobody hears of it.
  redis.call('ZREM', KEYS[2], u)
  if redis.call('SADD', KEYS[3], u) == 1 then
    writeStatus(u, 'online', at, device, ttl)
    emit(u, 'user_online', 'online', at)
  else
    local raw = redis.call('GET', onlineKey(u))
    if not raw then
      writeStatus(u, 'online', at, device, ttl)
    elseif fresh and cjson.decode(raw).status == 'away' then
      writeStatus(u, 'online', at, device, ttl)
      emit(u, 'user_online', 'online', at)
    else
      redis.call('EXPIRE', onlineKey(u), ttl)
    end
  end
end
`;

/**
 * Connect ('c'), disconnect ('d') and status ('s') reports, applied in arrival order.
 * ARGV: ttl_s, grace_ms, life_ms, then per report: kind, user_id, connection_id, extra, at
 * (extra: device id for 'c', 'online'|'away' for 's').
 */
const APPLY_REPORTS = `${PRELUDE}
local ttl = tonumber(ARGV[1])
local grace = tonumber(ARGV[2])
local lifeMs = tonumber(ARGV[3])
for i = 4, #ARGV, 5 do
  local kind, u, c, extra, at = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4])
  local ck = connectionsKey(u)
  if kind == 'c' then
    -- A connect that arrives after its own disconnect (another replica was faster) is void.
    if redis.call('EXISTS', closedKey(c)) == 0 then adopt(u, c, extra, at, ttl, lifeMs, true) end
  elseif kind == 'd' then
    redis.call('SET', closedKey(c), '1', 'EX', ttl)
    redis.call('ZREM', KEYS[1], u .. '|' .. c)
    if redis.call('SREM', ck, c) == 1 and redis.call('SCARD', ck) == 0 then
      if grace > 0 then
        local raw = redis.call('GET', onlineKey(u))
        if raw then
          local doc = cjson.decode(raw)
          doc.last_seen = at
          redis.call('SET', onlineKey(u), cjson.encode(doc), 'KEEPTTL')
        end
        redis.call('ZADD', KEYS[2], now + grace, u)
      else
        goOffline(u, at)
      end
    end
  elseif kind == 's' then
    if redis.call('SISMEMBER', ck, c) == 1 then
      local raw = redis.call('GET', onlineKey(u))
      local doc = raw and cjson.decode(raw) or { user_id = u, status = 'online' }
      if doc.status ~= extra then
        writeStatus(u, extra, at, doc.device_id, ttl)
        if extra == 'away' then emit(u, 'user_away', 'away', at) else emit(u, 'user_online', 'online', at) end
      end
    end
  end
end
return out
`;

/**
 * One gateway's live connections: deadlines and TTLs pushed forward. A connection presence
 * doesn't know (its connect report was lost, e.g. while presence was down) is adopted, unless
 * it was closed recently: a heartbeat built just before a disconnect must not revive it.
 * ARGV: ttl_s, life_ms, at, then user_id, connection_id pairs.
 */
const HEARTBEAT = `${PRELUDE}
local ttl = tonumber(ARGV[1])
local lifeMs = tonumber(ARGV[2])
local at = tonumber(ARGV[3])
local members = {}
for i = 4, #ARGV, 2 do members[#members + 1] = ARGV[i] .. '|' .. ARGV[i + 1] end
-- Bulk commands where Redis allows them, so the per-user cost is the one EXPIRE of
-- online:{user}. The connection sets need no TTL of their own: every member has a deadline,
-- and the sweep removes it (and so the set) when it passes.
local deadline = now + lifeMs
local moves = {}
for j, member in ipairs(members) do
  moves[2 * j - 1] = deadline
  moves[2 * j] = member
end
-- XX: only known connections move (one swept or closed meanwhile stays gone). CH counts the
-- moved ones: normally all, as deadlines only grow; if not, ZMSCORE tells which are unknown.
local moved = redis.call('ZADD', KEYS[1], 'XX', 'CH', unpack(moves))
local scores = nil
if moved < #members then scores = redis.call('ZMSCORE', KEYS[1], unpack(members)) end
local refreshed = {}
for j, member in ipairs(members) do
  local u, c = ARGV[2 * j + 2], ARGV[2 * j + 3]
  if scores == nil or scores[j] then
    if not refreshed[u] then
      refreshed[u] = true
      if redis.call('EXPIRE', onlineKey(u), ttl) == 0 then writeStatus(u, 'online', at, nil, ttl) end
    end
  elseif redis.call('EXISTS', closedKey(c)) == 0 then
    adopt(u, c, nil, at, ttl, lifeMs, false)
    refreshed[u] = true
  end
end
return out
`;

/**
 * Connections past their deadline (their gateway stopped heartbeating) are dropped, and users
 * whose grace period ran out are announced offline. ARGV: limit, life_ms.
 * Returns {more (0|1), transitions...}: more means the limit was hit and another call is due.
 */
const SWEEP = `${PRELUDE}
local limit = tonumber(ARGV[1])
local lifeMs = tonumber(ARGV[2])
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)
for i = 1, #expired, 2 do
  local member = expired[i]
  redis.call('ZREM', KEYS[1], member)
  local sep = string.find(member, '|', 1, true)
  local u = string.sub(member, 1, sep - 1)
  local ck = connectionsKey(u)
  redis.call('SREM', ck, string.sub(member, sep + 1))
  -- Last heard of at its last heartbeat, not when the sweep noticed.
  if redis.call('SCARD', ck) == 0 then goOffline(u, tonumber(expired[i + 1]) - lifeMs) end
end
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)
for _, u in ipairs(due) do
  if redis.call('SCARD', connectionsKey(u)) == 0 then
    local raw = redis.call('GET', onlineKey(u))
    goOffline(u, raw and cjson.decode(raw).last_seen or now)
  else
    redis.call('ZREM', KEYS[2], u)
  end
end
local more = 0
if #expired / 2 >= limit or #due >= limit then more = 1 end
table.insert(out, 1, more)
return out
`;

type Flat = Array<string | number>;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    presenceApplyReports(deadlines: string, pending: string, ledger: string, ...argv: Array<string | number>): Result<Flat, Context>;
    presenceHeartbeat(deadlines: string, pending: string, ledger: string, ...argv: Array<string | number>): Result<Flat, Context>;
    presenceSweep(deadlines: string, pending: string, ledger: string, ...argv: Array<string | number>): Result<Flat, Context>;
  }
}

/** Registers the scripts on a client (EVALSHA, with EVAL on the first NOSCRIPT). */
export function defineScripts(redis: Redis): void {
  redis.defineCommand('presenceApplyReports', { numberOfKeys: 3, lua: APPLY_REPORTS });
  redis.defineCommand('presenceHeartbeat', { numberOfKeys: 3, lua: HEARTBEAT });
  redis.defineCommand('presenceSweep', { numberOfKeys: 3, lua: SWEEP });
}

export const SCRIPT_KEYS = [presenceKeys.connectionDeadlines, presenceKeys.pendingOffline, presenceKeys.announcedOnline] as const;
