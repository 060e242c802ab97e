//! Password hashing (argon2id, the crate's default parameters: 19 MiB, 2 passes) off the async
//! workers, so a login never stalls them. Verifications reuse their 19 MiB of argon2 memory
//! (`MEMORY`) instead of allocating it each time: the allocator kept freed blocks (a
//! 200-connection login flood grew the server to about 1 GB with 4 checks at once;
//! `bench/login.sh`), and reused buffers bound the memory by the checks that ever ran at once.
//!
//! The logins' checks (the ones anybody can ask for) run on the gate's own threads at the
//! lowest normal scheduling priority (nice 19): a login flood then takes only the CPU time that
//! requests, workers and PostgreSQL leave over, instead of a core that the storefront needed
//! (with one check thread at nice 0, the storefront's p99 under a 200-connection flood was 74 to
//! 113 ms against 47 to 52 ms alone on 2 cores). Under full load logins wait longer, and past
//! `LOGIN_HASH_WAIT_MS` get 429 with `Retry-After`: sign-in yields to trade, not the other way.
//!
//! Priority alone did not hold: PostgreSQL runs in its own scheduling group, so a check thread
//! still got a whole core during a flood whatever its nice value. So each thread also keeps a
//! CPU budget the scheduler cannot undo (`LOGIN_HASH_CPU_PERCENT`): after a check that used `t`
//! of CPU time (the thread's own clock) it rests `t * (100 - p) / p` before its turn is given
//! back, still holding it. The login that
//! was checked gets its answer before the rest (a single sign-in is as fast as before); a flood
//! gets at most `p` percent of a core per thread.

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{Output, SaltString, rand_core::OsRng},
};
use secrecy::{ExposeSecret, SecretString};
use std::sync::{Arc, Mutex, mpsc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

/// A bound on the password verifications logins run at once (each takes 19 MiB and a thread
/// for tens of milliseconds), and the low-priority threads that run them: one per permit.
/// Clones share the bound and the threads; the threads end when the last clone is dropped.
#[derive(Clone)]
pub struct HashGate {
    permits: Arc<Semaphore>,
    wait: std::time::Duration,
    threads: Checkers,
}

/// Work for the gate's threads.
type Work = Box<dyn FnOnce() + Send>;

/// The sending end of the gate's threads' queue. The queue never holds more than the permits
/// (a check is sent only within a turn), so it needs no bound of its own.
#[derive(Clone)]
struct Checkers {
    queue: mpsc::Sender<Work>,
    /// The share of a core each thread may spend on checks (1 to 100).
    cpu_percent: u32,
}

/// How long a check thread rests after working for `spent`, to use at most `cpu_percent` of a
/// core.
fn rest_after(spent: std::time::Duration, cpu_percent: u32) -> std::time::Duration {
    let percent = cpu_percent.clamp(1, 100);
    spent * (100 - percent) / percent
}

impl Checkers {
    fn spawn(threads: usize, cpu_percent: u32) -> Self {
        let (queue, work) = mpsc::channel::<Work>();
        let work = Arc::new(Mutex::new(work));
        for n in 0..threads {
            let work = work.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-check-{n}"))
                .spawn(move || {
                    if let Err(e) = thread_priority::set_current_thread_priority(
                        thread_priority::ThreadPriority::Min,
                    ) {
                        tracing::warn!(error = ?e, "password checks run at normal priority");
                    }
                    loop {
                        // The lock is held only while waiting for the next piece of work.
                        let next = match work.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match next {
                            Ok(work) => work(),
                            Err(mpsc::RecvError) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password-check thread");
            }
        }
        Self { queue, cpu_percent }
    }

    /// Runs `f` on one of the threads (or on the blocking pool if none could be started) within
    /// `turn`: the result goes back at once, then the thread rests for its CPU budget and only
    /// then gives the turn back.
    async fn run<T: Send + 'static>(
        &self,
        turn: Option<Turn>,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        let cpu_percent = self.cpu_percent;
        let work: Work = Box::new(move || {
            // The thread's own CPU time, not the wall clock: a check slowed down by other work
            // on the machine used no more CPU, and must not rest longer for it.
            let started = cpu_time::ThreadTime::try_now().ok();
            let _ = tx.send(f());
            let spent = started.map_or(std::time::Duration::ZERO, |t| t.elapsed());
            let rest = rest_after(spent, cpu_percent);
            if !rest.is_zero() {
                std::thread::sleep(rest);
            }
            drop(turn);
        });
        match self.queue.send(work) {
            Ok(()) => rx.await.ok(),
            // Every thread is gone (none could be spawned): run it anyway.
            Err(mpsc::SendError(work)) => {
                tokio::task::spawn_blocking(work).await.ok()?;
                rx.await.ok()
            }
        }
    }
}

/// A turn to verify one password (`HashGate::enter`). `verify_in_turn` moves it into the
/// check, so a request dropped while its password is checked (a client that hangs up) gives
/// the turn back only when the check ends: hangups cannot run more checks than permits.
pub struct Turn {
    /// Held, not read: the turn ends when it is dropped.
    _permit: OwnedSemaphorePermit,
    threads: Checkers,
}

impl HashGate {
    /// `permits` verifications at once, on as many low-priority threads that each spend at
    /// most `cpu_percent` of a core on them; a caller waits at most `wait` for one.
    pub fn new(permits: usize, wait: std::time::Duration, cpu_percent: u32) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(permits)),
            wait,
            threads: Checkers::spawn(permits, cpu_percent),
        }
    }

    /// A turn to verify a password, or `None` when every permit stayed busy for the wait.
    pub async fn enter(&self) -> Option<Turn> {
        // A free permit is taken at once: the timeout polls the acquisition before its clock.
        tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .ok()?
            .ok()
            .map(|permit| Turn {
                _permit: permit,
                threads: self.threads.clone(),
            })
    }
}

