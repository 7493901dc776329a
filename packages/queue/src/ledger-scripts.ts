/**
 * Lua for the ledger, so each status change and its counters move together (one slot per
 * campaign: KEYS[1] = recipients hash, KEYS[2] = counts hash, KEYS[3] = meta for RECORD, RESET_FAILED and CANCEL_PENDING). Entries are JSON:
 * {"s":status,"m":messageId,"c":code,"r":reason,"a":attempts,"t":updatedAtMs,"x":refs}, where x (only
 * on a recipient imported with refs of its own) is {"r":ref,"r1":ref1,"r2":ref2} with the refs it
 * has. Every script that rewrites an entry carries x over, so a resume or a retry can put the refs
 * back in the recipient's new job.
 */

/**
 * A campaign whose counters carry 'ttl' (a single message: Producer.enqueueText without a campaign
 * id) expires that many seconds after its last pending recipient ended: KEYS[3] = its meta. A
 * retry (RESET_FAILED) makes it pending again and PERSISTs it until it ends again.
 */
const EXPIRE_WHEN_DONE = `
if tonumber(redis.call('HGET', KEYS[2], 'pending') or '0') <= 0 then
  local ttl = redis.call('HGET', KEYS[2], 'ttl')
  if ttl then for k = 1, 3 do redis.call('EXPIRE', KEYS[k], ttl) end end
end`;

/**
 * KEYS[3] = the campaign's control state. ARGV[1] = now, then pairs ARGV[2k], ARGV[2k+1] = E.164
 * number, its refs and values as JSON ({"r":…,"r1":…,"r2":…,"v":[…]}, '' when it has none). Creates
 * missing entries as pending (with x when given); returns the control state ('running' when unset),
 * then, for the numbers that had an entry already, their position (1-based, in the pairs) and
 * status: a chunk of new numbers answers one element, not one per number. An existing entry is left
 * as it is: a re-run import with other refs for a number already registered keeps the first ones.
 */
export const REGISTER = `
if redis.call('HEXISTS', KEYS[3], 'archiving') == 1 then return {'archiving'} end
local out = {redis.call('HGET', KEYS[3], 'state') or 'running'}
local created = 0
local now = tonumber(ARGV[1])
local fresh = cjson.encode({s = 'pending', t = now})
for i = 2, #ARGV - 1, 2 do
  local entry = fresh
  if ARGV[i + 1] ~= '' then entry = cjson.encode({s = 'pending', t = now, x = cjson.decode(ARGV[i + 1])}) end
  if redis.call('HSETNX', KEYS[1], ARGV[i], entry) == 1 then
    created = created + 1
  else
    local ok, e = pcall(cjson.decode, redis.call('HGET', KEYS[1], ARGV[i]))
    out[#out + 1] = i / 2
    out[#out + 1] = ok and e.s or 'pending'
  end
end
if created > 0 then
  redis.call('HINCRBY', KEYS[2], 'total', created)
  redis.call('HINCRBY', KEYS[2], 'pending', created)
  redis.call('HDEL', KEYS[2], 'finishedAt')
end
-- The last intake: an import between two chunks may have nothing pending, and is not finished (the archiver waits a quiet minute).
redis.call('HSET', KEYS[2], 'intakeAt', ARGV[1])
return out
`;

/** The longest failure reason kept per code in the counters ('reason:<code>'), in characters. */
export const FAILURE_REASON_MAX = 300;

/** Lua: the first n UTF-8 characters of s (never half a character). */
const FIRST_CHARS = `
local function firstChars(s, n)
  local i, count = 1, 0
  while i <= #s and count < n do
    local b = string.byte(s, i)
    i = i + ((b >= 240 and 4) or (b >= 224 and 3) or (b >= 192 and 2) or 1)
    count = count + 1
  end
  return string.sub(s, 1, i - 1)
end`;

/**
 * KEYS[4] = the archived marker: a campaign already in the archive takes no write here (the answer
 * is {'archived'}; a late 'sent' goes to the archive instead: Ledger.record's caller).
 * ARGV[1] = to, ARGV[2] = entry JSON (with s). Every write counts in the counters' 'w' (the archiver
 * checks that a campaign did not change while it copied it). The write that ends the campaign's last
 * pending recipient stamps 'finishedAt' (the archive's clock) and, for a listed campaign (no 'ttl'),
 * answers '1' as a third element: the caller puts the campaign in the archive's queue. Final states are never left for an earlier one:
 * sent (and the delivery states after it) is never overwritten by pending, failed or cancelled, and
 * a second 'sent' keeps the first message_id. `cancelled` only replaces `pending`, and only `sent`
 * replaces `cancelled`: a request already in flight when the campaign was cancelled that Kaleyra
 * accepted is recorded as what it is (sent, with its message_id); one that failed stays cancelled.
 * Returns the status the entry ends with, its message id and that flag. The old entry's refs (x) are kept.
 * The counters also keep 'startedAt' (the time of the campaign's first sent or failed result) and,
 * per failure code, 'reason:<code>' (the reason of its first recorded failure, at most FAILURE_REASON_MAX characters).
 */
