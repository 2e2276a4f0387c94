/**
 * The store's multi-key steps as Lua scripts: Redis runs each one atomically, so no replica ever sees
 * half of a step, and a replica that dies between two steps leaves a state another can take over.
 */

/**
 * Freeze: the batch is recorded and its events leave the queue in one step, so an event is always in
 * exactly one place (queued or in a batch) whatever happens to the process.
 * KEYS: events hash, batches hash. ARGV: batch ref, batch payload, event ids…
 */
export const FREEZE_SCRIPT = `
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
for i = 3, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
return 1
`;

/**
 * Claim explicit idempotency keys for the dedupe window across every replica. A key already claimed
 * by the same event (a retry of this script, or an event adopted from a dead replica) stays its own.
 * KEYS: one key per event. ARGV: window ms, then one event id per key. Returns 1 (first) or 0 (duplicate) per key.
 */
export const CLAIM_KEYS_SCRIPT = `
local verdicts = {}
for i = 1, #KEYS do
  local id = ARGV[i + 1]
  if redis.call('SET', KEYS[i], id, 'NX', 'PX', ARGV[1]) then
    verdicts[i] = 1
  elseif redis.call('GET', KEYS[i]) == id then
    verdicts[i] = 1
  else
    verdicts[i] = 0
  end
end
return verdicts
`;

/**
 * Adopt the work of every registered replica whose alive key has expired: its queued events and frozen
 * batches move to the adopter's hashes in one step, so exactly one replica adopts them.
 * KEYS: replicas set. ARGV: key tag, adopter id. Returns a flat list: kind ('e' or 'b'), ref, payload…
 */
export const ADOPT_SCRIPT = `
local adopted = {}
local mine_events = ARGV[1] .. ':events:' .. ARGV[2]
local mine_batches = ARGV[1] .. ':batches:' .. ARGV[2]
for _, replica in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if replica ~= ARGV[2] and redis.call('EXISTS', ARGV[1] .. ':alive:' .. replica) == 0 then
    local events_key = ARGV[1] .. ':events:' .. replica
    local batches_key = ARGV[1] .. ':batches:' .. replica
    local events = redis.call('HGETALL', events_key)
    for i = 1, #events, 2 do
      redis.call('HSET', mine_events, events[i], events[i + 1])
      table.insert(adopted, 'e'); table.insert(adopted, events[i]); table.insert(adopted, events[i + 1])
    end
    local batches = redis.call('HGETALL', batches_key)
    for i = 1, #batches, 2 do
      redis.call('HSET', mine_batches, batches[i], batches[i + 1])
      table.insert(adopted, 'b'); table.insert(adopted, batches[i]); table.insert(adopted, batches[i + 1])
    end
    redis.call('DEL', events_key, batches_key)
    redis.call('SREM', KEYS[1], replica)
  end
end
return adopted
`;
