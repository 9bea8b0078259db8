//! What the shared store keeps in Redis and says on its channels (SPEC §11).
//!
//! Keys, for a project P and a capacity C (`spot` or `on-demand`):
//!
//! | key | type | holds |
//! |---|---|---|
//! | `quota-tui:P:C:entries` | hash | one field per check (`metric/region`): `STAMP|JSON`, the entry's last change in ms since the epoch, then `{"check":..,"entry":..}` |
//! | `quota-tui:P:C:cycle` | string | the start of the last complete cycle, ms since the epoch (only ever moved forward) |
//! | `quota-tui:P:C:progress` | string | the warmer's progress, JSON ([`SharedProgress`]) |
//! | `quota-tui:P:warmer` | string | the warmer lease: its holder, JSON ([`super::lease::Holder`]) |
//!
//! Entries, the cycle and the progress expire [`entry_expiry`] after their last write, well
//! past the TTL, so stale values are still shown after a quiet weekend. Channels:
//! `quota-tui:P:events` (entries as they land, progress, warm-now answers, a released lease)
//! and `quota-tui:P:warm-now` (requests to the holder). Every message is JSON
//! ([`Message`]); a message over [`MAX_MESSAGE_BYTES`] or one that does not parse is dropped.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{Capacity, Check};
use crate::store::wire::SavedEntry;

/// Most bytes of a message or a hash value read from Redis.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// Most entries taken from one message or one hash.
pub const MAX_ENTRIES: usize = 2_000;

/// Most bytes of hash values read at one load, all entries together (38 real entries take
/// about 40 KB).
pub const MAX_HASH_BYTES: usize = 16 << 20;

/// Most bytes of a hash field's name worth reading (a real one is `T4/us-central1`-sized).
pub const MAX_FIELD_BYTES: usize = 256;

/// Read the entries hash (`KEYS[1]`) with a bound on what crosses the wire, where `HGETALL`
/// would send whatever is there: at most `ARGV[1]` values, each at most `ARGV[2]` bytes
/// (`HSTRLEN`, Redis 3.2+), `ARGV[3]` bytes in all, skipping fields whose names are over
/// `ARGV[4]` bytes ([`MAX_FIELD_BYTES`]). Returns the values (the field is inside each value's entry).
pub const READ_ENTRIES: &str = r"local fields = redis.call('HKEYS', KEYS[1])
local out, total = {}, 0
local most, each, all, name = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
for _, f in ipairs(fields) do
  if #out >= most then break end
  if #f <= name then
    local n = redis.call('HSTRLEN', KEYS[1], f)
    if n <= each and total + n <= all then
      total = total + n
      out[#out + 1] = redis.call('HGET', KEYS[1], f)
    end
  end
end
return out";

/// [`READ_ENTRIES`] over the hash `key` with this module's bounds ([`MAX_ENTRIES`] values of
/// at most [`MAX_MESSAGE_BYTES`], [`MAX_HASH_BYTES`] in all): a `Vec<Vec<u8>>` of values.
pub fn read_entries(key: &str) -> redis::Cmd {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(READ_ENTRIES)
        .arg(1)
        .arg(key)
        .arg(MAX_ENTRIES)
        .arg(MAX_MESSAGE_BYTES)
        .arg(MAX_HASH_BYTES)
        .arg(MAX_FIELD_BYTES);
    cmd
}

/// What a load reads, bounded on the wire: the entries ([`read_entries`]), then the cycle
/// start and the progress cut by `GETRANGE` (a planted giant value is cut, then fails to
/// parse; a missing key reads empty).
pub fn load_pipeline(keys: &Keys) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    pipe.add_command(read_entries(&keys.entries()))
        .getrange(keys.cycle(), 0, 63)
        .getrange(keys.progress(), 0, MAX_MESSAGE_BYTES as isize);
    pipe
}

/// How long shared entries outlive their last write: 7 days, or 10 TTLs if longer.
pub fn entry_expiry(ttl: Duration) -> Duration {
    (ttl * 10).max(Duration::from_secs(7 * 24 * 3600))
}

