//! Registered stores by (platform, domain), cached in memory: every webhook needs its store's
//! secret, and a database read per webhook would cost more than the signature check. A miss
//! or a failed signature re-reads the database, so a store registered (or a secret rotated) by
//! another process is picked up without a restart.

use crate::storage::stores::{self, Store};
use crate::storage::{Database, Result};
use dropflow_core::intake::Platform;
use std::collections::HashMap;
use std::sync::RwLock;

#[derive(Default)]
pub struct StoreDirectory {
    cache: RwLock<HashMap<(Platform, String), Vec<Store>>>,
}

impl StoreDirectory {
    /// The registrations a webhook for the domain may belong to ([`stores::candidates`]),
    /// from the cache when `fresh` is false, else from the database.
    pub async fn find(
        &self,
        db: &Database,
        platform: Platform,
        domain: &str,
        fresh: bool,
    ) -> Result<Vec<Store>> {
        let key = (platform, stores::normalize_domain(domain));
        if !fresh {
            if let Ok(cache) = self.cache.read() {
                if let Some(stores) = cache.get(&key) {
                    return Ok(stores.clone());
                }
            }
        }
        let found = stores::candidates(db, platform, &key.1).await?;
        if let Ok(mut cache) = self.cache.write() {
            // A contested domain (several unverified registrations) is read afresh each
            // time: which of them a webhook belongs to changes as soon as one is verified.
            if found.len() == 1 {
                cache.insert(key, found.clone());
            } else {
                cache.remove(&key);
            }
        }
        Ok(found)
    }

    /// Drops what is cached for the domain (a registration of it was just verified).
    pub fn forget(&self, platform: Platform, domain: &str) {
        if let Ok(mut cache) = self.cache.write() {
            cache.remove(&(platform, stores::normalize_domain(domain)));
        }
    }
}
