//! Accounts, users and what each user may see.
//!
//! An account owns stores. A user belongs to one account and has one role; the role and the
//! user's grants make a [`Scope`], and every read of orders, stores and supplier orders goes
//! through the caller's scope, so another account's order is simply not found (404), never
//! "forbidden" (which would confirm it exists).
//!
//! Passwords are hashed with argon2id (PHC string: algorithm, parameters and salt travel with
//! the hash). Verification runs on a blocking thread: a hash takes tens of milliseconds of CPU
//! by design and must not stall the async workers.

use super::{now_ms, query, Database, Result, StorageError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use dropflow_core::ids::StoreId;
use rand::RngCore;
use sqlx::Row;

/// The account every store belongs to until accounts are made explicitly.
pub const DEFAULT_ACCOUNT: &str = "default";

/// The shortest password `users create` accepts (NIST SP 800-63B: at least 8).
pub const MIN_PASSWORD_LEN: usize = 8;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything in the account: stores, settings, wallet, users' orders.
    Owner,
    /// Orders of the stores they are given; no account settings, wallet or credentials.
    Staff,
    /// The agent's warehouse: receiving, inspection, packing.
    Warehouse,
    /// A manual vendor: the supplier orders routed to them, nothing else.
    Vendor,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Staff, Role::Warehouse, Role::Vendor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Staff => "staff",
            Role::Warehouse => "warehouse",
            Role::Vendor => "vendor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What a caller can see. Built once per request from the user's role and grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every store of every account: the command line and benchmarks, whose user holds the
    /// database itself. Never built from an HTTP request.
    Installation,
    /// Every store of the account (owner, warehouse operator).
    Account { account_id: String },
    /// Only these stores of the account (staff).
    Stores {
        account_id: String,
        stores: Vec<StoreId>,
    },
    /// Only orders with a supplier order routed to this manual vendor.
    Vendor { account_id: String, vendor: String },
}

impl Scope {
    pub fn account_id(&self) -> &str {
        match self {
            Scope::Installation => DEFAULT_ACCOUNT,
            Scope::Account { account_id }
            | Scope::Stores { account_id, .. }
            | Scope::Vendor { account_id, .. } => account_id,
        }
    }

    /// A SQL condition on an orders row (aliased `orders` or named by `column_prefix`, e.g.
    /// `"o."`) limiting it to this scope, with its bind values appended to `binds`.
    /// Placeholders are numbered from `binds.len() + 1`.
    pub fn order_condition(&self, column_prefix: &str, binds: &mut Vec<String>) -> String {
        let mut next = |value: String| {
            binds.push(value);
            format!("${}", binds.len())
        };
        match self {
            Scope::Installation => "1 = 1".to_string(),
            Scope::Account { account_id } => format!(
                "{column_prefix}store_id IN (SELECT id FROM stores WHERE account_id = {})",
                next(account_id.clone())
            ),
            Scope::Stores { stores, .. } if stores.is_empty() => "1 = 0".to_string(),
            Scope::Stores { stores, .. } => {
                let params: Vec<String> = stores.iter().map(|s| next(s.to_string())).collect();
                format!("{column_prefix}store_id IN ({})", params.join(", "))
            }
            Scope::Vendor { account_id, vendor } => {
                let account = next(account_id.clone());
                let vendor = next(vendor.clone());
                format!(
                    "{column_prefix}store_id IN (SELECT id FROM stores WHERE account_id = {account}) \
                     AND {column_prefix}id IN (SELECT order_id FROM supplier_orders \
                     WHERE supplier = 'manual' AND supplier_account = {vendor})"
                )
            }
        }
    }

