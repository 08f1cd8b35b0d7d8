//! Configuration: compiled-in defaults, then `pqrs.toml` (or `--config FILE`), then the
//! environment (`PQRS_<KEY>` for every key, e.g. `PQRS_DATABASE_URL`).
//!
//! Unknown keys (in the file or as `PQRS_*` variables) and bad values are rejected at start with
//! one line naming the key. Every key is documented on its field below and in the README.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

use crate::db::DbUrl;
use crate::domain::radicado::UnitCode;
use crate::secret::SecretUrl;

/// Environment variables with this prefix belong to the test harness, not to the service.
const TEST_ENV_PREFIX: &str = "PQRS_TEST_";

/// All settings. Field names are the TOML keys; `PQRS_` + upper case is the variable name.
/// The three URLs are [`SecretUrl`]s: `Debug` and `Serialize` show them with the password masked.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// A SQLite path (or `sqlite://PATH`), or `postgres://user:pass@host/db`.
    pub database_url: SecretUrl,
    /// Address the web app and API listen on.
    pub listen: String,
    /// Folder for the SQLite file, the watched Maildir (`maildir/`) and the file outbox (`outbox/`).
    pub data_dir: PathBuf,
    /// Folder with the rule files (routing, departments, terms, calendar).
    pub rules_dir: PathBuf,
    /// Contact mailbox: `imap://user:pass@host:port/INBOX` (STARTTLS) or `imaps://…`.
    /// Empty = no IMAP; the Maildir `data_dir/maildir` is watched instead.
    pub imap_url: SecretUrl,
    /// IMAP folder to move filed mail to; empty = mark it `\Seen` and leave it in place.
    pub imap_processed_folder: String,
    /// Seconds between polls when the server offers no IDLE (and between Maildir scans).
    pub poll_interval_secs: u64,
    /// Outgoing mail: `smtp://…` (STARTTLS when offered), `smtps://…`; empty = write `.eml` files
    /// under `data_dir/outbox` (still counted as sent).
    pub smtp_url: SecretUrl,
    /// Extra root certificate (PEM) trusted for IMAP and SMTP TLS, for servers with a private CA.
    pub tls_ca_file: String,
    /// The From: of acknowledgements and responses.
    pub mail_from: String,
    /// Domain of the Message-IDs we generate (our own mail is recognised by it).
    pub message_id_domain: String,
    /// Name of the entity, shown in mails and pages.
    pub entity_name: String,
    /// Three-digit code of the filing unit inside radicados.
    pub radicado_unit: String,
    /// Local (Bogotá) time from which a filing counts on the next business day, `HH:MM`.
    pub filing_cutoff: String,
    /// Largest mail accepted for parsing, in bytes; a larger one is kept raw in quarantine.
    pub max_message_bytes: u64,
    /// At most this many acknowledgements to one sender address per hour.
    pub ack_per_sender_per_hour: u32,
    /// Base URL of the public pages, used in links inside mails.
    pub public_base_url: String,
    /// Web filings (and status lookups) allowed per client address per minute, after a burst.
    pub filing_rate_per_minute: u32,
    /// Requests a client address may make at once before the per-minute rate applies.
    pub filing_burst: u32,
    /// Database connections in the pool.
    pub db_pool_size: u32,
    /// Seconds without a successful poll after which `/healthz` reports intake as degraded.
    pub intake_stale_secs: u64,
    /// Route with the learned model as well as the rules (trained at start and retrained on the
    /// cases triage confirms). `false`: the rules alone.
    pub routing_model: bool,
    /// This instance's name in the `leases` table and `/healthz` (several `pqrs serve` on one
    /// PostgreSQL). Empty = `hostname:pid`. Must differ between instances.
    pub instance_id: String,
    /// Seconds a lease on singleton work (a mailbox's poller, the follow-up job) lasts without
    /// renewal; the holder renews it every third of it, so a dead holder is replaced by another
    /// instance within about this long.
    pub lease_secs: u64,
    /// Reverse proxies (addresses or networks, e.g. `["10.0.0.0/8"]`; in the environment a comma
    /// separated list) whose `Forwarded` / `X-Forwarded-For` header names the client, for the
    /// rate limit and the access log. Empty = the headers are ignored and the peer is the client.
    pub trusted_proxies: Vec<String>,
    /// The satisfaction survey is offered with a final answer at most once per citizen address
    /// in this many days. 0 = no surveys are offered (staff may still enter verbal ones).
    pub survey_interval_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: "data/pqrs.db".into(),
            listen: "127.0.0.1:8080".into(),
            data_dir: "data".into(),
            rules_dir: "rules".into(),
            imap_url: SecretUrl::default(),
            imap_processed_folder: String::new(),
            poll_interval_secs: 60,
            smtp_url: SecretUrl::default(),
            tls_ca_file: String::new(),
            mail_from: "PQRS <pqrs@localhost>".into(),
            message_id_domain: "pqrs.localhost".into(),
            entity_name: "Agencia Nacional de Minería".into(),
            radicado_unit: "100".into(),
            filing_cutoff: "17:00".into(),
            max_message_bytes: 25 * 1024 * 1024,
            ack_per_sender_per_hour: 5,
            public_base_url: "http://127.0.0.1:8080".into(),
            filing_rate_per_minute: 20,
            filing_burst: 10,
            db_pool_size: 8,
            intake_stale_secs: 900,
            routing_model: true,
            instance_id: String::new(),
            lease_secs: 10,
            trusted_proxies: Vec::new(),
            survey_interval_days: 30,
        }
    }
}