/// The shortest password accepted for a staff account.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Hashes a password into a PHC string.
pub async fn hash(password: SecretString) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await?
}

/// Verifies `password` against `phc` within a turn of the gate (logins, password changes).
/// With `phc = None` (no such account) it verifies against a fixed hash of the same cost and
/// returns false, so an unknown email costs the same time as a wrong password.
/// Runs on the gate's low-priority threads.
pub async fn verify_in_turn(turn: Turn, password: SecretString, phc: Option<String>) -> bool {
    let threads = turn.threads.clone();
    threads
        .run(Some(turn), move || check(password, phc))
        .await
        .unwrap_or(false)
}

/// Verifies `password` against `phc` outside the gate (the operator's seeding path).
pub async fn verify(password: SecretString, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || check(password, phc))
        .await
        .unwrap_or(false)
}

fn check(password: SecretString, phc: Option<String>) -> bool {
    let known = phc.is_some();
    let phc = phc.unwrap_or_else(|| DUMMY_HASH.to_owned());
    verify_blocking(password.expose_secret().as_bytes(), &phc) && known
}

/// argon2 memory for the default parameters, kept for the next verification.
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Blocks of argon2 memory a hash with the default parameters needs (m = 19 MiB, one lane).
const DEFAULT_BLOCKS: usize = Params::DEFAULT_M_COST as usize;

fn verify_blocking(password: &[u8], phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    if params.block_count() > DEFAULT_BLOCKS {
        // Costlier than the hashes brandhouse makes: the crate's own (allocating) path.
        return Argon2::default().verify_password(password, &parsed).is_ok();
    }
    let taken = MEMORY.lock().ok().and_then(|mut pool| pool.pop());
    let mut memory = taken.unwrap_or_else(|| vec![Block::default(); DEFAULT_BLOCKS]);
    let ok = verify_with_memory(password, &parsed, params, &mut memory);
    if let Ok(mut pool) = MEMORY.lock() {
        pool.push(memory);
    }
    ok
}

/// What `PasswordVerifier::verify_password` does, computing into `memory`; the outputs are
/// compared in constant time (`Output`'s equality).
fn verify_with_memory(
    password: &[u8],
    parsed: &PasswordHash<'_>,
    params: Params,
    memory: &mut [Block],
) -> bool {
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let Ok(version) = parsed
        .version
        .map_or(Ok(Version::default()), Version::try_from)
    else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = [0u8; 64];
    let Some(out) = out.get_mut(..expected.len()) else {
        return false;
    };
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, out, memory)
        .is_ok()
        && Output::new(out).is_ok_and(|computed| computed == expected)
}

/// The argon2id hash of 32 random bytes nobody kept, with the default parameters: what a
/// login for an unknown email is checked against. A constant, so nothing can fail at run time;
/// a unit test keeps its parameters equal to the ones new hashes get.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$+4oawEzloVbxaWX9THxbqw$YdwPwQg8UiQXoCZ8SfNtLAlYF0rcy9GY95oDh4UoUtU";