const RECORD_STEPS = `
if redis.call('EXISTS', KEYS[4]) == 1 then return {'archived', '', ''} end
local rank = {pending = 0, failed = 1, cancelled = 1, sent = 2, ['failed-after-send'] = 3, delivered = 3, read = 4}
local new = cjson.decode(ARGV[2])
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local old = nil
if raw then old = cjson.decode(raw) end
if old and (rank[old.s] or 0) >= 2 and rank[new.s] <= rank[old.s] then
  return {old.s, old.m or ''}
end
if old and old.s == 'cancelled' and new.s ~= 'sent' then
  return {old.s, old.m or ''}
end
if new.s == 'cancelled' and old and old.s ~= 'pending' then
  return {old.s, old.m or ''}
end
if old and old.s == new.s and new.s ~= 'pending' then
  return {old.s, old.m or ''}
end
if old and old.x and new.x == nil then
  new.x = old.x
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(new))
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
if old then
  redis.call('HINCRBY', KEYS[2], old.s, -1)
  -- A code nobody has any more loses its reason: the next failure with it writes its own text.
  if old.s == 'failed' and old.c and redis.call('HINCRBY', KEYS[2], 'code:' .. old.c, -1) <= 0 then redis.call('HDEL', KEYS[2], 'reason:' .. old.c) end
else
  redis.call('HINCRBY', KEYS[2], 'total', 1)
end
redis.call('HINCRBY', KEYS[2], new.s, 1)
-- The first result (sent or failed) stamps 'startedAt' (HSETNX: O(1), inside this one call; not
-- tied to a counter leaving 0, which delivery callbacks bring back to 0 again and again).
if new.s == 'sent' or new.s == 'failed' then redis.call('HSETNX', KEYS[2], 'startedAt', tostring(new.t)) end
if new.s == 'failed' and new.c then
  redis.call('HINCRBY', KEYS[2], 'code:' .. new.c, 1)
  -- Kaleyra's text of the code's first recorded failure (failures only: never on the path of a sent message).
  if new.r and redis.call('HEXISTS', KEYS[2], 'reason:' .. new.c) == 0 then redis.call('HSET', KEYS[2], 'reason:' .. new.c, firstChars(new.r, ${FAILURE_REASON_MAX})) end
end
redis.call('HINCRBY', KEYS[2], 'w', 1)
local finished = ''
if new.s ~= 'pending' then
${EXPIRE_WHEN_DONE}
  if (not old or old.s == 'pending') and tonumber(redis.call('HGET', KEYS[2], 'pending') or '0') <= 0 then
    redis.call('HSET', KEYS[2], 'finishedAt', tostring(new.t))
    if redis.call('HEXISTS', KEYS[2], 'ttl') == 0 then finished = '1' end
  end
end
return {new.s, new.m or '', finished}
`;

export const RECORD = `
${FIRST_CHARS}
${RECORD_STEPS}`;

/**
 * RECORD of a 'sent' outcome and the message-id index in one call (a single Redis only: KEYS[5],
 * KEYS[6] are the message's index and early-callback keys, in the message's own slot, not the
 * campaign's; on a cluster the two stay two calls). KEYS[1..4], ARGV[1..2] as RECORD; ARGV[3] = the
 * index value ("<campaignId>\n<to>"), ARGV[4] = its TTL in seconds. Unless the campaign is archived
 * (the answer is RECORD's {'archived', '', ''}: nothing written, as RECORD), writes the index like
 * message-index.ts's WRITE_INDEX and answers RECORD's three values and the callbacks that waited
 * for this message_id (a list). One script: no callback falls between the two writes, and no
 * reader sees the one without the other.
 */
export const RECORD_SENT = `
${FIRST_CHARS}
local function record()
${RECORD_STEPS}end
local out = record()
if out[1] == 'archived' then return out end
redis.call('SET', KEYS[5], ARGV[3], 'EX', ARGV[4])
return {out[1], out[2], out[3] or '', redis.call('LRANGE', KEYS[6], 0, -1)}
`;

/**
 * Back to pending for a retry (KEYS[4] = control state: refused while the campaign is being
 * archived). ARGV[1] = now, ARGV[2] = comma-separated codes to retry ('' = any),
 * ARGV[3..] = numbers. Only failed entries move; returns the numbers that did.
 */
