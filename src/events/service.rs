//! Reading events back: the polling list, the live streams of a brand and of the company,
//! and stream tickets.
//!
//! A stream is a producer task and a bounded channel. The producer reads the brand's events
//! after its cursor through its own tenant transaction (RLS decides), queues them, and sleeps
//! until the [`Hub`] wakes it (or a safety poll). The channel holds at most `buffer` events;
//! a client that does not take the next event within `send_timeout` is disconnected, so a
//! slow reader never grows the server's memory. The producer ends when the client goes away,
//! when the server shuts down, or on a database error (the client reconnects with
//! Last-Event-ID and loses nothing).

use std::time::Duration;

use futures::Stream;
use tokio::sync::{broadcast::error::RecvError, mpsc};

use super::{Event, EventType, hub::Hub, hub::Wake, repo};
use crate::{
    analytics::Analytics,
    db::{Db, DbError},
    scope::TenantScope,
};

/// The channel's receiving end as a stream.
fn receiver_stream<T: Send + 'static>(
    events: mpsc::Receiver<T>,
) -> impl Stream<Item = T> + Send + 'static {
    futures::stream::unfold(events, |mut events| async move {
        events.recv().await.map(|e| (e, events))
    })
}

/// How streams behave (`EVENTS_*` settings).
#[derive(Debug, Clone, Copy)]
pub struct StreamSettings {
    /// Events queued per connection before the client must catch up.
    pub buffer: usize,
    /// How long the next event may wait for room in the buffer before the client is dropped.
    pub send_timeout: Duration,
    /// Comment lines sent on idle streams, so proxies and clients know the stream is alive.
    pub heartbeat: Duration,
    /// A stream reads again after this long without a wake-up (a safety net: notifications
    /// are hints, the numbers are the truth).
    pub poll: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            buffer: 256,
            send_timeout: Duration::from_secs(10),
            heartbeat: Duration::from_secs(15),
            poll: Duration::from_secs(30),
        }
    }
}

/// At most this many events per read.
const BATCH: i64 = 200;

/// Who reads a brand's events: the types their role receives, and whether customer personal
/// data stays in.
#[derive(Debug, Clone)]
pub struct Reader {
    pub types: Vec<EventType>,
    pub with_pii: bool,
}

/// The brand's events after `after`, at most `limit`, for polling clients.
pub async fn list(
    db: &Db,
    scope: &TenantScope,
    reader: &Reader,
    after: i64,
    limit: i64,
) -> Result<Vec<Event>, DbError> {
    let tenant = scope.tenant_id();
    db.tenant_tx(scope, async |tx| {
        repo::after(tx, tenant, after, &reader.types, reader.with_pii, limit).await
    })
    .await
}

/// Where a stream resumes: after the given number, or after the brand's last event.
async fn start(db: &Db, scope: &TenantScope, after: Option<i64>) -> Result<i64, DbError> {
    match after {
        Some(n) => Ok(n),
        None => {
            let tenant = scope.tenant_id();
            db.tenant_tx(scope, async |tx| repo::last_seq(tx, tenant).await)
                .await
        }
    }
}

/// Why a producer stopped queueing.
enum Stop {
    /// The client went away, was too slow, or the server is shutting down.
    Done,
}

/// Queues `events`, waiting up to `send_timeout` for room for each.
async fn queue<T>(
    out: &mpsc::Sender<T>,
    events: Vec<T>,
    settings: &StreamSettings,
) -> Result<(), Stop> {
    for event in events {
        match out.send_timeout(event, settings.send_timeout).await {
            Ok(()) => {}
            Err(mpsc::error::SendTimeoutError::Timeout(_)) => {
                tracing::info!("event stream client too slow; disconnected");
                return Err(Stop::Done);
            }
            Err(mpsc::error::SendTimeoutError::Closed(_)) => return Err(Stop::Done),
        }
    }
    Ok(())
}

/// Waits until a wake-up concerns `tenant` (any brand when `None`), the safety poll, or the
/// end. `Err` when the stream should end.
async fn wait<T>(
    wakes: &mut tokio::sync::broadcast::Receiver<Wake>,
    tenant: Option<uuid::Uuid>,
    out: &mpsc::Sender<T>,
    hub: &Hub,
    poll: Duration,
) -> Result<(), Stop> {
    let stopping = hub.stopping();
    let deadline = tokio::time::sleep(poll);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            () = out.closed() => return Err(Stop::Done),
            () = stopping.cancelled() => return Err(Stop::Done),
            () = &mut deadline => return Ok(()),
            wake = wakes.recv() => match wake {
                Ok(Wake::Event { tenant: t, .. }) if tenant.is_none_or(|mine| mine == t) => {
                    return Ok(());
                }
                Ok(Wake::Event { .. }) => {}
                Ok(Wake::All) | Err(RecvError::Lagged(_)) => return Ok(()),
                Err(RecvError::Closed) => return Err(Stop::Done),
            },
        }
    }
}

