//! The storage contract every backend keeps — in memory, redb, and PostgreSQL — and what the
//! PostgreSQL backend adds for replicas: expectations that hold between two servers, and the
//! change feed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use podpass_server::storage::{
    Backend, ChangeSink, ChangedKey, KeyState, MemoryBackend, PostgresBackend, PostgresSettings,
    RedbBackend, StorageError, WriteOp,
};

use crate::support::postgres::TestDatabase;

/// A `Put` op.
fn put(key: &str, value: &[u8]) -> WriteOp {
    WriteOp::Put {
        key: key.to_owned(),
        value: value.to_vec(),
    }
}

fn delete(key: &str) -> WriteOp {
    WriteOp::Delete {
        key: key.to_owned(),
    }
}

/// Values round-trip; listing is by prefix, sorted; deletes remove.
fn round_trips_and_lists_by_prefix_in_order(backend: &dyn Backend) {
    backend
        .write(vec![
            put("sys/policy/b", b"2"),
            put("sys/policy/a", b"1"),
            put("sys/policyz", b"3"),
            put("auth/token/x", b"4"),
        ])
        .unwrap();
    assert_eq!(backend.get("sys/policy/b").unwrap(), Some(b"2".to_vec()));
    assert_eq!(backend.get("missing").unwrap(), None);
    assert_eq!(
        backend.list("sys/policy/").unwrap(),
        vec!["sys/policy/a".to_owned(), "sys/policy/b".to_owned()]
    );
    assert_eq!(
        backend.list("").unwrap(),
        vec![
            "auth/token/x",
            "sys/policy/a",
            "sys/policy/b",
            "sys/policyz"
        ]
    );
    assert!(backend.list("zzz").unwrap().is_empty());
    backend.write(vec![delete("sys/policy/a")]).unwrap();
    assert_eq!(backend.get("sys/policy/a").unwrap(), None);
    assert_eq!(backend.list("sys/policy/").unwrap(), vec!["sys/policy/b"]);
}

/// A write whose expectation fails changes nothing and says which key conflicted.
fn expectations_guard_writes(backend: &dyn Backend) {
    backend
        .write(vec![expect("lock", None), put("lock", b"one")])
        .unwrap();
    let refused = backend
        .write(vec![
            expect("lock", None),
            put("lock", b"two"),
            put("other", b"x"),
        ])
        .unwrap_err();
    assert!(
        matches!(&refused, StorageError::Conflict { key } if key == "lock"),
        "{refused:?}"
    );
    assert_eq!(backend.get("lock").unwrap(), Some(b"one".to_vec()));
    assert_eq!(backend.get("other").unwrap(), None);
    let stale = backend.write(vec![expect("lock", Some(b"zero")), delete("lock")]);
    assert!(stale.unwrap_err().is_conflict());
    backend
        .write(vec![expect("lock", Some(b"one")), put("lock", b"three")])
        .unwrap();
    assert_eq!(backend.get("lock").unwrap(), Some(b"three".to_vec()));
}

/// The ops of one write apply in their order.
fn applies_ops_in_order(backend: &dyn Backend) {
    backend
        .write(vec![
            put("k", b"first"),
            delete("k"),
            put("k", b"second"),
            put("gone", b"x"),
            delete("gone"),
        ])
        .unwrap();
    assert_eq!(backend.get("k").unwrap(), Some(b"second".to_vec()));
    assert_eq!(backend.get("gone").unwrap(), None);
}

fn expect(key: &str, value: Option<&[u8]>) -> WriteOp {
    WriteOp::Expect {
        key: key.to_owned(),
        value: value.map(<[u8]>::to_vec),
    }
}

/// Every contract check against `backend`.
fn keeps_the_contract(backend: &dyn Backend) {
    round_trips_and_lists_by_prefix_in_order(backend);
    applies_ops_in_order(backend);
    expectations_guard_writes(backend);
}

#[test]
fn the_memory_backend_keeps_the_contract() {
    keeps_the_contract(&MemoryBackend::new());
}

#[test]
fn the_redb_backend_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    keeps_the_contract(&RedbBackend::open(&dir.path().join("podpass.redb")).unwrap());
}

fn postgres(database: &TestDatabase) -> PostgresBackend {
    PostgresBackend::connect(&PostgresSettings {
        connection_url: database.url(),
        max_connections: 4,
    })
    .unwrap()
}

