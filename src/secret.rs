//! URLs that carry a password (`database_url`, `imap_url`, `smtp_url`).
//!
//! The text is held in a [`secrecy::SecretString`]: it is zeroed when dropped and reaches code only
//! through [`SecretUrl::expose`]. `Debug`, `Display` and `Serialize` all write [`SecretUrl::redacted`]
//! (the password replaced by `***`), so a logged or printed `Settings`/`Config` names no password.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What stands for a password in [`SecretUrl::redacted`].
pub const MASK: &str = "***";

#[derive(Clone, Default)]
pub struct SecretUrl(SecretString);

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> SecretUrl {
        SecretUrl(SecretString::from(url.into()))
    }

    /// The URL itself, password included: only to open a connection.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().trim().is_empty()
    }

    /// The URL with its password replaced by [`MASK`]. A text that is not a URL but holds an `@`
    /// (so might hold a password before it) shows only what follows the last `@`.
    pub fn redacted(&self) -> String {
        redact(self.expose())
    }
}

/// `url` with its password replaced by [`MASK`].
pub fn redact(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(mut u) if u.has_host() => {
            if u.password().is_none() {
                url.to_string()
            } else if u.set_password(Some(MASK)).is_ok() {
                u.to_string()
            } else {
                format!("{}://{MASK}@{}", u.scheme(), u.host_str().unwrap_or(""))
            }
        }
        // A SQLite file path, or something that is not a URL with a host.
        _ => match url.rsplit_once('@') {
            Some((_, rest)) => format!("{MASK}@{rest}"),
            None => url.to_string(),
        },
    }
}

impl PartialEq for SecretUrl {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for SecretUrl {}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl From<&str> for SecretUrl {
    fn from(s: &str) -> Self {
        SecretUrl::new(s)
    }
}

impl From<String> for SecretUrl {
    fn from(s: String) -> Self {
        SecretUrl::new(s)
    }
}

/// Writes the redacted form: the settings are serialized only to list the compiled-in defaults
/// (which hold no password), never to hand a secret on.
impl Serialize for SecretUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for SecretUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(SecretUrl(SecretString::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_reaches_debug_display_or_serialize() {
        for (url, shown) in [
            ("postgres://pqrs:s3cr%3At@db.example.com:5432/pqrs", "postgres://pqrs:***@db.example.com:5432/pqrs"),
            ("imaps://contacto%40anm.gov.co:p%40ss@mail.example.com/INBOX", "imaps://contacto%40anm.gov.co:***@mail.example.com/INBOX"),
            ("smtp://u:hunter2@[::1]:25?tls=required", "smtp://u:***@[::1]:25?tls=required"),
        ] {
            let s = SecretUrl::new(url);
            assert_eq!(s.redacted(), shown);
            for out in [format!("{s:?}"), s.to_string(), toml::Value::try_from(&s).unwrap().to_string()] {
                assert!(out.contains(shown), "{out}");
                assert!(!out.contains("s3cr") && !out.contains("p%40ss") && !out.contains("hunter2"), "{out}");
            }
            assert_eq!(s.expose(), url);
        }
    }

    #[test]
    fn urls_without_a_password_and_paths_are_shown_as_they_are() {
        assert_eq!(redact("data/pqrs.db"), "data/pqrs.db");
        assert_eq!(redact("postgres://pqrs@localhost/pqrs"), "postgres://pqrs@localhost/pqrs");
        assert_eq!(redact("smtps://localhost:12465"), "smtps://localhost:12465");
        // Not a URL, but something that may hide a password before the `@`.
        assert_eq!(redact("user:pw@host"), "***@host");
    }

    #[test]
    fn deserializes_from_a_string() {
        let s: SecretUrl = toml::Value::String("imap://a:b@h/INBOX".into()).try_into().unwrap();
        assert_eq!(s.expose(), "imap://a:b@h/INBOX");
    }
}