/// A configuration problem, always naming the key or file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("configuration file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("unknown environment variable {0} (known: PQRS_ + one of the keys in the README)")]
    UnknownEnv(String),
    #[error("{key}: {message}")]
    Invalid { key: String, message: String },
}

/// Settings after validation, with parsed values.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub database: DbUrl,
    pub listen: SocketAddr,
    pub unit: UnitCode,
    pub cutoff: NaiveTime,
    /// `settings.trusted_proxies`, parsed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Config {
    /// Load from defaults, `file` (or `./pqrs.toml` when it exists), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let env: BTreeMap<String, String> =
            std::env::vars().filter(|(k, _)| k.starts_with("PQRS_")).collect();
        Self::load_from(file, &env)
    }

    /// Like [`Config::load`] with an explicit environment (for tests).
    pub fn load_from(
        file: Option<&Path>,
        env: &BTreeMap<String, String>,
    ) -> Result<Config, ConfigError> {
        let defaults = toml::Table::try_from(Settings::default()).map_err(|e| {
            ConfigError::Invalid { key: "defaults".into(), message: e.to_string() }
        })?;
        let mut merged = defaults.clone();

        let default_file = PathBuf::from("pqrs.toml");
        let file = match file {
            Some(f) => Some(f.to_path_buf()),
            None if default_file.exists() => Some(default_file),
            None => None,
        };
        if let Some(path) = file {
            let text = std::fs::read_to_string(&path)
                .map_err(|source| ConfigError::Read { path: path.clone(), source })?;
            let table: toml::Table = toml::from_str(&text)
                .map_err(|e| ConfigError::File { path: path.clone(), message: one_line(&e.to_string()) })?;
            for (k, v) in table {
                if !defaults.contains_key(&k) {
                    return Err(ConfigError::File {
                        path,
                        message: format!("unknown key `{k}`"),
                    });
                }
                merged.insert(k, v);
            }
        }

        for (name, value) in env {
            if name.starts_with(TEST_ENV_PREFIX) || name == "PQRS_CONFIG" {
                continue;
            }
            let key = name.trim_start_matches("PQRS_").to_ascii_lowercase();
            let Some(default) = defaults.get(&key) else {
                return Err(ConfigError::UnknownEnv(name.clone()));
            };
            let v = match default {
                toml::Value::Integer(_) => value.trim().parse::<i64>().map(toml::Value::Integer).map_err(|_| {
                    ConfigError::Invalid { key: name.clone(), message: format!("`{value}` is not a whole number") }
                })?,
                toml::Value::Boolean(_) => match value.trim() {
                    "1" | "true" | "yes" => toml::Value::Boolean(true),
                    "0" | "false" | "no" => toml::Value::Boolean(false),
                    _ => {
                        return Err(ConfigError::Invalid {
                            key: name.clone(),
                            message: format!("`{value}` is not true or false"),
                        })
                    }
                },
                toml::Value::Array(_) => toml::Value::Array(
                    value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| toml::Value::String(s.into())).collect(),
                ),
                _ => toml::Value::String(value.clone()),
            };
            merged.insert(key, v);
        }

        let settings: Settings = toml::Value::Table(merged).try_into().map_err(|e: toml::de::Error| {
            ConfigError::Invalid { key: "configuration".into(), message: one_line(&e.to_string()) }
        })?;
        Config::validate(settings)
    }

    /// Check every value; the error names the key.
    pub fn validate(settings: Settings) -> Result<Config, ConfigError> {
        let bad = |key: &str, message: String| ConfigError::Invalid { key: key.to_string(), message };
        let database = DbUrl::parse(settings.database_url.expose()).map_err(|m| bad("database_url", m))?;
        let listen: SocketAddr = settings
            .listen
            .parse()
            .map_err(|_| bad("listen", format!("`{}` is not an address like 127.0.0.1:8080", settings.listen)))?;
        let unit = UnitCode::parse(&settings.radicado_unit).map_err(|m| bad("radicado_unit", m))?;
        let cutoff = NaiveTime::parse_from_str(&settings.filing_cutoff, "%H:%M")
            .map_err(|_| bad("filing_cutoff", format!("`{}` is not a time like 17:00", settings.filing_cutoff)))?;
        for (key, url, schemes) in [
            ("imap_url", &settings.imap_url, &["imap://", "imaps://"][..]),
            ("smtp_url", &settings.smtp_url, &["smtp://", "smtps://"][..]),
        ] {
            let url = url.expose().trim();
            if !url.is_empty() && !schemes.iter().any(|s| url.starts_with(s)) {
                return Err(bad(key, format!("must start with {}", schemes.join(" or "))));
            }
        }
        if !settings.mail_from.contains('@') {
            return Err(bad("mail_from", "must contain an e-mail address".into()));
        }
        if settings.message_id_domain.is_empty() || settings.message_id_domain.contains(['@', ' ', '<', '>']) {
            return Err(bad("message_id_domain", "must be a bare domain name".into()));
        }
        if settings.max_message_bytes < 1024 {
            return Err(bad("max_message_bytes", "must be at least 1024".into()));
        }
        if settings.poll_interval_secs == 0 {
            return Err(bad("poll_interval_secs", "must be at least 1".into()));
        }
        if settings.db_pool_size == 0 || settings.db_pool_size > 512 {
            return Err(bad("db_pool_size", "must be between 1 and 512".into()));
        }
        if settings.survey_interval_days > 3660 {
            return Err(bad("survey_interval_days", "must be between 0 and 3660".into()));
        }
        if settings.lease_secs < 2 || settings.lease_secs > 3600 {
            return Err(bad("lease_secs", "must be between 2 and 3600".into()));
        }
        let trusted_proxies =
            crate::web::client_addr::parse_trusted(&settings.trusted_proxies).map_err(|m| bad("trusted_proxies", m))?;
        let mut settings = settings;
        settings.instance_id = settings.instance_id.trim().to_string();
        if settings.instance_id.is_empty() {
            settings.instance_id = default_instance_id();
        }
        Ok(Config { settings, database, listen, unit, cutoff, trusted_proxies })
    }

    pub fn maildir(&self) -> PathBuf {
        self.settings.data_dir.join("maildir")
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.settings.data_dir.join("outbox")
    }
}