    /// Whether a store is inside this scope (vendors see no store as a whole).
    pub async fn sees_store(&self, db: &Database, store_id: StoreId) -> Result<bool> {
        match self {
            Scope::Installation => Ok(true),
            Scope::Stores { stores, .. } => Ok(stores.contains(&store_id)),
            Scope::Vendor { .. } => Ok(false),
            Scope::Account { account_id } => {
                let row =
                    sqlx::query("SELECT 1 AS one FROM stores WHERE id = $1 AND account_id = $2")
                        .bind(store_id.to_string())
                        .bind(account_id)
                        .fetch_optional(&db.reader)
                        .await?;
                Ok(row.is_some())
            }
        }
    }

    /// Whether an order is inside this scope.
    pub async fn sees_order(&self, db: &Database, order_id: &str) -> Result<bool> {
        let mut binds = vec![order_id.to_string()];
        let condition = self.order_condition("", &mut binds);
        let sql = format!("SELECT 1 AS one FROM orders WHERE id = $1 AND {condition}");
        let query = query::with_binds(&sql, &binds);
        Ok(query.fetch_optional(&db.reader).await?.is_some())
    }

    /// Orders per tab in this scope: summed from the per-store counters (constant time in
    /// the number of orders), or for a vendor counted over their few supplier orders.
    pub async fn tab_counts(&self, db: &Database) -> Result<Vec<(String, i64)>> {
        let mut binds = Vec::new();
        let sql = match self {
            Scope::Installation => {
                "SELECT tab, CAST(SUM(n) AS BIGINT) AS n FROM store_tab_counts GROUP BY tab"
                    .to_string()
            }
            Scope::Account { account_id } => {
                binds.push(account_id.clone());
                "SELECT c.tab, CAST(SUM(c.n) AS BIGINT) AS n FROM store_tab_counts c
                 JOIN stores s ON s.id = c.store_id WHERE s.account_id = $1 GROUP BY c.tab"
                    .to_string()
            }
            Scope::Stores { stores, .. } if stores.is_empty() => return Ok(Vec::new()),
            Scope::Stores { stores, .. } => {
                binds.extend(stores.iter().map(|s| s.to_string()));
                let params: Vec<String> = (1..=stores.len()).map(|i| format!("${i}")).collect();
                format!(
                    "SELECT tab, CAST(SUM(n) AS BIGINT) AS n FROM store_tab_counts
                     WHERE store_id IN ({}) GROUP BY tab",
                    params.join(", ")
                )
            }
            Scope::Vendor { .. } => {
                let condition = self.order_condition("", &mut binds);
                format!(
                    "SELECT tab, COUNT(*) AS n FROM orders WHERE {condition} GROUP BY tab
                     UNION ALL SELECT 'all' AS tab, COUNT(*) AS n FROM orders WHERE {condition}"
                )
            }
        };
        let query = query::with_binds(&sql, &binds);
        let rows = query.fetch_all(&db.reader).await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<String, _>("tab")?, r.try_get::<i64, _>("n")?)))
            .collect()
    }
}

/// A user as the server sees it (never the password hash).
#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub id: String,
    pub account_id: String,
    pub email: String,
    pub role: Role,
    /// The manual vendor a vendor user acts for.
    pub vendor: Option<String>,
}

impl User {
    /// What this user may see.
    pub async fn scope(&self, db: &Database) -> Result<Scope> {
        let account_id = self.account_id.clone();
        Ok(match self.role {
            Role::Owner | Role::Warehouse => Scope::Account { account_id },
            Role::Vendor => Scope::Vendor {
                account_id,
                vendor: self.vendor.clone().unwrap_or_default(),
            },
            Role::Staff => {
                let rows = sqlx::query(
                    "SELECT us.store_id FROM user_stores us JOIN stores s ON s.id = us.store_id
                     WHERE us.user_id = $1 AND s.account_id = $2 ORDER BY us.store_id",
                )
                .bind(&self.id)
                .bind(&account_id)
                .fetch_all(&db.reader)
                .await?;
                let stores = rows
                    .iter()
                    .map(|r| {
                        super::codec::parse_id(
                            "user_stores.store_id",
                            &r.try_get::<String, _>("store_id")?,
                        )
                    })
                    .collect::<Result<Vec<StoreId>>>()?;
                Scope::Stores { account_id, stores }
            }
        })
    }

