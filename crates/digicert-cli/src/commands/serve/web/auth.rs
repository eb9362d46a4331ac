//! `basic_auth_users`: HTTP basic authentication against bcrypt hashes, as exporter-toolkit
//! does it: an unknown user is checked against a fixed hash (no timing tells users apart),
//! one bcrypt comparison runs at a time, on a blocking thread, and each answer is cached so
//! that a scrape every few seconds costs one comparison, not one each.
//!
//! The cache is keyed by SHA-256 of the user, hash and password, so no password is kept.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;

use super::go_errors;

/// The hash of "fakepassword" that exporter-toolkit checks unknown users against.
const UNKNOWN_USER_HASH: &str = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

/// Answers kept; the cache starts again empty when full.
const CACHE_SIZE: usize = 100;

/// The users and what was decided for the credentials seen.
#[derive(Debug)]
pub struct BasicAuth {
    users: BTreeMap<String, String>,
    cache: Mutex<HashMap<[u8; 32], bool>>,
    /// One bcrypt comparison at a time: each is CPU for tens of milliseconds.
    bcrypt: tokio::sync::Semaphore,
}

impl BasicAuth {
    /// The users of a file, their hashes checked (exporter-toolkit's `validateUsers`); none
    /// when the file has none (no authentication).
    pub fn new(users: &BTreeMap<String, Option<String>>) -> Result<Option<Self>, String> {
        if users.is_empty() {
            return Ok(None);
        }
        let mut checked = BTreeMap::new();
        for (user, hash) in users {
            let hash = check_hash(hash.as_deref().unwrap_or_default())?;
            checked.insert(user.clone(), hash);
        }
        Ok(Some(Self {
            users: checked,
            cache: Mutex::new(HashMap::new()),
            bcrypt: tokio::sync::Semaphore::new(1),
        }))
    }

    /// The users' names.
    #[cfg(test)]
    pub fn users(&self) -> Vec<String> {
        self.users.keys().cloned().collect()
    }

    /// Whether the request's credentials are a user's.
    pub async fn allows(&self, headers: &HeaderMap) -> bool {
        let Some((user, password)) = credentials(headers) else {
            return false;
        };
        let known = self.users.get(&user);
        let hash = known.map_or(UNKNOWN_USER_HASH, String::as_str).to_owned();
        let key = cache_key(&user, &hash, &password);
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .copied();
        let matches = match cached {
            Some(matches) => matches,
            None => {
                let Ok(_turn) = self.bcrypt.acquire().await else {
                    return false;
                };
                let matches = tokio::task::spawn_blocking(move || {
                    bcrypt::verify(password.as_bytes(), &hash).unwrap_or(false)
                })
                .await
                .unwrap_or(false);
                let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
                if cache.len() >= CACHE_SIZE {
                    cache.clear();
                }
                cache.insert(key, matches);
                matches
            }
        };
        matches && known.is_some()
    }
}

/// A hash as Go reads it (`bcrypt.Cost`, exporter-toolkit's check), written with the version
/// the bcrypt crate reads: Go ignores the version letters when it compares (`$2a$`, `$2b$`,
/// `$2y$`, `$2$` all hash alike), the crate knows four of them.
fn check_hash(hash: &str) -> Result<String, String> {
    let (cost, salt_and_hash) = go_errors::bcrypt_cost(hash)?;
    Ok(format!("$2b${cost:02}${salt_and_hash}"))
}

/// The user and password of an `Authorization: Basic` header.
fn credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// SHA-256 of the user, the hash and the password, each length-prefixed.
fn cache_key(user: &str, hash: &str, password: &str) -> [u8; 32] {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for part in [user, hash, password] {
        context.update(&(part.len() as u64).to_be_bytes());
        context.update(part.as_bytes());
    }
    let mut key = [0; 32];
    key.copy_from_slice(context.finish().as_ref());
    key
}

/// The answer to a request without a user's credentials: 401, asking for them.
pub fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Basic")],
        "Unauthorized\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hashes_are_read_as_go_reads_them() {
        assert_eq!(
            check_hash(UNKNOWN_USER_HASH).unwrap(),
            UNKNOWN_USER_HASH.replace("2y", "2b")
        );
        // Go compares with any version letters; the crate is given one it knows.
        let salt_and_hash = "QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";
        assert_eq!(
            check_hash(&format!("$2$10${salt_and_hash}")).unwrap(),
            format!("$2b$10${salt_and_hash}")
        );
        let mut users = BTreeMap::new();
        users.insert("alice".to_owned(), None);
        assert_eq!(
            BasicAuth::new(&users).unwrap_err(),
            "crypto/bcrypt: hashedSecret too short to be a bcrypted password"
        );
    }

    #[test]
    fn credentials_of_a_basic_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            "basic YWxpY2U6czNjcjp0".parse().unwrap(),
        );
        assert_eq!(
            credentials(&headers),
            Some(("alice".to_owned(), "s3cr:t".to_owned()))
        );
        headers.insert(
            header::AUTHORIZATION,
            "Bearer YWxpY2U6czNjcjp0".parse().unwrap(),
        );
        assert_eq!(credentials(&headers), None);
    }

    #[test]
    fn a_user_with_the_right_password_and_no_one_else() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(a_user_with_the_right_password());
    }

    async fn a_user_with_the_right_password() {
        let mut users = BTreeMap::new();
        users.insert("alice".to_owned(), Some(bcrypt::hash("right", 4).unwrap()));
        let auth = BasicAuth::new(&users).unwrap().unwrap();
        let with = |user: &str, password: &str| {
            let mut headers = HeaderMap::new();
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            headers.insert(
                header::AUTHORIZATION,
                format!("Basic {encoded}").parse().unwrap(),
            );
            headers
        };
        assert!(auth.allows(&with("alice", "right")).await);
        // Again, from the cache.
        assert!(auth.allows(&with("alice", "right")).await);
        assert!(!auth.allows(&with("alice", "wrong")).await);
        assert!(!auth.allows(&with("bob", "fakepassword")).await);
        assert!(!auth.allows(&HeaderMap::new()).await);
    }
}