/// `hostname:pid`: unique among the instances of one machine, and readable in `/healthz`.
fn default_instance_id() -> String {
    format!("{}:{}", hostname(), std::process::id())
}

/// This machine's host name (`localhost` when it cannot be read).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "localhost".into())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let c = Config::load_from(None, &env(&[])).unwrap();
        assert_eq!(c.settings.database_url.expose(), "data/pqrs.db");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.cutoff, NaiveTime::from_hms_opt(17, 0, 0).unwrap());
        assert!(matches!(c.database, DbUrl::Sqlite(_)));
    }

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pqrs.toml");
        std::fs::write(&f, "listen = \"127.0.0.1:9000\"\nradicado_unit = \"551\"\n").unwrap();
        let c = Config::load_from(Some(&f), &env(&[("PQRS_LISTEN", "0.0.0.0:9100")])).unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:9100");
        assert_eq!(c.unit.as_str(), "551");
    }

    #[test]
    fn unknown_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pqrs.toml");
        std::fs::write(&f, "lisen = \"x\"\n").unwrap();
        let e = Config::load_from(Some(&f), &env(&[])).unwrap_err().to_string();
        assert!(e.contains("lisen"), "{e}");
        let e = Config::load_from(None, &env(&[("PQRS_DATABSE_URL", "x")])).unwrap_err().to_string();
        assert!(e.contains("PQRS_DATABSE_URL"), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        for (k, v, needle) in [
            ("PQRS_LISTEN", "nowhere", "listen"),
            ("PQRS_DATABASE_URL", "mysql://x", "database_url"),
            ("PQRS_RADICADO_UNIT", "12", "radicado_unit"),
            ("PQRS_FILING_CUTOFF", "5pm", "filing_cutoff"),
            ("PQRS_IMAP_URL", "http://x", "imap_url"),
            ("PQRS_POLL_INTERVAL_SECS", "soon", "PQRS_POLL_INTERVAL_SECS"),
        ] {
            let e = Config::load_from(None, &env(&[(k, v)])).unwrap_err().to_string();
            assert!(e.contains(needle), "{k}: {e}");
        }
    }

    #[test]
    fn the_instance_id_defaults_to_host_and_pid_and_the_lease_time_is_checked() {
        let c = Config::load_from(None, &env(&[])).unwrap();
        assert!(c.settings.instance_id.ends_with(&format!(":{}", std::process::id())), "{}", c.settings.instance_id);
        assert_eq!(c.settings.lease_secs, 10);
        let c = Config::load_from(None, &env(&[("PQRS_INSTANCE_ID", " web-1 ")])).unwrap();
        assert_eq!(c.settings.instance_id, "web-1");
        let e = Config::load_from(None, &env(&[("PQRS_LEASE_SECS", "1")])).unwrap_err().to_string();
        assert!(e.contains("lease_secs"), "{e}");
    }

    #[test]
    fn trusted_proxies_come_from_the_file_or_a_comma_separated_variable() {
        assert!(Config::load_from(None, &env(&[])).unwrap().trusted_proxies.is_empty());
        let c = Config::load_from(None, &env(&[("PQRS_TRUSTED_PROXIES", "10.0.0.0/8, ::1")])).unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pqrs.toml");
        std::fs::write(&f, "trusted_proxies = [\"192.0.2.1\"]\n").unwrap();
        assert_eq!(Config::load_from(Some(&f), &env(&[])).unwrap().trusted_proxies.len(), 1);
        let e = Config::load_from(None, &env(&[("PQRS_TRUSTED_PROXIES", "proxy.local")])).unwrap_err().to_string();
        assert!(e.contains("trusted_proxies"), "{e}");
    }

    #[test]
    fn no_password_reaches_debug_or_serialize() {
        let c = Config::load_from(None, &env(&[
            ("PQRS_DATABASE_URL", "postgres://pqrs:db-pass-1@db.example.com/pqrs"),
            ("PQRS_IMAP_URL", "imaps://contacto:imap-pass-2@mail.example.com/INBOX"),
            ("PQRS_SMTP_URL", "smtp://contacto:smtp-pass-3@mail.example.com:587"),
        ]))
        .unwrap();
        let debug = format!("{c:?}");
        let toml = toml::to_string(&c.settings).unwrap();
        for out in [&debug, &toml] {
            for secret in ["db-pass-1", "imap-pass-2", "smtp-pass-3"] {
                assert!(!out.contains(secret), "{secret} in {out}");
            }
            assert!(out.contains("postgres://pqrs:***@db.example.com/pqrs"), "{out}");
            assert!(out.contains("imaps://contacto:***@mail.example.com/INBOX"), "{out}");
        }
        // The values themselves are intact for the connections.
        assert_eq!(c.settings.imap_url.expose(), "imaps://contacto:imap-pass-2@mail.example.com/INBOX");
        assert!(matches!(&c.database, DbUrl::Postgres(u) if u.expose().contains("db-pass-1")));
    }

    #[test]
    fn test_harness_variables_are_ignored() {
        assert!(Config::load_from(None, &env(&[("PQRS_TEST_PG_URL", "x")])).is_ok());
    }
}
