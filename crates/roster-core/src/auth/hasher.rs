//! Password hashing with argon2id (OWASP: 19 MiB, 2 iterations, 1 lane), off the async threads
//! on a pool bounded to the number of cores, so a burst of sign-ins cannot starve the runtime
//! or exhaust memory.
//!
//! The pool is a fixed set of long-lived threads rather than tokio's blocking pool, and argon2's
//! 19 MiB of working memory is a block lent to each hash (argon2's `*_with_memory` calls) and
//! kept for the next one while hashes keep coming, then given back to the operating system once
//! the hasher has been idle for [`RELEASE_AFTER`]. Letting argon2 allocate per call kept freed
//! blocks in per-thread allocator arenas that were never returned (a 10 s login burst took the
//! process from 18 MB to ~259 MB and left it there); a fresh block per hash costs 60–80 % more
//! time (page faults and zeroing). So: peak = idle + threads × 19 MiB, and idle again when quiet.

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use roster_domain::password::{PasswordPolicy, PasswordProblem};
use tokio::sync::oneshot;

use crate::error::{CoreError, CoreResult};

const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

/// argon2 working memory, lent to one hash at a time.
type Memory = Vec<Block>;

/// After this long without a hash, the blocks kept for the next ones are freed.
pub const RELEASE_AFTER: Duration = Duration::from_secs(10);

/// Blocks are allocated with room for 33 MiB, of which 19 MiB are used (and so resident). glibc
/// serves an allocation over its largest dynamic mmap threshold (32 MiB on 64-bit, mallopt(3))
/// with its own mapping, and unmaps it on free, without raising the threshold: so a freed block
/// really leaves the process, instead of staying in an arena as a 19 MiB allocation would.
const BLOCKS_RESERVED: usize = 33 * 1024 * 1024 / Block::SIZE;
type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// Jobs waiting for a hashing thread; beyond this, callers wait (back-pressure) on an async
/// permit rather than piling up memory.
const QUEUE: usize = 1024;

#[derive(Clone)]
pub struct PasswordHasher {
    jobs: SyncSender<Job>,
    queue: Arc<tokio::sync::Semaphore>,
}

/// Verified when the email is unknown, so that "no such user" takes as long as "wrong password":
/// the hash of a random password nobody kept, with our parameters. A constant rather than a
/// hash made at start: no start-up work, and no 19 MiB block held by a process that has not
/// hashed anything yet. Its answer is thrown away (`verify` says `false` for it regardless).
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$q6nrBYf9RueXgXVcXRrhoQ$Ae3RLm9eySa4zCPbp1E/3bPZfv3EB9ZR3W6zhdAVJao";

#[allow(clippy::expect_used, reason = "constant OWASP parameters, within argon2's bounds (a test hashes with them)")]
fn params() -> Params {
    Params::new(MEMORY_KIB, ITERATIONS, LANES, None).expect("OWASP parameters are valid")
}

/// The PHC string of `password` with a fresh salt, computed in `memory`.
fn hash_in(memory: &mut Memory, password: &[u8]) -> Result<String, argon2::password_hash::Error> {
    let params = params();
    let salt =
        Salt::new(&argon2::password_hash::try_generate_salt().map_err(|_| argon2::password_hash::Error::Crypto)?)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let context = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    context.hash_password_into_with_memory(password, &salt, &mut out, blocks(memory, &params))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt),
        hash: Some(Output::new(&out)?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the argon2 PHC string `phc` (its own algorithm, version and
/// parameters), computed in `memory`. The comparison is constant-time (`Output`'s equality).
fn verify_in(memory: &mut Memory, password: &[u8], phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else { return false };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(parsed.algorithm.as_str()), Params::try_from(&parsed))
    else {
        return false;
    };
    let version = parsed.version.map_or(Ok(Version::V0x13), Version::try_from);
    let Ok(version) = version else { return false };
    let mut out = vec![0u8; expected.len()];
    let context = Argon2::new(algorithm, version, params.clone());
    if context.hash_password_into_with_memory(password, salt, &mut out, blocks(memory, &params)).is_err() {
        return false;
    }
    Output::new(&out).is_ok_and(|computed| &computed == expected)
}

/// The first `params.block_count()` blocks of `memory`, grown if a hash asks for more than the
/// thread has (hashes with other parameters, e.g. imported ones); never shrunk.
fn blocks<'m>(memory: &'m mut Memory, params: &Params) -> &'m mut [Block] {
    let needed = params.block_count();
    if memory.len() < needed {
        memory.reserve_exact(BLOCKS_RESERVED.max(needed) - memory.len());
        memory.resize(needed, Block::new());
    }
    &mut memory[..needed]
}

