//! The seeded population: deterministic, varied enough that the search cases mean something.
//! About 23 % of users carry "son" in their last name (and so in their email), every address
//! contains "example", ten users are called Xanthippe and twenty carry "zq". Every user has a
//! phone, `+1415` and its number on 7 digits (so `4150054321` is one user's, `1415005` ten
//! thousand users'), and every third a second address `w{i}@work-{first}.test`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use uuid::Uuid;

const FIRST: [&str; 24] = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "John",
    "Margaret",
    "Dennis",
    "Ken",
    "Radia",
    "Linus",
    "Guido",
    "Hedy",
    "Katherine",
    "Tim",
    "Vint",
    "Niklaus",
    "Sophie",
    "Leslie",
    "Shafi",
    "Joan",
    "Carl",
];
/// 7 of 30 contain "son".
const LAST: [&str; 30] = [
    "Johnson",
    "Anderson",
    "Wilson",
    "Thompson",
    "Robinson",
    "Jackson",
    "Harrison",
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "McCarthy",
    "Hamilton",
    "Ritchie",
    "Thompsen",
    "Perlman",
    "Torvalds",
    "Rossum",
    "Lamarr",
    "Goldberg",
    "Berners",
    "Cerf",
    "Wirth",
    "Kowalski",
    "Lamport",
    "Goldwasser",
    "Clarke",
];

/// One seeded user (times in microseconds since the epoch).
pub struct Person {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub status: &'static str,
    pub email_verified: bool,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    /// A second address (lowercase), for every third user.
    pub secondary: Option<String>,
    /// E.164.
    pub phone: String,
    /// An id for the phone row.
    pub phone_id: Uuid,
}

impl Person {
    /// The digits of the phone's E.164 form.
    pub fn phone_digits(&self) -> &str {
        &self.phone[1..]
    }

    pub fn name_key(&self) -> String {
        self.name.to_lowercase()
    }

    pub fn email_key(&self) -> String {
        self.email.to_lowercase()
    }
}

/// splitmix64: fast, deterministic, good enough to spread names and times.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `n` people created over the last ~2 years, oldest first.
pub fn people(n: usize) -> impl Iterator<Item = Person> {
    let mut rng = Rng(0x5EED);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_micros() as i64;
    let step = 60_000_000; // one a minute
    let start = now - n as i64 * step - 86_400_000_000;
    (0..n).map(move |i| {
        let mut first = FIRST[rng.below(FIRST.len() as u64) as usize];
        let mut last = LAST[rng.below(LAST.len() as u64) as usize];
        if i % 100_000 == 50_000 {
            first = "Xanthippe";
        }
        if i % 50_000 == 25_000 {
            last = "Mazzquist";
        }
        let created_at = start + i as i64 * step;
        let status = match i % 100 {
            0 | 50 => "invited",
            1 => "suspended",
            _ => "active",
        };
        let logged_in = status == "active" && rng.below(10) < 7;
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&rng.next().to_le_bytes());
        bytes[8..].copy_from_slice(&rng.next().to_le_bytes());
        Person {
            id: uuid::Builder::from_random_bytes(bytes).into_uuid(),
            name: format!("{first} {last}"),
            email: format!("{}.{}.{i}@example.com", first.to_lowercase(), last.to_lowercase()),
            status,
            email_verified: rng.below(10) < 8,
            created_at,
            last_login_at: logged_in.then(|| created_at + rng.below((now - created_at).max(1) as u64) as i64),
            secondary: (i % 3 == 0).then(|| format!("w{i}@work-{}.test", first.to_lowercase())),
            phone: format!("+1415{i:07}"),
            phone_id: uuid::Builder::from_random_bytes({
                let mut b = [0u8; 16];
                b[..8].copy_from_slice(&rng.next().to_le_bytes());
                b[8..].copy_from_slice(&rng.next().to_le_bytes());
                b
            })
            .into_uuid(),
        }
    })
}