export const RESET_FAILED = `
if redis.call('HEXISTS', KEYS[4], 'archiving') == 1 then return redis.error_reply('ARCHIVING the campaign is being archived; retry in a minute') end
local codes = {}
local any = ARGV[2] == ''
for c in string.gmatch(ARGV[2], '[^,]+') do codes[c] = true end
local moved = {}
for i = 3, #ARGV do
  local raw = redis.call('HGET', KEYS[1], ARGV[i])
  if raw then
    local e = cjson.decode(raw)
    if e.s == 'failed' and (any or (e.c and codes[e.c])) then
      local attempts = e.a or 0
      redis.call('HSET', KEYS[1], ARGV[i], cjson.encode({s = 'pending', a = attempts, t = tonumber(ARGV[1]), c = e.c, r = 'retrying after ' .. (e.c or 'failure'), x = e.x}))
      redis.call('HINCRBY', KEYS[2], 'failed', -1)
      if e.c and redis.call('HINCRBY', KEYS[2], 'code:' .. e.c, -1) <= 0 then redis.call('HDEL', KEYS[2], 'reason:' .. e.c) end
      redis.call('HINCRBY', KEYS[2], 'pending', 1)
      moved[#moved + 1] = ARGV[i]
    end
  end
end
if #moved > 0 then redis.call('HDEL', KEYS[2], 'finishedAt') end
if #moved > 0 and redis.call('HEXISTS', KEYS[2], 'ttl') == 1 then
  for k = 1, 3 do redis.call('PERSIST', KEYS[k]) end
end
return moved
`;

/**
 * A delivery callback for a recipient whose send is recorded. ARGV[1] = to, ARGV[2] = new status
 * (delivered | read | failed-after-send), ARGV[3] = error code, ARGV[4] = error text, ARGV[5] = time (ms).
 * Moves only forward: sent < delivered = failed-after-send < read (the first of delivered and
 * failed wins; read is proof of delivery and beats both). An entry without a message_id (never
 * accepted by Kaleyra) is not touched. The delivery failure is kept in dc/dr beside the send's own
 * code, and its counter 'fas:<code>' moves with it (the entry is decoded and re-encoded whole, so
 * its refs x stay). Returns {status after, 1 if changed}.
 * KEYS[3] = control state, KEYS[4] = the campaign's deferred callbacks: while the archiver copies
 * the campaign (state has 'archiving'), the callback waits in that list (ARGV[6] = its JSON) and
 * the answer is {'deferred', 0}; the archiver applies the list to the archive once it is done.
 */
export const DELIVER = `
local rank = {pending = 0, failed = 1, cancelled = 1, sent = 2, ['failed-after-send'] = 3, delivered = 3, read = 4}
if redis.call('HEXISTS', KEYS[3], 'archiving') == 1 then
  redis.call('RPUSH', KEYS[4], ARGV[6])
  return {'deferred', 0}
end
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {'missing', 0} end
local e = cjson.decode(raw)
local new = ARGV[2]
if not e.m or rank[new] <= (rank[e.s] or 0) then return {e.s, 0} end
local old = e.s
redis.call('HINCRBY', KEYS[2], old, -1)
redis.call('HINCRBY', KEYS[2], new, 1)
if old == 'failed-after-send' and e.dc then redis.call('HINCRBY', KEYS[2], 'fas:' .. e.dc, -1) end
e.s = new
e.t = tonumber(ARGV[5])
if new == 'failed-after-send' then
  e.dc = ARGV[3] ~= '' and ARGV[3] or 'FAILED'
  e.dr = ARGV[4] ~= '' and ARGV[4] or nil
  redis.call('HINCRBY', KEYS[2], 'fas:' .. e.dc, 1)
else
  e.dc = nil
  e.dr = nil
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(e))
return {new, 1}
`;

/**
 * An operator cancelled the campaign. ARGV[1] = now, ARGV[2..] = numbers. Only pending entries move
 * (to cancelled, keeping attempts and the last code); a sent, failed or already cancelled entry is
 * left as it is. Returns how many moved.
 */
export const CANCEL_PENDING = `
local moved = 0
for i = 2, #ARGV do
  local raw = redis.call('HGET', KEYS[1], ARGV[i])
  if raw then
    local e = cjson.decode(raw)
    if e.s == 'pending' then
      redis.call('HSET', KEYS[1], ARGV[i], cjson.encode({s = 'cancelled', a = e.a, c = e.c, r = 'cancelled by an operator', t = tonumber(ARGV[1]), x = e.x}))
      moved = moved + 1
    end
  end
end
if moved > 0 then
  redis.call('HINCRBY', KEYS[2], 'pending', -moved)
  redis.call('HINCRBY', KEYS[2], 'cancelled', moved)
  if tonumber(redis.call('HGET', KEYS[2], 'pending') or '0') <= 0 then redis.call('HSET', KEYS[2], 'finishedAt', ARGV[1]) end
  -- A cancelled single message ends here: it expires like one that ended sent or failed (KEYS[3] = meta).
${EXPIRE_WHEN_DONE}
end
return moved
`;