#[test]
fn the_postgres_backend_keeps_the_contract() {
    let database = TestDatabase::start("contract");
    let backend = postgres(&database);
    keeps_the_contract(&backend);
    // Keys with the characters a prefix range must get right.
    backend
        .write(vec![
            put("kv/a/\u{10FFFF}", b"1"),
            put("kv/a/ü", b"2"),
            put("kv/a0", b"3"),
            put("kv/a/%", b"4"),
        ])
        .unwrap();
    assert_eq!(
        backend.list("kv/a/").unwrap(),
        vec!["kv/a/%", "kv/a/ü", "kv/a/\u{10FFFF}"]
    );
    // A second connection to the same database sees the same store (a second replica).
    assert_eq!(
        postgres(&database).get("kv/a0").unwrap(),
        Some(b"3".to_vec())
    );
}

#[test]
fn expectations_hold_between_two_servers_on_one_database() {
    const WRITERS: usize = 8;
    const INCREMENTS: usize = 25;
    let database = TestDatabase::start("expectations");
    let servers = [Arc::new(postgres(&database)), Arc::new(postgres(&database))];
    let conflicts = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let backend = Arc::clone(&servers[writer % 2]);
            let conflicts = Arc::clone(&conflicts);
            std::thread::spawn(move || {
                for _ in 0..INCREMENTS {
                    loop {
                        let current = backend.get("counter").unwrap();
                        let next = current
                            .as_deref()
                            .map_or(0, |v| String::from_utf8_lossy(v).parse::<usize>().unwrap())
                            + 1;
                        let written = backend.write(vec![
                            expect("counter", current.as_deref()),
                            put("counter", next.to_string().as_bytes()),
                        ]);
                        match written {
                            Ok(()) => break,
                            Err(error) if error.is_conflict() => {
                                conflicts.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(error) => panic!("{error}"),
                        }
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let total = String::from_utf8(servers[0].get("counter").unwrap().unwrap()).unwrap();
    assert_eq!(
        total,
        (WRITERS * INCREMENTS).to_string(),
        "no increment lost"
    );
    assert!(
        conflicts.load(Ordering::Relaxed) > 0,
        "the writers never raced"
    );
}

/// What a change feed told, in order.
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<String>>,
}

impl ChangeSink for Recorder {
    fn changed(&self, changes: &[ChangedKey], own: bool) {
        let who = if own { "own" } else { "other" };
        let mut events = self.events.lock().unwrap();
        events.extend(changes.iter().map(|change| {
            let now = match &change.now {
                KeyState::Sealed(value) => format!("= {}", String::from_utf8_lossy(value)),
                KeyState::Deleted => "deleted".to_owned(),
                KeyState::Unsent => "unsent".to_owned(),
            };
            format!("{who} {} {now}", change.key)
        }));
    }

    fn resync(&self) {
        self.events.lock().unwrap().push("resync".into());
    }

    fn lost(&self) {
        self.events.lock().unwrap().push("lost".into());
    }
}

impl Recorder {
    fn wait_for(&self, event: &str) {
        let started = Instant::now();
        while !self.events.lock().unwrap().iter().any(|e| e == event) {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no {event:?} in {:?}",
                self.events.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

#[test]
fn the_change_feed_tells_every_server_and_resyncs_after_an_outage() {
    let database = TestDatabase::start("feed");
    let (a, b) = (postgres(&database), postgres(&database));
    let (heard_a, heard_b) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
    use podpass_server::storage::SharedBackend as _;
    a.watch(Arc::clone(&heard_a) as Arc<dyn ChangeSink>);
    b.watch(Arc::clone(&heard_b) as Arc<dyn ChangeSink>);
    heard_a.wait_for("resync");
    heard_b.wait_for("resync");

    a.write(vec![
        put("sys/policy/p", b"x"),
        WriteOp::Delete { key: "gone".into() },
    ])
    .unwrap();
    // The feed carries what the keys hold now (bytes as the backend got them: the Store seals).
    heard_b.wait_for("other sys/policy/p = x");
    heard_b.wait_for("other gone deleted");
    heard_a.wait_for("own sys/policy/p = x");
    // A refused write tells nobody.
    assert!(
        a.write(vec![expect("sys/policy/p", None), put("refused", b"1")])
            .is_err()
    );

    database.crash();
    heard_b.wait_for("lost");
    assert!(matches!(
        b.get("sys/policy/p"),
        Err(StorageError::Unavailable(_))
    ));
    database.resume();
    let resyncs = |heard: &Recorder| {
        heard
            .events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| *e == "resync")
            .count()
    };
    // Both feeds listen again before the write: a feed that reconnects after it (each backs off
    // on its own) learns of it by its reload, not by a notification.
    let started = Instant::now();
    while resyncs(&heard_a) < 2 || resyncs(&heard_b) < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no resync after the outage"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    b.write(vec![put("after", b"1")]).unwrap();
    heard_a.wait_for("other after = 1");
    assert!(
        !heard_b
            .events
            .lock()
            .unwrap()
            .iter()
            .any(|e| e.ends_with(" refused")),
        "a refused write was told"
    );
}
