//! Staff users and API tokens: creation from the CLI (`pqrs user add`, `pqrs token create`),
//! password hashing with argon2, and token lookup. Only a SHA-256 of a token is stored; the token
//! itself is shown once.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use chrono::Utc;
use diesel::prelude::*;
use sha2::Digest;

use crate::auth::{Caller, Role};
use crate::db::schema::{api_tokens, sessions, staff_users};
use crate::db::{self, AnyConnection};

/// Roles of staff users and tokens.
pub const ROLES: [&str; 4] = ["admin", "triage", "department", "report"];

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("{0}")]
    Invalid(String),
    #[error("a user with e-mail {0} already exists")]
    Exists(String),
    #[error("no active user with e-mail {0}")]
    NoSuchUser(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

pub fn hash_password(password: &str) -> Result<String, StaffError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StaffError::Hash(e.to_string()))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match argon2::password_hash::phc::PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

fn valid_email(e: &str) -> bool {
    let e = e.trim();
    e.len() <= 254 && e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !e.contains(char::is_whitespace)
}

/// Create a staff user; `departments` are the known codes (for the `department` role).
pub fn add_user(
    conn: &mut AnyConnection,
    email: &str,
    role: &str,
    department: Option<&str>,
    password: &str,
    departments: &[String],
) -> Result<i64, StaffError> {
    let email = email.trim().to_ascii_lowercase();
    if !valid_email(&email) {
        return Err(StaffError::Invalid(format!("`{email}` is not an e-mail address")));
    }
    if !ROLES.contains(&role) {
        return Err(StaffError::Invalid(format!("unknown role `{role}`")));
    }
    let department = department.map(|d| d.trim().to_ascii_uppercase());
    match (role, &department) {
        ("department", None) => {
            return Err(StaffError::Invalid("the department role needs --department CODE".into()))
        }
        (_, Some(d)) if !departments.iter().any(|k| k == d) => {
            return Err(StaffError::Invalid(format!("unknown department `{d}` (known: {})", departments.join(", "))))
        }
        _ => {}
    }
    if password.chars().count() < 12 {
        return Err(StaffError::Invalid("the password must have at least 12 characters".into()));
    }
    let hash = hash_password(password)?;
    let res = db::write_tx(conn, |c| {
        diesel::insert_into(staff_users::table)
            .values((
                staff_users::email.eq(&email),
                staff_users::password_hash.eq(&hash),
                staff_users::role.eq(role),
                staff_users::department.eq(&department),
                staff_users::active.eq(true),
                staff_users::failed_logins.eq(0_i64),
                staff_users::created_at.eq(Utc::now().naive_utc()),
            ))
            .returning(staff_users::id)
            .get_result::<i64>(c)
    });
    match res {
        Err(e) if db::is_unique_violation(&e) => Err(StaffError::Exists(email)),
        other => Ok(other?),
    }
}

/// Staff sessions last this long.
pub const SESSION_HOURS: i64 = 12;
/// Failed logins in a row that lock an account, and for how long.
pub const MAX_FAILED: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;

/// How a login attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginResult {
    /// A new session; the id goes in the cookie (only its hash is stored).
    Ok { session: String },
    Bad,
    Locked,
}

fn random_hex() -> String {
    let b: [u8; 32] = rand::random();
    hex::encode(b)
}

/// Check a password, count failures (locking after [`MAX_FAILED`]) and open a session, in one
/// transaction: two attempts at once cannot both read the same failure count.
pub fn login(conn: &mut AnyConnection, email: &str, password: &str, now: chrono::DateTime<Utc>) -> QueryResult<LoginResult> {
    let now = now.naive_utc();
    let email = email.trim().to_ascii_lowercase();
    db::write_tx(conn, |conn| {
        let user: Option<(i64, String, i64, Option<chrono::NaiveDateTime>, bool)> = staff_users::table
            .filter(staff_users::email.eq(&email))
            .select((staff_users::id, staff_users::password_hash, staff_users::failed_logins, staff_users::locked_until, staff_users::active))
            .first(conn)
            .optional()?;
        let Some((id, hash, _, locked, active)) = user else {
            // Same work as a real check, so timing does not tell which addresses exist.
            let _ = verify_password(password, "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG");
            return Ok(LoginResult::Bad);
        };
        if locked.is_some_and(|l| l > now) {
            return Ok(LoginResult::Locked);
        }
        if !active || !verify_password(password, &hash) {
            // Counted in the statement itself: concurrent failures each add one (the row lock
            // orders them), none is lost to a read-then-write race.
            let failed: i64 = diesel::update(staff_users::table.find(id))
                .set(staff_users::failed_logins.eq(staff_users::failed_logins + 1))
                .returning(staff_users::failed_logins)
                .get_result(conn)?;
            if failed < MAX_FAILED {
                return Ok(LoginResult::Bad);
            }
            diesel::update(staff_users::table.find(id))
                .set((staff_users::failed_logins.eq(0_i64), staff_users::locked_until.eq(Some(now + chrono::Duration::minutes(LOCK_MINUTES)))))
                .execute(conn)?;
            return Ok(LoginResult::Locked);
        }
        diesel::update(staff_users::table.find(id))
            .set((staff_users::failed_logins.eq(0_i64), staff_users::locked_until.eq(None::<chrono::NaiveDateTime>)))
            .execute(conn)?;
        let session = random_hex();
        diesel::insert_into(sessions::table)
            .values((
                sessions::id_hash.eq(token_hash(&session)),
                sessions::user_id.eq(id),
                sessions::csrf.eq(random_hex()),
                sessions::created_at.eq(now),
                sessions::expires_at.eq(now + chrono::Duration::hours(SESSION_HOURS)),
            ))
            .execute(conn)?;
        crate::db::cases::audit(conn, &email, "ingreso", None, "")?;
        Ok(LoginResult::Ok { session })
    })
}