impl PasswordHasher {
    /// Start `threads` hashing threads. They end when the last clone of the hasher is dropped.
    pub fn new(threads: usize) -> Self {
        let (jobs, receiver) = sync_channel::<Job>(QUEUE);
        let shared = Arc::new(Shared { jobs: Mutex::new(receiver), spare: Mutex::new(Vec::new()) });
        for n in 0..threads.max(1) {
            let shared = Arc::clone(&shared);
            let spawned = std::thread::Builder::new().name(format!("roster-hash-{n}")).spawn(move || work(&shared));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password-hashing thread");
            }
        }
        Self { jobs, queue: Arc::new(tokio::sync::Semaphore::new(QUEUE)) }
    }

    async fn blocking<T: Send + 'static>(&self, work: impl FnOnce(&mut Memory) -> T + Send + 'static) -> CoreResult<T> {
        let closed = || CoreError::Internal("the password hasher has stopped".into());
        let _slot = self.queue.acquire().await.map_err(|_| closed())?;
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = done.send(work(memory));
        });
        // A slot is held, so the channel has room: this never blocks the async thread.
        self.jobs.try_send(job).map_err(|_| closed())?;
        result.await.map_err(|_| closed())
    }

    /// The PHC string of `password` (already NFKC-normalised by the caller).
    pub async fn hash(&self, password: String) -> CoreResult<String> {
        self.blocking(move |memory| hash_in(memory, password.as_bytes()))
            .await?
            .map_err(|e| CoreError::Internal(format!("argon2 hash: {e}")))
    }

    /// The problems `policy` finds with `password` (API.md §7). Run on these threads too: the
    /// strength estimate costs up to ~5 ms for a long password (bench `password_policy`), too
    /// long for an async thread, and a flood of sign-ups then queues here like hashes do.
    pub async fn check_policy(
        &self,
        policy: PasswordPolicy,
        password: String,
        email: Option<String>,
        name: Option<String>,
    ) -> CoreResult<Vec<PasswordProblem>> {
        self.blocking(move |_| policy.check(&password, email.as_deref(), name.as_deref())).await
    }

    /// Whether `password` matches `phc`. With `phc == None` (unknown user, or no password
    /// set), a dummy hash is verified instead and the answer is always `false`.
    pub async fn verify(&self, password: String, phc: Option<String>) -> CoreResult<bool> {
        let (phc, real) = match phc {
            Some(phc) => (phc, true),
            None => (DUMMY_HASH.to_owned(), false),
        };
        let ok = self.blocking(move |memory| verify_in(memory, password.as_bytes(), &phc)).await?;
        Ok(ok && real)
    }
}

/// What the hashing threads share: the queue of jobs, and the blocks not lent to a hash.
struct Shared {
    jobs: Mutex<Receiver<Job>>,
    spare: Mutex<Vec<Memory>>,
}

/// A hashing thread: run jobs until every sender is gone. A block is allocated at the first job
/// (a `roster worker` that never hashes never pays for it) and freed once no job came for
/// [`RELEASE_AFTER`].
fn work(shared: &Shared) {
    loop {
        let job = {
            let Ok(jobs) = shared.jobs.lock() else { return };
            match jobs.recv_timeout(RELEASE_AFTER) {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout) => {
                    // Every other thread is waiting for this lock or finishing a job: the spare
                    // blocks are idle ones.
                    if let Ok(mut spare) = shared.spare.lock() {
                        spare.clear();
                    }
                    match jobs.recv() {
                        Ok(job) => job,
                        Err(_) => return,
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        };
        let mut memory = shared.spare.lock().ok().and_then(|mut spare| spare.pop()).unwrap_or_default();
        job(&mut memory);
        if let Ok(mut spare) = shared.spare.lock() {
            spare.push(memory);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_with_the_right_password_only() {
        let mut memory = Memory::new();
        let phc = hash_in(&mut memory, b"correct horse battery staple").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_in(&mut memory, b"correct horse battery staple", &phc));
        assert!(!verify_in(&mut memory, b"correct horse battery stapler", &phc));
        assert!(!verify_in(&mut memory, b"x", "not a phc string"));
    }

    #[test]
    fn hashes_of_the_argon2_crate_verify_in_reused_memory() {
        use argon2::password_hash::PasswordHasher as _;
        // Other parameters than ours, as an imported hash would have.
        let other = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8192, 3, 1, None).unwrap());
        let phc = other.hash_password(b"imported password").unwrap().to_string();
        let mut memory = Memory::new();
        assert!(verify_in(&mut memory, b"imported password", &phc));
        assert!(!verify_in(&mut memory, b"imported passwore", &phc));
        // Our own, in the same (grown, never shrunk) memory.
        let ours = hash_in(&mut memory, b"ours").unwrap();
        assert!(verify_in(&mut memory, b"ours", &ours));
        assert_eq!(memory.len(), params().block_count());
        // Room past glibc's largest mmap threshold, so that freeing it unmaps it.
        assert!(memory.capacity() * Block::SIZE > 32 * 1024 * 1024);
    }

    #[test]
    fn the_dummy_hash_has_our_parameters() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(Params::try_from(&parsed).unwrap().block_count(), params().block_count());
        assert!(!verify_in(&mut Memory::new(), b"", DUMMY_HASH));
    }

    #[test]
    fn each_salt_is_fresh() {
        let mut memory = Memory::new();
        assert_ne!(hash_in(&mut memory, b"same").unwrap(), hash_in(&mut memory, b"same").unwrap());
    }
}