/// A live stream of the brand's events after `after` (or from now), as `reader` may see them.
pub async fn brand_stream(
    db: Db,
    hub: Hub,
    settings: StreamSettings,
    scope: TenantScope,
    reader: Reader,
    after: Option<i64>,
) -> Result<impl Stream<Item = Event> + Send + 'static, DbError> {
    // Subscribe before the first read: a wake-up between the read and the wait is not lost.
    let mut wakes = hub.subscribe();
    let mut cursor = start(&db, &scope, after).await?;
    let (out, events) = mpsc::channel(settings.buffer.max(1));
    let tenant = scope.tenant_id();
    tokio::spawn(async move {
        loop {
            loop {
                let batch = match db
                    .tenant_tx(&scope, async |tx| {
                        repo::after(tx, tenant, cursor, &reader.types, reader.with_pii, BATCH).await
                    })
                    .await
                {
                    Ok(batch) => batch,
                    Err(e) => {
                        tracing::warn!(error = %e, "event stream read failed; stream closed");
                        return;
                    }
                };
                let full = batch.len() as i64 == BATCH;
                if let Some(last) = batch.last() {
                    cursor = last.seq;
                }
                if queue(&out, batch, &settings).await.is_err() {
                    return;
                }
                if !full {
                    break;
                }
            }
            if wait(&mut wakes, Some(tenant), &out, &hub, settings.poll)
                .await
                .is_err()
            {
                return;
            }
        }
    });
    Ok(receiver_stream(events))
}

/// The company stream's cursor as sent in each event's id: `<slug>.<seq>` per brand, comma
/// separated (every brand's last number delivered).
pub type CompanyCursor = std::collections::BTreeMap<String, i64>;

/// Renders a company cursor.
pub fn company_cursor_text(cursor: &CompanyCursor) -> String {
    cursor
        .iter()
        .map(|(slug, seq)| format!("{slug}.{seq}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses a company cursor; `None` when it is not one.
pub fn parse_company_cursor(text: &str) -> Option<CompanyCursor> {
    let text = text.trim();
    if text.is_empty() {
        return Some(CompanyCursor::new());
    }
    text.split(',')
        .map(|part| {
            let (slug, seq) = part.trim().rsplit_once('.')?;
            let seq: i64 = seq.parse().ok().filter(|n| *n >= 0)?;
            (!slug.is_empty() && slug.len() <= 100).then(|| (slug.to_owned(), seq))
        })
        .collect()
}

/// The owner's live stream of every brand's events after `after` (or from now), each with the
/// company cursor that resumes after it, read through the analytics role. The caller checks
/// the owner role first.
pub async fn company_stream(
    analytics: Analytics,
    hub: Hub,
    settings: StreamSettings,
    after: Option<CompanyCursor>,
) -> Result<impl Stream<Item = (Event, String)> + Send + 'static, DbError> {
    let mut wakes = hub.subscribe();
    let mut cursor = match after {
        Some(c) => c,
        None => analytics
            .company_events_start()
            .await?
            .into_iter()
            .collect(),
    };
    let (out, events) = mpsc::channel(settings.buffer.max(1));
    tokio::spawn(async move {
        loop {
            loop {
                let pairs: Vec<(String, i64)> =
                    cursor.iter().map(|(s, n)| (s.clone(), *n)).collect();
                let batch = match analytics.company_events(&pairs, BATCH).await {
                    Ok(batch) => batch,
                    Err(e) => {
                        tracing::warn!(error = %e, "company stream read failed; stream closed");
                        return;
                    }
                };
                let full = batch.len() as i64 == BATCH;
                let labelled: Vec<(Event, String)> = batch
                    .into_iter()
                    .map(|e| {
                        cursor.insert(e.brand.clone(), e.seq);
                        let text = company_cursor_text(&cursor);
                        (e, text)
                    })
                    .collect();
                if queue(&out, labelled, &settings).await.is_err() {
                    return;
                }
                if !full {
                    break;
                }
            }
            if wait(&mut wakes, None, &out, &hub, settings.poll)
                .await
                .is_err()
            {
                return;
            }
        }
    });
    Ok(receiver_stream(events))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_cursors_round_trip_and_refuse_garbage() {
        let mut c = CompanyCursor::new();
        c.insert("fiber-x".into(), 25);
        c.insert("suzume".into(), 3);
        let text = company_cursor_text(&c);
        assert_eq!(text, "fiber-x.25,suzume.3");
        assert_eq!(parse_company_cursor(&text), Some(c));
        assert_eq!(parse_company_cursor(""), Some(CompanyCursor::new()));
        assert_eq!(parse_company_cursor("fiber-x"), None);
        assert_eq!(parse_company_cursor("fiber-x.-1"), None);
        assert_eq!(parse_company_cursor(".4"), None);
    }
}