/// End a session (logout).
pub fn end_session(conn: &mut AnyConnection, session: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(token_hash(session))).execute(conn)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Create a bearer token for a role (report tokens) or acting as a user; returns the token.
pub fn create_token(
    conn: &mut AnyConnection,
    role: Option<&str>,
    user_email: Option<&str>,
) -> Result<String, StaffError> {
    let (role, user_id, label) = match (role, user_email) {
        (_, Some(email)) => {
            let email = email.trim().to_ascii_lowercase();
            let (id, role): (i64, String) = staff_users::table
                .filter(staff_users::email.eq(&email))
                .filter(staff_users::active.eq(true))
                .select((staff_users::id, staff_users::role))
                .first(conn)
                .optional()?
                .ok_or_else(|| StaffError::NoSuchUser(email.clone()))?;
            (role, Some(id), format!("user {email}"))
        }
        // A department token must act as a user: a bare role token would have no department.
        (Some("department"), None) => {
            return Err(StaffError::Invalid(
                "a department token acts as a department user: use --user EMAIL (created with `pqrs user add --role department --department CODE`)".into(),
            ))
        }
        (Some(r), None) if ROLES.contains(&r) => (r.to_string(), None, format!("role {r}")),
        (Some(r), None) => return Err(StaffError::Invalid(format!("unknown role `{r}`"))),
        (None, None) => return Err(StaffError::Invalid("give --role or --user".into())),
    };
    let bytes: [u8; 32] = rand::random();
    let token = format!("pqrs_{}", hex::encode(bytes));
    db::write_tx(conn, |c| {
        diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::token_hash.eq(token_hash(&token)),
                api_tokens::role.eq(&role),
                api_tokens::user_id.eq(user_id),
                api_tokens::label.eq(&label),
                api_tokens::created_at.eq(Utc::now().naive_utc()),
            ))
            .execute(c)
    })?;
    Ok(token)
}

/// Resolve a bearer token or a session id to its caller.
pub fn resolve(conn: &mut AnyConnection, bearer: Option<&str>, session: Option<&str>) -> QueryResult<Option<Caller>> {
    if let Some(t) = bearer {
        let row: Option<(String, Option<i64>)> = api_tokens::table
            .filter(api_tokens::token_hash.eq(token_hash(t)))
            .filter(api_tokens::revoked_at.is_null())
            .select((api_tokens::role, api_tokens::user_id))
            .first(conn)
            .optional()?;
        let Some((role, user_id)) = row else { return Ok(None) };
        if let Some(uid) = user_id {
            let user: Option<(String, String, Option<String>, bool)> = staff_users::table
                .find(uid)
                .select((staff_users::email, staff_users::role, staff_users::department, staff_users::active))
                .first(conn)
                .optional()?;
            return Ok(match user {
                Some((email, role, department, true)) => Role::parse(&role).map(|role| Caller { role, department, email: Some(email), user_id: Some(uid), csrf: None }),
                _ => None,
            });
        }
        // An unknown stored role grants nothing.
        return Ok(Role::parse(&role).map(|role| Caller { role, department: None, email: None, user_id: None, csrf: None }));
    }
    if let Some(sid) = session {
        let now = Utc::now().naive_utc();
        let row: Option<(i64, String, String, Option<String>, bool, String)> = sessions::table
            .inner_join(staff_users::table)
            .filter(sessions::id_hash.eq(token_hash(sid)))
            .filter(sessions::expires_at.gt(now))
            .select((staff_users::id, staff_users::email, staff_users::role, staff_users::department, staff_users::active, sessions::csrf))
            .first(conn)
            .optional()?;
        return Ok(match row {
            Some((id, email, role, department, true, csrf)) => Role::parse(&role).map(|role| Caller { role, department, email: Some(email), user_id: Some(id), csrf: Some(csrf) }),
            _ => None,
        });
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_the_role_codes() {
        assert_eq!(Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(), ROLES.to_vec());
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn emails_are_checked() {
        assert!(valid_email("ana@anm.gov.co"));
        assert!(!valid_email("ana"));
        assert!(!valid_email("ana@local"));
        assert!(!valid_email("a b@x.co"));
    }
}