    /// How the timeline names this user.
    pub fn actor(&self) -> String {
        format!("user:{}", self.email)
    }
}

/// What a new user needs.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub account_id: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub role: Role,
    /// Stores a staff user may see.
    pub stores: &'a [StoreId],
    /// The manual vendor a vendor user acts for.
    pub vendor: Option<&'a str>,
}

/// Why a user could not be made.
#[derive(Debug, thiserror::Error)]
pub enum NewUserError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Normalises an e-mail address for lookups: trimmed, lower case.
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_ascii_lowercase()
}

/// Makes a user. The password is hashed here; it is never stored or logged in clear.
pub async fn create_user(db: &Database, new: NewUser<'_>) -> Result<User, NewUserError> {
    let email = normalize_email(new.email);
    if !looks_like_email(&email) {
        return Err(NewUserError::Invalid(
            "the e-mail address is not valid (expected name@domain)".into(),
        ));
    }
    if new.password.chars().count() < MIN_PASSWORD_LEN {
        return Err(NewUserError::Invalid(format!(
            "the password must have at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    match (new.role, new.vendor, new.stores.is_empty()) {
        (Role::Vendor, None, _) => {
            return Err(NewUserError::Invalid(
                "a vendor user needs the vendor handle they act for".into(),
            ))
        }
        (Role::Staff, _, true) => {
            return Err(NewUserError::Invalid(
                "a staff user needs at least one store".into(),
            ))
        }
        _ => {}
    }
    let hash = hash_password(new.password.to_string()).await?;
    let user = User {
        id: uuid::Uuid::now_v7().to_string(),
        account_id: new.account_id.to_string(),
        email,
        role: new.role,
        vendor: new.vendor.map(str::to_string),
    };
    let mut tx = db.writer.begin().await.map_err(StorageError::from)?;
    let inserted = sqlx::query(
        "INSERT INTO users (id, account_id, email, password_hash, role, vendor, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (email) DO NOTHING",
    )
    .bind(&user.id)
    .bind(&user.account_id)
    .bind(&user.email)
    .bind(&hash)
    .bind(user.role.as_str())
    .bind(user.vendor.as_deref())
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(StorageError::from)?;
    if inserted.rows_affected() == 0 {
        return Err(NewUserError::Invalid(
            "a user with that e-mail address already exists".into(),
        ));
    }
    for store in new.stores {
        let in_account =
            sqlx::query("SELECT 1 AS one FROM stores WHERE id = $1 AND account_id = $2")
                .bind(store.to_string())
                .bind(&user.account_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StorageError::from)?;
        if in_account.is_none() {
            return Err(NewUserError::Invalid(
                "a store given to the user is not in the user's account".into(),
            ));
        }
        sqlx::query("INSERT INTO user_stores (user_id, store_id) VALUES ($1, $2)")
            .bind(&user.id)
            .bind(store.to_string())
            .execute(&mut *tx)
            .await
            .map_err(StorageError::from)?;
    }
    tx.commit().await.map_err(StorageError::from)?;
    Ok(user)
}

/// The user with this e-mail and password, if both match and the user is not disabled.
/// Unknown e-mails cost a hash too, so timing does not reveal which addresses exist.
pub async fn verify_password(db: &Database, email: &str, password: &str) -> Result<Option<User>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1 AND disabled_at IS NULL"
    ))
    .bind(normalize_email(email))
    .fetch_optional(&db.reader)
    .await?;
    let (user, hash) = match &row {
        Some(r) => (
            Some(user_from_row(r)?),
            r.try_get::<String, _>("password_hash")?,
        ),
        None => (None, DUMMY_HASH.to_string()),
    };
    let password = password.to_string();
    let matches = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .map_err(|e| StorageError::Corrupt(format!("password check did not finish: {e}")))?;
    Ok(user.filter(|_| matches))
}

