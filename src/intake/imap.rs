//! The contact mailbox over IMAP (async-imap on tokio, rustls).
//!
//! - `imap://user:pass@host:port/MAILBOX` uses STARTTLS (required); `imaps://` implicit TLS.
//!   User and password may be percent-encoded (`%40` for `@`).
//! - New mail is found by UID, above the checkpoint (UIDVALIDITY, last UID) kept in the database,
//!   not by the `\Seen` flag, so a person reading the mailbox in a client loses nothing. When
//!   UIDVALIDITY changes the whole mailbox is read again; dedupe keeps old mail from being filed
//!   twice.
//! - Each mail is filed (one transaction) before anything is marked on the server; then it is
//!   flagged `\Seen`, or moved to `imap_processed_folder`. Nothing is deleted.
//! - IDLE where the server offers it (woken within about a second of delivery), with a re-check
//!   at least every `poll_interval_secs` (at most 25 min); plain polling otherwise. Errors
//!   reconnect with exponential backoff (1 s … 60 s); `/healthz` shows the last successful poll.
//! - One poller per mailbox across instances: the worker runs under the lease
//!   `mailbox:imap:USER@HOST:PORT/FOLDER` ([`ImapUrl::lease_name`], `Supervisor::spawn_leased`),
//!   and stops between two mails when this instance loses it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_imap::Session;
use chrono::Utc;
use futures_util::TryStreamExt;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;

use super::pipeline::{Intake, RawMail, Source};
use crate::db::Pool;
use crate::health::HealthState;

/// A parsed `imap://` or `imaps://` URL (parsed by the `url` crate; user, password and mailbox
/// percent-decoded). `Debug` masks the password.
#[derive(Debug, Clone)]
pub struct ImapUrl {
    pub implicit_tls: bool,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: secrecy::SecretString,
    pub mailbox: String,
}

impl ImapUrl {
    pub fn parse(url: &str) -> anyhow::Result<ImapUrl> {
        let url = url.trim();
        let implicit_tls = if url.starts_with("imaps://") {
            true
        } else if url.starts_with("imap://") {
            false
        } else {
            anyhow::bail!("imap_url must start with imap:// or imaps://");
        };
        // The error of `url` names no part of the text, so no password reaches a log.
        let u = url::Url::parse(url).map_err(|e| anyhow::anyhow!("imap_url: {e}"))?;
        if u.username().is_empty() {
            anyhow::bail!("imap_url needs user:password@host");
        }
        let host = match u.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_string(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => a.to_string(),
            _ => anyhow::bail!("imap_url: no host"),
        };
        let mailbox = percent_decode(u.path().trim_start_matches('/'));
        Ok(ImapUrl {
            implicit_tls,
            host,
            port: u.port().unwrap_or(if implicit_tls { 993 } else { 143 }),
            user: percent_decode(u.username()),
            password: percent_decode(u.password().unwrap_or("")).into(),
            mailbox: if mailbox.is_empty() { "INBOX".into() } else { mailbox },
        })
    }

    /// The checkpoint key of this mailbox.
    pub fn key(&self) -> String {
        format!("imap:{}@{}:{}/{}", self.user, self.host, self.port, self.mailbox)
    }

    /// The lease its poller runs under (one poller per mailbox across instances): the
    /// checkpoint key, which names no password.
    pub fn lease_name(&self) -> String {
        format!("mailbox:{}", self.key())
    }
}

/// `%XX` decoded; bytes that are not UTF-8 replaced, a stray `%` kept.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

pub type ImapSession = Session<TlsStream<TcpStream>>;

pub async fn connect(url: &ImapUrl, tls: Arc<tokio_rustls::rustls::ClientConfig>) -> anyhow::Result<ImapSession> {
    let connector = tokio_rustls::TlsConnector::from(tls);
    let name = ServerName::try_from(url.host.clone()).context("imap host name")?;
    let tcp = tokio::time::timeout(Duration::from_secs(15), TcpStream::connect((url.host.as_str(), url.port)))
        .await
        .context("IMAP connect timed out")?
        .with_context(|| format!("IMAP connect to {}:{}", url.host, url.port))?;
    let client = if url.implicit_tls {
        let stream = connector.connect(name, tcp).await.context("IMAP TLS")?;
        let mut client = async_imap::Client::new(stream);
        client.read_response().await?.context("IMAP server closed before its greeting")?;
        client
    } else {
        let mut plain = async_imap::Client::new(tcp);
        plain.read_response().await?.context("IMAP server closed before its greeting")?;
        plain.run_command_and_check_ok("STARTTLS", None).await.context("IMAP STARTTLS")?;
        let stream = connector.connect(name, plain.into_inner()).await.context("IMAP TLS")?;
        async_imap::Client::new(stream)
    };
    let session = client.login(&url.user, secrecy::ExposeSecret::expose_secret(&url.password)).await.map_err(|(e, _)| e).context("IMAP login")?;
    Ok(session)
}