/// Put-if-newer for a batch of entries (an entry as old as the one in Redis is not written
/// again). `KEYS[1]` the hash, `KEYS[2]` the events channel;
/// `ARGV[1]` the expiry in ms, `ARGV[2]` the message to publish; then (field, stamp in ms,
/// value) triples. Returns how many were stored.
pub const PUT_NEWER: &str = r"local n = 0
for i = 3, #ARGV, 3 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  local keep = false
  if cur then
    local stamp = tonumber(string.match(cur, '^(%d+)|'))
    keep = stamp ~= nil and stamp >= tonumber(ARGV[i + 1])
  end
  if not keep then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
    n = n + 1
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
if n > 0 then redis.call('PUBLISH', KEYS[2], ARGV[2]) end
return n";

/// Set-if-newer for the cycle start: `KEYS[1]` the cycle key, `KEYS[2]` the events channel;
/// `ARGV[1]` the start in ms since the epoch, `ARGV[2]` the expiry in ms, `ARGV[3]` the
/// message to publish. A start not later than the one kept is ignored (0), so an instance
/// writing back after an outage never moves the shared cycle back.
pub const SET_CYCLE: &str = r"local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PUBLISH', KEYS[2], ARGV[3])
return 1";

/// The Redis names of one project's shared cache at one capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    project: String,
    capacity: Capacity,
}

impl Keys {
    pub fn new(project: &str, capacity: Capacity) -> Self {
        Keys {
            project: project.to_string(),
            capacity,
        }
    }

    pub fn capacity(&self) -> Capacity {
        self.capacity
    }

    fn scoped(&self, what: &str) -> String {
        format!("quota-tui:{}:{}:{what}", self.project, self.capacity.word())
    }

    /// `quota-tui:P:C:entries`.
    pub fn entries(&self) -> String {
        self.scoped("entries")
    }

    /// `quota-tui:P:C:cycle`.
    pub fn cycle(&self) -> String {
        self.scoped("cycle")
    }

    /// `quota-tui:P:C:progress`.
    pub fn progress(&self) -> String {
        self.scoped("progress")
    }

    /// `quota-tui:P:warmer`: the lease (one warmer per project).
    pub fn lease(&self) -> String {
        format!("quota-tui:{}:warmer", self.project)
    }

    /// `quota-tui:P:events`.
    pub fn events(&self) -> String {
        format!("quota-tui:{}:events", self.project)
    }

    /// `quota-tui:P:warm-now`.
    pub fn warm_now(&self) -> String {
        format!("quota-tui:{}:warm-now", self.project)
    }
}

/// The hash field of a check: `metric name/region`.
pub fn field(check: &Check) -> String {
    format!("{}/{}", check.metric.name(), check.region)
}

/// A hash value: `STAMP|JSON`.
pub fn encode_value(saved: &SavedEntry, stamp: DateTime<Utc>) -> String {
    let json = serde_json::to_string(saved).expect("an entry serializes");
    format!("{}|{json}", stamp.timestamp_millis())
}

/// The entry of a hash value, unchecked (`None` when it does not parse or is too big).
pub fn decode_value(value: &[u8]) -> Option<SavedEntry> {
    if value.len() > MAX_MESSAGE_BYTES {
        return None;
    }
    let bar = value.iter().position(|&b| b == b'|')?;
    serde_json::from_slice(&value[bar + 1..]).ok()
}

/// The warmer's progress, as the holder publishes it for readers' status widgets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedProgress {
    /// The holder's cycle number (1 for its first).
    pub cycle: u64,
    /// When the cycle began.
    pub started: DateTime<Utc>,
    /// Checks of the cycle done (with a value or an error), failed, and in all.
    pub done: usize,
    pub failed: usize,
    pub total: usize,
    /// Every check of the cycle is done (SPEC §7: the cache is warm).
    pub complete: bool,
    /// A cycle completed before this one: the cache is warm while this one runs.
    #[serde(default)]
    pub ever_complete: bool,
}

impl SharedProgress {
    /// Most checks a cycle is believed to have (the default catalog has 38).
    pub const MAX_TOTAL: usize = 10_000;

