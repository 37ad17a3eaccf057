//! Password hashing with argon2id (OWASP: 19 MiB, 2 iterations, 1 lane), off the async threads
//! on a pool bounded to the number of cores, so a burst of sign-ins cannot starve the runtime
//! or exhaust memory.
//!
//! The pool is a fixed set of long-lived threads rather than tokio's blocking pool: each thread
//! keeps its 19 MiB working memory warm in its allocator arena, instead of a fresh thread
//! faulting in fresh pages for every hash.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OnceCell, oneshot};

use crate::error::{CoreError, CoreResult};

const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

type Job = Box<dyn FnOnce() + Send>;

/// Jobs waiting for a hashing thread; beyond this, callers wait (back-pressure) on an async
/// permit rather than piling up memory.
const QUEUE: usize = 1024;

#[derive(Clone)]
pub struct PasswordHasher {
    jobs: SyncSender<Job>,
    queue: Arc<tokio::sync::Semaphore>,
    /// A hash of a random password, verified when the email is unknown so that "no such user"
    /// takes as long as "wrong password".
    dummy: Arc<OnceCell<String>>,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).expect("OWASP parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl PasswordHasher {
    /// Start `threads` hashing threads. They end when the last clone of the hasher is dropped.
    pub fn new(threads: usize) -> Self {
        let (jobs, receiver) = sync_channel::<Job>(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            let spawned = std::thread::Builder::new().name(format!("roster-hash-{n}")).spawn(move || work(&receiver));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password-hashing thread");
            }
        }
        Self { jobs, queue: Arc::new(tokio::sync::Semaphore::new(QUEUE)), dummy: Arc::new(OnceCell::new()) }
    }

    async fn blocking<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> CoreResult<T> {
        let closed = || CoreError::Internal("the password hasher has stopped".into());
        let _slot = self.queue.acquire().await.map_err(|_| closed())?;
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        // A slot is held, so the channel has room: this never blocks the async thread.
        self.jobs.try_send(job).map_err(|_| closed())?;
        result.await.map_err(|_| closed())
    }

    /// The PHC string of `password` (already NFKC-normalised by the caller).
    pub async fn hash(&self, password: String) -> CoreResult<String> {
        self.blocking(move || argon2().hash_password(password.as_bytes()).map(|h| h.to_string()))
            .await?
            .map_err(|e| CoreError::Internal(format!("argon2 hash: {e}")))
    }

    /// Whether `password` matches `phc`. With `phc == None` (unknown user, or no password
    /// set), a dummy hash is verified instead and the answer is always `false`.
    pub async fn verify(&self, password: String, phc: Option<String>) -> CoreResult<bool> {
        let (phc, real) = match phc {
            Some(phc) => (phc, true),
            None => (self.dummy_hash().await?, false),
        };
        let ok = self
            .blocking(move || {
                PasswordHash::new(&phc)
                    .is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
            })
            .await?;
        Ok(ok && real)
    }

    /// Compute the dummy hash ahead of the first unknown-email login, so that login is not
    /// slower than the others (which would tell the email is unknown).
    pub async fn warm_up(&self) -> CoreResult<()> {
        self.dummy_hash().await.map(|_| ())
    }

    async fn dummy_hash(&self) -> CoreResult<String> {
        self.dummy
            .get_or_try_init(|| async {
                let random = crate::secrets::new_token().0;
                self.hash(random).await
            })
            .await
            .cloned()
    }
}

/// A hashing thread: run jobs until every sender is gone.
fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        let job = match receiver.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}