use crate::db::mailbox::{load_checkpoint, save_checkpoint};

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> anyhow::Result<T> + Send + 'static) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f).await.context("blocking task")?
}

/// Fetch and file everything above the checkpoint; returns how many mails were filed. Stops
/// between two mails once `shutdown` fires (the service stops, or this instance lost the
/// mailbox's lease), so another instance does not poll beside it for long.
pub async fn poll_once(
    session: &mut ImapSession,
    url: &ImapUrl,
    intake: &Arc<Intake>,
    pool: &Pool,
    processed_folder: &str,
    shutdown: &crate::jobs::Shutdown,
) -> anyhow::Result<usize> {
    let mailbox = session.select(&url.mailbox).await.with_context(|| format!("SELECT {}", url.mailbox))?;
    let validity = i64::from(mailbox.uid_validity.unwrap_or(0));
    let key = url.key();
    let (p, k) = (pool.clone(), key.clone());
    let checkpoint = blocking(move || { let mut c = p.get()?; Ok(load_checkpoint(&mut c, &k)?) }).await?;
    let mut last_uid = match checkpoint {
        Some((v, uid)) if v == validity => uid,
        Some((v, _)) => {
            tracing::warn!(old = v, new = validity, mailbox = %url.mailbox, "UIDVALIDITY changed: reading the whole mailbox again (dedupe prevents refiling)");
            0
        }
        None => 0,
    };
    let mut uids: Vec<u32> = session
        .uid_search(format!("UID {}:*", last_uid + 1))
        .await?
        .into_iter()
        .filter(|u| i64::from(*u) > last_uid)
        .collect();
    uids.sort_unstable();
    let mut filed = 0;
    for chunk in uids.chunks(25) {
        if shutdown.is_stopping() {
            break;
        }
        let set = chunk.iter().map(|u| u.to_string()).collect::<Vec<_>>().join(",");
        let fetched: Vec<(u32, Option<chrono::DateTime<Utc>>, Vec<u8>)> = session
            .uid_fetch(&set, "(UID INTERNALDATE BODY.PEEK[])")
            .await?
            .try_filter_map(|f| async move {
                Ok(f.uid.map(|u| (u, f.internal_date().map(|d| d.with_timezone(&Utc)), f.body().unwrap_or_default().to_vec())))
            })
            .try_collect()
            .await?;
        let mut fetched = fetched;
        fetched.sort_by_key(|f| f.0);
        for (uid, internal, body) in fetched {
            if i64::from(uid) <= last_uid {
                continue;
            }
            if shutdown.is_stopping() {
                break;
            }
            let (i, p, r) = (intake.clone(), pool.clone(), format!("{}/{}", url.mailbox, uid));
            let outcome = blocking(move || {
                let mut conn = p.get()?;
                let mail = RawMail { bytes: &body, source: Source::Imap, source_ref: Some(&r), source_time: internal };
                Ok(i.process(&mut conn, mail, false)?)
            })
            .await?;
            tracing::info!(uid, outcome = ?outcome, "imap mail processed");
            // Filed (or quarantined): only now mark it on the server.
            if processed_folder.is_empty() {
                session.uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)").await?.try_collect::<Vec<_>>().await?;
            } else {
                session.uid_mv(uid.to_string(), processed_folder).await?;
            }
            last_uid = i64::from(uid);
            let (p, k) = (pool.clone(), key.clone());
            blocking(move || { let mut c = p.get()?; Ok(save_checkpoint(&mut c, &k, validity, last_uid)?) }).await?;
            filed += 1;
        }
    }
    if filed == 0 {
        let (p, k) = (pool.clone(), key.clone());
        blocking(move || { let mut c = p.get()?; Ok(save_checkpoint(&mut c, &k, validity, last_uid)?) }).await?;
    }
    Ok(filed)
}