/// A user by id (for sessions and tokens), if not disabled.
pub async fn user_by_id(db: &Database, id: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND disabled_at IS NULL");
    let query = sqlx::query(&sql).bind(id);
    query::one(query, &db.reader, user_from_row).await
}

/// A user by e-mail address.
pub async fn user_by_email(db: &Database, email: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
    let query = sqlx::query(&sql).bind(normalize_email(email));
    query::one(query, &db.reader, user_from_row).await
}

/// How many users exist (`serve` explains how to make the first one when there is none).
pub async fn user_count(db: &Database) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(&db.reader)
        .await?;
    Ok(row.try_get("n")?)
}

/// Makes an account and returns its id.
pub async fn create_account(db: &Database, name: &str) -> Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query("INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(name)
        .bind(now_ms())
        .execute(&db.writer)
        .await?;
    Ok(id)
}

/// The id of the account with this name.
pub async fn account_by_name(db: &Database, name: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT id FROM accounts WHERE name = $1 ORDER BY created_at LIMIT 1")
        .bind(name)
        .fetch_optional(&db.reader)
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("id")?),
        None => None,
    })
}

/// Every user, by e-mail.
pub async fn list_users(db: &Database) -> Result<Vec<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY email");
    let query = sqlx::query(&sql);
    query::all(query, &db.reader, user_from_row).await
}

/// The account a store belongs to.
pub async fn account_of_store(db: &Database, store_id: StoreId) -> Result<Option<String>> {
    let row = sqlx::query("SELECT account_id FROM stores WHERE id = $1")
        .bind(store_id.to_string())
        .fetch_optional(&db.reader)
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("account_id")?),
        None => None,
    })
}

/// Moves a store to an account (a store registered from the command line starts in the
/// default account).
pub async fn assign_store(db: &Database, store_id: StoreId, account_id: &str) -> Result<()> {
    let done = sqlx::query("UPDATE stores SET account_id = $1 WHERE id = $2")
        .bind(account_id)
        .bind(store_id.to_string())
        .execute(&db.writer)
        .await?;
    query::touched(done)
}

const USER_COLUMNS: &str = "id, account_id, email, role, vendor";

/// A valid argon2id hash of a random password: verified against when the e-mail is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0MNmLfjbrT8u1yBuvRLz2bxXvRaaNiW2+Ip8f4mgqd8";

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        email: row.try_get("email")?,
        role: Role::parse(&role)
            .ok_or_else(|| StorageError::Corrupt(format!("users.role {role:?}")))?,
        vendor: row.try_get("vendor")?,
    })
}

async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt)
            .map_err(|e| StorageError::Corrupt(format!("salt: {e}")))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| StorageError::Corrupt(format!("password hash: {e}")))
    })
    .await
    .map_err(|e| StorageError::Corrupt(format!("password hash did not finish: {e}")))?
}

fn looks_like_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }

    #[test]
    fn email_shape() {
        assert!(looks_like_email("a@b.co"));
        assert!(!looks_like_email("a@b"));
        assert!(!looks_like_email("@b.co"));
        assert!(!looks_like_email("a b@c.co"));
    }

    #[test]
    fn scope_conditions_number_their_placeholders_after_existing_binds() {
        let mut binds = vec!["x".to_string()];
        let scope = Scope::Vendor {
            account_id: "acc".into(),
            vendor: "v1".into(),
        };
        let sql = scope.order_condition("o.", &mut binds);
        assert!(sql.contains("$2") && sql.contains("$3"), "{sql}");
        assert_eq!(binds, vec!["x", "acc", "v1"]);
        let mut none = Vec::new();
        let empty = Scope::Stores {
            account_id: "acc".into(),
            stores: vec![],
        };
        assert_eq!(empty.order_condition("", &mut none), "1 = 0");
    }

    #[test]
    fn dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