/// Problems with a new password, if any.
pub fn check_strength(password: &str) -> Option<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Some(format!("at least {MIN_PASSWORD_CHARS} characters"));
    }
    if password.len() > 1024 {
        return Some("at most 1024 bytes".to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let phc = hash("correct horse battery".to_owned().into())
            .await
            .unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".to_owned().into(), Some(phc.clone())).await);
        assert!(!verify("wrong horse battery".to_owned().into(), Some(phc)).await);
        assert!(!verify("anything at all".to_owned().into(), None).await);
    }

    /// The attack: send a login and hang up while its password is checked, again and again.
    /// The check runs on regardless (blocking work cannot be cancelled), so it keeps its turn
    /// until it ends: hangups never run more checks at once than the gate's permits.
    #[tokio::test]
    async fn a_check_whose_caller_hung_up_keeps_its_turn_until_it_ends() {
        let gate = HashGate::new(1, std::time::Duration::from_millis(1), 100);
        let turn = gate.enter().await.unwrap();
        let mut check = Box::pin(verify_in_turn(turn, "a guess".to_owned().into(), None));
        // One poll starts the blocking work; then the caller goes away.
        let started = tokio::time::timeout(std::time::Duration::ZERO, &mut check).await;
        assert!(
            started.is_err(),
            "the check cannot have finished in its first poll"
        );
        drop(check);
        assert!(
            gate.enter().await.is_none(),
            "the abandoned check still runs and holds the only turn"
        );
        let back = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            loop {
                if let Some(turn) = gate.enter().await {
                    return turn;
                }
            }
        })
        .await;
        assert!(back.is_ok(), "the turn comes back when the check ends");
    }

    /// The logins' checks run at the lowest normal priority (nice 19), so a flood of them only
    /// takes CPU time nothing else wants; and the result comes back through the queue.
    #[tokio::test]
    async fn checks_run_on_the_gates_own_threads_at_the_lowest_priority() {
        let gate = HashGate::new(2, std::time::Duration::from_secs(1), 100);
        let (name, nice) = gate
            .threads
            .run(None, || {
                let name = std::thread::current().name().map(str::to_owned);
                // Field 19 of /proc/thread-self/stat is the thread's nice value; the command
                // name (field 2) is in parentheses and has no spaces here.
                let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
                let nice: i32 = stat.split(' ').nth(18).unwrap().parse().unwrap();
                (name, nice)
            })
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("password-check-"));
        assert_eq!(nice, 19);
        let turn = gate.enter().await.unwrap();
        assert!(!verify_in_turn(turn, "a guess".to_owned().into(), None).await);
    }

    #[test]
    fn the_rest_after_a_check_keeps_its_thread_to_the_cpu_budget() {
        let ms = std::time::Duration::from_millis;
        assert_eq!(rest_after(ms(80), 50), ms(80));
        assert_eq!(rest_after(ms(80), 25), ms(240));
        assert_eq!(rest_after(ms(80), 100), ms(0));
        assert_eq!(rest_after(ms(80), 0), ms(7_920), "0 is read as 1 percent");
    }

    /// With half a core: the check's answer comes back at once, and the turn only after the
    /// thread rested as long as it computed, so a flood of checks can use half the core at most.
    /// Time spent sleeping is not computing: it earns no rest.
    #[tokio::test]
    async fn a_turn_comes_back_only_after_the_thread_rested_for_its_budget() {
        let ms = std::time::Duration::from_millis;
        let gate = HashGate::new(1, std::time::Duration::from_secs(30), 50);
        let turn = gate.enter().await.unwrap();
        let started = std::time::Instant::now();
        gate.threads
            .run(Some(turn), move || {
                let cpu = cpu_time::ThreadTime::now();
                let mut x = 0u64;
                while cpu.elapsed() < ms(200) {
                    x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(1));
                }
            })
            .await
            .unwrap();
        let answered = started.elapsed();
        let next = gate.enter().await.unwrap();
        let rested = started.elapsed() - answered;
        assert!(
            rested >= ms(150),
            "the next turn {rested:?} after the answer"
        );

        // A check that mostly waited (here: slept) rests for its CPU time only.
        let started = std::time::Instant::now();
        gate.threads
            .run(Some(next), move || std::thread::sleep(ms(300)))
            .await
            .unwrap();
        let answered = started.elapsed();
        let _last = gate.enter().await.unwrap();
        assert!(
            started.elapsed() - answered < ms(150),
            "sleeping is not computing"
        );
    }

    /// The reusing path answers as the crate's own verifier, for the right password, a wrong
    /// one, and a stored hash with other parameters (argon2i, fewer blocks, a longer output).
    #[test]
    fn verifying_in_reused_memory_agrees_with_the_crate() {
        let other = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(4096, 3, 1, Some(48)).unwrap(),
        );
        for argon in [Argon2::default(), other] {
            let salt = SaltString::generate(&mut OsRng);
            let phc = argon
                .hash_password(b"correct horse battery", &salt)
                .unwrap()
                .to_string();
            for attempt in ["correct horse battery", "wrong horse battery", ""] {
                let crate_says = Argon2::default()
                    .verify_password(attempt.as_bytes(), &PasswordHash::new(&phc).unwrap())
                    .is_ok();
                assert_eq!(verify_blocking(attempt.as_bytes(), &phc), crate_says);
                assert_eq!(crate_says, attempt == "correct horse battery");
            }
        }
        assert!(!verify_blocking(b"x", "not a phc string"));
        assert!(!MEMORY.lock().unwrap().is_empty(), "the memory was kept");
    }
    /// An unknown email must cost what a wrong password costs: the dummy hash parses and has
    /// the parameters (algorithm, version, memory, passes, lanes) new hashes get.
    #[tokio::test]
    async fn the_dummy_hash_costs_what_a_real_one_costs() {
        let real = hash("correct horse battery".to_owned().into())
            .await
            .unwrap();
        let real = PasswordHash::new(&real).unwrap();
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
    }
}