    /// The progress made consistent after it came from another instance: `total` at most
    /// [`Self::MAX_TOTAL`], `done` and `failed` at most `total`.
    pub fn checked(mut self) -> Self {
        self.total = self.total.min(Self::MAX_TOTAL);
        self.done = self.done.min(self.total);
        self.failed = self.failed.min(self.total);
        self
    }
}

/// The holder's answer to a warm-now request (SPEC §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum WarmNowAnswer {
    /// A new cycle started.
    Started,
    /// A cycle is running: `done` of `total` checks so far.
    AlreadyRunning { done: usize, total: usize },
}

/// A message on the events or warm-now channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    /// Entries of the `capacity` cache that just landed.
    Entries {
        capacity: Capacity,
        entries: Vec<SavedEntry>,
    },
    /// The warmer's progress on the `capacity` cache.
    Progress {
        capacity: Capacity,
        progress: SharedProgress,
    },
    /// A cycle of the `capacity` cache that began at `started` is complete.
    CycleComplete {
        capacity: Capacity,
        started: DateTime<Utc>,
    },
    /// Warm now, please (to the holder, on the warm-now channel); `id` names the request.
    WarmNow { id: String },
    /// The holder's answer to request `id`.
    WarmNowAnswered {
        id: String,
        #[serde(flatten)]
        answer: WarmNowAnswer,
    },
    /// The lease was released: whoever wants it may take it now.
    LeaseReleased,
}

impl Message {
    /// JSON text of the message.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("a message serializes")
    }

    /// The message in `payload`, `None` when it is too big or not one.
    pub fn decode(payload: &[u8]) -> Option<Message> {
        if payload.len() > MAX_MESSAGE_BYTES {
            return None;
        }
        serde_json::from_slice(payload).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{GpuType, Limit};
    use crate::store::{Entry, GoodValue};

    #[test]
    fn keys_channels_and_values() {
        let k = Keys::new("my-project", Capacity::OnDemand);
        assert_eq!(k.entries(), "quota-tui:my-project:on-demand:entries");
        assert_eq!(k.cycle(), "quota-tui:my-project:on-demand:cycle");
        assert_eq!(k.lease(), "quota-tui:my-project:warmer");
        assert_eq!(k.events(), "quota-tui:my-project:events");
        let check = Check::gpu(GpuType::T4, Capacity::Spot, "us-central1");
        assert_eq!(
            field(&check),
            "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus/us-central1"
        );
        let at = Utc::now();
        let saved = SavedEntry {
            check,
            entry: Entry {
                good: Some(GoodValue {
                    // The usage travels too (issue 13).
                    usage: Some(crate::store::Usage {
                        in_use: 3,
                        fetched_at: at,
                        latency: Duration::from_millis(7),
                    }),
                    ..GoodValue::new(Limit::Unlimited, at, Duration::from_millis(5))
                }),
                last_error: None,
            },
        };
        let value = encode_value(&saved, at);
        assert!(value.starts_with(&format!("{}|{{", at.timestamp_millis())));
        assert_eq!(decode_value(value.as_bytes()), Some(saved));
        assert_eq!(decode_value(b"12|not json"), None);
        assert_eq!(decode_value(b"no bar"), None);
        let wild = SharedProgress {
            cycle: 1,
            started: at,
            done: usize::MAX,
            failed: 7,
            total: usize::MAX,
            complete: true,
            ever_complete: true,
        }
        .checked();
        assert_eq!((wild.done, wild.total, wild.failed), (10_000, 10_000, 7));
        assert_eq!(
            entry_expiry(Duration::from_secs(1800)).as_secs(),
            7 * 24 * 3600
        );
    }

    #[test]
    fn messages_round_trip_and_junk_is_dropped() {
        let m = Message::WarmNowAnswered {
            id: "h:1:2".into(),
            answer: WarmNowAnswer::AlreadyRunning {
                done: 15,
                total: 38,
            },
        };
        let text = m.encode();
        assert!(text.contains("\"type\":\"warm_now_answered\""), "{text}");
        assert_eq!(Message::decode(text.as_bytes()), Some(m));
        assert_eq!(Message::decode(b"{\"type\":\"nope\"}"), None);
        assert_eq!(Message::decode(&vec![b' '; MAX_MESSAGE_BYTES + 1]), None);
    }
}
