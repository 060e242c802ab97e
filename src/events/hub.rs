//! The one `LISTEN` connection of a process, and the wake-ups it hands to open streams.
//!
//! A notification carries `<brand id>:<seq>` and nothing else; the hub forwards it to every
//! subscribed stream as a [`Wake`], and each stream decides whether it concerns its brand and
//! then reads through its own tenant transaction. A wake-up is only a hint: a lost one (a lagging
//! subscriber, a reconnect) costs latency, never an event, because streams read by number.
//! After (re)connecting, the hub wakes every stream, which catches up anything it missed.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures::StreamExt as _;
use tokio::sync::{broadcast, mpsc};
use tokio_postgres::{AsyncMessage, NoTls};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::CHANNEL;
use crate::config::DbTarget;

/// What a stream is woken up for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// An event of this brand committed with this number.
    Event { tenant: Uuid, seq: i64 },
    /// Anything may have happened (the hub reconnected): every stream reads again.
    All,
}

/// Wake-ups in flight per subscriber before it lags (a lagging stream simply reads again).
const WAKE_CAPACITY: usize = 1024;

/// The hub. Cheap to clone; the listener starts with the first subscriber.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    target: DbTarget,
    connect_timeout: Duration,
    wakes: broadcast::Sender<Wake>,
    started: AtomicBool,
    stop: CancellationToken,
}

impl Hub {
    /// A hub that listens as `target` (the API role) once a stream subscribes.
    pub fn new(target: DbTarget, connect_timeout: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                target,
                connect_timeout,
                wakes: broadcast::channel(WAKE_CAPACITY).0,
                started: AtomicBool::new(false),
                stop: CancellationToken::new(),
            }),
        }
    }

    /// Wake-ups from now on; starts the listener on first use.
    pub fn subscribe(&self) -> broadcast::Receiver<Wake> {
        let receiver = self.inner.wakes.subscribe();
        if !self.inner.started.swap(true, Ordering::AcqRel) {
            tokio::spawn(listen(self.inner.clone()));
        }
        receiver
    }

    /// Fired at shutdown: the listener stops and every open stream ends.
    pub fn stopping(&self) -> CancellationToken {
        self.inner.stop.clone()
    }

    /// Ends the listener and every open stream (called when the server shuts down, so the
    /// graceful shutdown is not held up by streams that never end by themselves).
    pub fn shutdown(&self) {
        self.inner.stop.cancel();
    }

    /// How many streams are subscribed (figures and tests).
    pub fn subscribers(&self) -> usize {
        self.inner.wakes.receiver_count()
    }
}

/// Parses `<brand id>:<seq>`.
fn parse(payload: &str) -> Option<Wake> {
    let (tenant, seq) = payload.split_once(':')?;
    Some(Wake::Event {
        tenant: tenant.parse().ok()?,
        seq: seq.parse().ok()?,
    })
}

/// Listens until shutdown, reconnecting after a pause when the connection fails.
async fn listen(inner: Arc<Inner>) {
    let mut pause = Duration::from_millis(100);
    while !inner.stop.is_cancelled() {
        match listen_once(&inner).await {
            Ok(()) => return,
            Err(e) => tracing::warn!(error = %e, "event listener connection lost; reconnecting"),
        }
        tokio::select! {
            () = inner.stop.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

/// One connection's life: LISTEN, wake everyone (they may have missed events), forward.
/// `Ok` on shutdown, `Err` when the connection failed.
async fn listen_once(inner: &Inner) -> Result<(), tokio_postgres::Error> {
    let mut config = inner.target.pg_config();
    config.connect_timeout(inner.connect_timeout);
    config.application_name("brandhouse-events");
    let (client, mut connection) = config.connect(NoTls).await?;
    let (notes, mut received) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if notes.send(n.payload().to_owned()).is_err() {
                        return Ok(());
                    }
                }
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    });
    client.batch_execute(&format!("listen {CHANNEL}")).await?;
    let _ = inner.wakes.send(Wake::All);
    loop {
        tokio::select! {
            () = inner.stop.cancelled() => {
                driver.abort();
                return Ok(());
            }
            note = received.recv() => match note {
                Some(payload) => {
                    if let Some(wake) = parse(&payload) {
                        // No subscriber is not an error: nobody is watching.
                        let _ = inner.wakes.send(wake);
                    }
                }
                None => break,
            },
        }
    }
    match driver.await {
        Ok(Err(e)) => Err(e),
        // The connection ended without an error (the server closed it): reconnect as well.
        _ => client.batch_execute("select 1").await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_carry_a_brand_id_and_a_number() {
        let id = Uuid::from_u128(7);
        assert_eq!(
            parse(&format!("{id}:42")),
            Some(Wake::Event {
                tenant: id,
                seq: 42
            })
        );
        assert_eq!(parse("42"), None);
        assert_eq!(parse("x:1"), None);
    }
}