/// The IMAP worker: connect, poll, IDLE or sleep, reconnect on errors, until shutdown. A URL or
/// TLS setting that cannot work is fatal (the service stops and says why); a server that is
/// away is retried with backoff for ever.
pub async fn run_imap_worker(
    intake: Arc<Intake>,
    pool: Pool,
    health: Arc<HealthState>,
    nudge: Arc<tokio::sync::Notify>,
    mut shutdown: crate::jobs::Shutdown,
) -> anyhow::Result<crate::jobs::Exit> {
    use crate::jobs::Exit;
    health.set_source("imap");
    let settings = intake.config.settings.clone();
    let url = match ImapUrl::parse(settings.imap_url.expose()) {
        Ok(u) => u,
        Err(e) => {
            health.poll_failed(e.to_string());
            return Ok(Exit::Fatal(format!("imap_url: {e}")));
        }
    };
    let tls = match crate::tls::client_config(&settings.tls_ca_file) {
        Ok(t) => t,
        Err(e) => {
            health.poll_failed(e.to_string());
            return Ok(Exit::Fatal(format!("tls_ca_file: {e}")));
        }
    };
    let wait = Duration::from_secs(settings.poll_interval_secs.clamp(1, 1500));
    let mut backoff = Duration::from_secs(1);
    loop {
        let result: anyhow::Result<bool> = async {
            let mut session = connect(&url, tls.clone()).await?;
            let idle = session.capabilities().await?.has_str("IDLE");
            if !settings.imap_processed_folder.is_empty() {
                // Create the processed folder if it is missing ("already exists" is fine).
                if let Err(e) = session.create(&settings.imap_processed_folder).await {
                    tracing::debug!(error = %e, folder = %settings.imap_processed_folder, "processed folder not created (probably exists)");
                }
            }
            tracing::info!(host = %url.host, mailbox = %url.mailbox, idle, "IMAP connected");
            loop {
                let n = poll_once(&mut session, &url, &intake, &pool, &settings.imap_processed_folder, &shutdown).await?;
                health.poll_succeeded(Utc::now());
                backoff = Duration::from_secs(1);
                if n > 0 {
                    nudge.notify_one();
                }
                let stop = if idle {
                    let mut handle = session.idle();
                    handle.init().await?;
                    let stop = {
                        let (fut, _interrupt) = handle.wait_with_timeout(wait);
                        tokio::pin!(fut);
                        tokio::select! {
                            r = &mut fut => { r?; false }
                            _ = shutdown.stopped() => true,
                        }
                    };
                    session = handle.done().await?;
                    stop
                } else {
                    !shutdown.pause(wait, None).await
                };
                if stop || shutdown.is_stopping() {
                    let _ = session.logout().await;
                    return Ok(true);
                }
            }
        }
        .await;
        match result {
            Ok(true) => break,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), retry_in = ?backoff, "IMAP failed; reconnecting");
                health.poll_failed(format!("{e:#}"));
                if !shutdown.pause(backoff, None).await {
                    break;
                }
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
        if shutdown.is_stopping() {
            break;
        }
    }
    tracing::info!("IMAP worker stopped");
    Ok(Exit::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_imap_urls() {
        use secrecy::ExposeSecret;
        let u = ImapUrl::parse("imap://pqrs:secret@127.0.0.1:14143/INBOX").unwrap();
        assert_eq!((u.implicit_tls, u.host.as_str(), u.port, u.user.as_str(), u.password.expose_secret(), u.mailbox.as_str()),
            (false, "127.0.0.1", 14143, "pqrs", "secret", "INBOX"));
        assert!(!format!("{u:?}").contains("secret"), "{u:?}");
        let u = ImapUrl::parse("imaps://contacto%40anm.gov.co:p%3Ass@mail.example.com").unwrap();
        assert_eq!((u.implicit_tls, u.port, u.user.as_str(), u.password.expose_secret(), u.mailbox.as_str()),
            (true, 993, "contacto@anm.gov.co", "p:ss", "INBOX"));
        assert_eq!(u.key(), "imap:contacto@anm.gov.co@mail.example.com:993/INBOX");
        // An unencoded `@` in the user (the last `@` ends the user info), IPv6, a folder path.
        let u = ImapUrl::parse("imap://contacto@anm.gov.co:pw@[::1]:143/INBOX/Radicados%202026").unwrap();
        assert_eq!((u.host.as_str(), u.user.as_str(), u.password.expose_secret(), u.mailbox.as_str()),
            ("::1", "contacto@anm.gov.co", "pw", "INBOX/Radicados 2026"));
        assert!(ImapUrl::parse("imap://host/INBOX").is_err());
        assert!(ImapUrl::parse("http://u:p@h/").is_err());
        assert!(ImapUrl::parse("imap://u:p@host:99999/").is_err());
        let e = ImapUrl::parse("imap://u:topsecret@/INBOX").unwrap_err().to_string();
        assert!(!e.contains("topsecret"), "{e}");
    }

    #[test]
    fn percent_decoding_tolerates_garbage() {
        assert_eq!(percent_decode("a%4"), "a%4");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%é1"), "%é1");
        assert_eq!(percent_decode("%41"), "A");
    }
}
